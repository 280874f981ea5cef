"""Alarm → incident: an alarm on a system opens (or joins) an incident request through ticket services.

Runs after commit from the outbox (`alarm.batch` from the webhook intake, `alarm.event` for single
changes), so the webhook answers fast and a failed ticket write is retried by the outbox sweeper.
Idempotent: an alarm that already has its incident is not attached twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.core import clock
from weibao.core.errors import DomainError, TransitionNotAllowed
from weibao.core.outbox import outbox_handler, outbox_put
from weibao.core.rows import insert_rows
from weibao.monitoring.models import Alarm, AlarmEvent
from weibao.monitoring.policy import severity_policies
from weibao.monitoring.services import BATCH_TOPIC, EVENT_TOPIC
from weibao.monitoring.states import AlarmStatus
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_create, ticket_record_event, ticket_transition
from weibao.tickets.states import OPEN

log = logging.getLogger(__name__)
OPENING_KINDS = {"fired", "refired", "unsilenced"}
HANDLED_KINDS = OPENING_KINDS | {"resolved", "acknowledged"}


def _open_incidents_for(system_ids: set[int]) -> dict[int, Ticket]:
    """The same problem: the newest open monitoring incident of each system (one query for all of them)."""
    found: dict[int, Ticket] = {}
    for ticket in (Ticket.objects.filter(system_id__in=system_ids, channel="monitoring", status__in=[s.value for s in OPEN])
                   .order_by("-id")):
        found.setdefault(ticket.system_id, ticket)  # type: ignore[arg-type]
    return found


def _description(alarm: Alarm) -> str:
    lines = [alarm.description or alarm.summary, "", _("告警名称：%(name)s") % {"name": alarm.name},
             _("级别：%(severity)s") % {"severity": alarm.get_severity_display()},
             _("指纹：%(fp)s") % {"fp": alarm.fingerprint}]
    if alarm.source_id:
        lines.append(_("来源：%(source)s") % {"source": alarm.source.name if alarm.source else ""})
    if alarm.generator_url:
        lines.append(alarm.generator_url)
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alarm.labels.items()))
    if labels:
        lines.append(_("标签：%(labels)s") % {"labels": labels})
    return "\n".join(lines)


def _fact(alarm: Alarm) -> dict[str, Any]:
    return {"alarm_id": alarm.public_id, "name": alarm.name, "severity": alarm.severity, "fingerprint": alarm.fingerprint,
            "summary": alarm.summary[:200]}


MAX_FACTS = 50  # alarms listed on one timeline entry; the count says how many there were


def _facts(alarms: list[Alarm]) -> dict[str, Any]:
    """One timeline entry for a group of alarms (a burst is one entry and one chat message, not hundreds);
    the first alarm's fact stays at the top level for readers of single-alarm entries."""
    return _fact(alarms[0]) | {"count": len(alarms), "alarms": [_fact(a) for a in alarms[:MAX_FACTS]]}


_SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "info": 3}


def incidents_for_alarms(alarm_ids: list[int]) -> dict[int, Ticket]:
    """Attach firing alarms to their incidents, opening one per system when the policy says so.

    Set-based: the alarms are read and locked in one query, the open incidents of all their systems in
    one more, and each (system, problem) group gets one ticket write however many alarms it holds.
    Returns alarm id → incident."""
    with transaction.atomic():
        alarms = list(Alarm.objects.select_for_update(of=("self",)).select_related("system__organisation", "source", "incident")
                      .filter(id__in=alarm_ids).order_by("id"))
        result: dict[int, Ticket] = {}
        refired: dict[int, list[Alarm]] = {}
        waiting: dict[int, list[Alarm]] = {}
        policies = severity_policies()
        for alarm in alarms:
            if alarm.status not in (AlarmStatus.FIRING, AlarmStatus.ACKNOWLEDGED) or alarm.system is None:
                continue  # silenced (maintenance), already resolved, or not mapped to a system: no incident
            if alarm.incident is not None:
                result[alarm.id] = alarm.incident
                if alarm.incident.status in OPEN:
                    refired.setdefault(alarm.incident.id, []).append(alarm)
            elif policies[alarm.severity].opens_incident:
                waiting.setdefault(alarm.system.id, []).append(alarm)
        for group in refired.values():
            ticket_record_event(actor=None, ticket=group[0].incident, kind="alarm_refired", data=_facts(group))  # type: ignore[arg-type]
        if not waiting:
            return result
        open_incidents = _open_incidents_for(set(waiting))
        now = clock.now()
        events: list[AlarmEvent] = []
        for system_id, group in waiting.items():
            group.sort(key=lambda a: (_SEVERITY_RANK.get(a.severity, 9), a.id))
            incident = open_incidents.get(system_id)
            kind = "incident_attached"
            if incident is None:
                first = group[0]  # the most severe alarm names the incident and sets its priority
                policy = policies[first.severity]
                system = first.system
                assert system is not None
                more = _("（另有 %(n)s 条告警）") % {"n": len(group) - 1} if len(group) > 1 else ""
                incident = ticket_create(
                    actor=None, organisation=system.organisation, system=system, channel="monitoring", type="fault",
                    subject=f"[{first.get_severity_display()}] {system.name}: {first.summary or first.name}{more}"[:300],
                    description=_description(first), urgency=policy.urgency, impact=policy.impact, tags=["monitoring", first.severity],
                )
                kind = "incident_opened"
            ticket_record_event(actor=None, ticket=incident, kind="alarm_attached", data=_facts(group))
            Alarm.objects.filter(id__in=[a.id for a in group]).update(incident=incident)
            events.extend(AlarmEvent(alarm=a, kind=kind, before={}, after={}, data={"ticket": incident.number}, created_at=now)
                          for a in group)
            result.update((a.id, incident) for a in group)
        insert_rows(AlarmEvent, events, now=now)
        # one outbox row for the whole set (the history's after-commit hook), not one per alarm
        outbox_put(topic=BATCH_TOPIC, key=f"incident-links:{events[0].id}", payload={"event_ids": [e.id for e in events]})
        return result


def incident_for_alarm(alarm: Alarm) -> Ticket | None:
    """One alarm's incident (see `incidents_for_alarms`)."""
    return incidents_for_alarms([alarm.id]).get(alarm.id)


def incidents_recover(alarm_ids: list[int]) -> int:
    """Resolved alarms: record the recovery on their incidents, one timeline entry per incident; when every alarm
    of an incident has recovered and the policy says so, resolve it, else leave the decision to the engineer.
    Alarms that fired again meanwhile are skipped. Returns the number of incidents told."""
    with transaction.atomic():
        alarms = list(Alarm.objects.select_related("incident").filter(id__in=alarm_ids, status=AlarmStatus.RESOLVED,
                                                                      incident__isnull=False).order_by("id"))
        groups: dict[int, list[Alarm]] = {}
        for alarm in alarms:
            if alarm.incident is not None and alarm.incident.status in OPEN:
                groups.setdefault(alarm.incident.id, []).append(alarm)
        if not groups:
            return 0
        still_open = set(Alarm.objects.filter(incident_id__in=groups).exclude(status=AlarmStatus.RESOLVED)
                         .values_list("incident_id", flat=True))
        policies = severity_policies()
        for incident_id, group in groups.items():
            incident = group[0].incident
            assert incident is not None
            all_recovered = incident_id not in still_open
            ticket_record_event(actor=None, ticket=incident, kind="alarm_recovered", data=_facts(group) | {"all_recovered": all_recovered})
            if not all_recovered or not all(policies[a.severity].resolve_incident for a in group):
                continue
            try:
                with transaction.atomic():
                    ticket_transition(actor=None, ticket=incident, transition="propose_resolution", resolution_method="workaround",
                                      resolution_text=_("监控告警已全部恢复，系统自动提交解决；如问题仍在，请退回。"))
            except (TransitionNotAllowed, DomainError) as exc:
                # The ticket's own rules decide (e.g. nobody has started work yet): the recovery stays recorded.
                log.info("incident %s not auto-resolved: %s", incident.number, exc)
        return len(groups)


def incident_recovery(alarm: Alarm) -> None:
    incidents_recover([alarm.id])


def recoveries_run_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """The recovery hold: alarms that have stayed resolved until their `recovery_due_at` now recover their incidents.
    A re-fire inside the hold cleared the time (the `refire` transition), so it is not found here. Each alarm is
    claimed with compare-and-set, so two sweepers never record the same recovery."""
    now = now or clock.now()
    due = list(Alarm.objects.filter(status=AlarmStatus.RESOLVED, recovery_due_at__lte=now)
               .order_by("recovery_due_at").values_list("id", "recovery_due_at")[:limit])
    claimed = [alarm_id for alarm_id, at in due
               if Alarm.objects.filter(id=alarm_id, status=AlarmStatus.RESOLVED, recovery_due_at=at).update(recovery_due_at=None)]
    if claimed:
        incidents_recover(claimed)
    return len(claimed)


def _handle(event_ids: list[int]) -> None:
    events = list(AlarmEvent.objects.filter(id__in=event_ids, kind__in=HANDLED_KINDS).select_related("alarm").order_by("id"))
    opening = [e.alarm_id for e in events if e.kind in OPENING_KINDS]
    if opening:
        incidents_for_alarms(opening)
    # a held recovery (see the intake) is left to `recoveries_run_due`; the others are told now
    recovered = [e.alarm_id for e in events if e.kind == "resolved" and not e.data.get("recovery_due_at")]
    if recovered:
        incidents_recover(recovered)
    for event in events:
        if event.kind == "acknowledged" and event.alarm.incident_id:
            incident = Ticket.objects.get(id=event.alarm.incident_id)
            if incident.status in OPEN:
                ticket_record_event(actor=event.actor, ticket=incident, kind="alarm_acknowledged", data=_fact(event.alarm))


@outbox_handler(BATCH_TOPIC)
def on_alarm_batch(payload: dict[str, Any]) -> None:
    _handle([int(i) for i in payload.get("event_ids", [])])


@outbox_handler(EVENT_TOPIC)
def on_alarm_event(payload: dict[str, Any]) -> None:
    _handle([int(payload["event_id"])])
