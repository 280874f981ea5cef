"""Alarm → incident: an alarm on a system opens (or joins) an incident request through ticket services.

Runs after commit from the outbox (`alarm.batch` from the webhook intake, `alarm.event` for single
changes), so the webhook answers fast and a failed ticket write is retried by the outbox sweeper.
Idempotent: an alarm that already has its incident is not attached twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.core import clock
from weibao.core.errors import DomainError, TransitionNotAllowed
from weibao.core.outbox import outbox_handler, outbox_put
from weibao.monitoring.models import Alarm, AlarmEvent
from weibao.monitoring.policy import severity_policies, severity_policy
from weibao.monitoring.rows import insert_rows
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


def incident_recovery(alarm: Alarm) -> None:
    """A resolved alarm: record the recovery on its incident; when every alarm on it has recovered and the
    policy says so, resolve the incident, else leave the decision to the engineer."""
    with transaction.atomic():
        alarm = Alarm.objects.select_related("incident").get(id=alarm.id)
        incident = alarm.incident
        if incident is None or incident.status not in OPEN:
            return
        still_open = incident.alarms.exclude(status=AlarmStatus.RESOLVED).exists()
        ticket_record_event(actor=None, ticket=incident, kind="alarm_recovered", data=_fact(alarm) | {"all_recovered": not still_open})
        if still_open or not severity_policy(alarm.severity).resolve_incident:
            return
        try:
            with transaction.atomic():
                ticket_transition(actor=None, ticket=incident, transition="propose_resolution", resolution_method="workaround",
                                  resolution_text=_("监控告警已全部恢复，系统自动提交解决；如问题仍在，请退回。"))
        except (TransitionNotAllowed, DomainError) as exc:
            # The ticket's own rules decide (e.g. nobody has started work yet): the recovery stays recorded.
            log.info("incident %s not auto-resolved: %s", incident.number, exc)


def _handle(event_ids: list[int]) -> None:
    events = list(AlarmEvent.objects.filter(id__in=event_ids, kind__in=HANDLED_KINDS).select_related("alarm").order_by("id"))
    opening = [e.alarm_id for e in events if e.kind in OPENING_KINDS]
    if opening:
        incidents_for_alarms(opening)
    for event in events:
        if event.kind == "resolved":
            incident_recovery(event.alarm)
        elif event.kind == "acknowledged" and event.alarm.incident_id:
            incident = Ticket.objects.get(id=event.alarm.incident_id)
            if incident.status in OPEN:
                ticket_record_event(actor=event.actor, ticket=incident, kind="alarm_acknowledged", data=_fact(event.alarm))


@outbox_handler(BATCH_TOPIC)
def on_alarm_batch(payload: dict[str, Any]) -> None:
    _handle([int(i) for i in payload.get("event_ids", [])])


@outbox_handler(EVENT_TOPIC)
def on_alarm_event(payload: dict[str, Any]) -> None:
    _handle([int(payload["event_id"])])
