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

from weibao.core.errors import DomainError, TransitionNotAllowed
from weibao.core.outbox import outbox_handler
from weibao.monitoring.models import Alarm, AlarmEvent
from weibao.monitoring.policy import severity_policy
from weibao.monitoring.services import BATCH_TOPIC, EVENT_TOPIC, alarm_event_record
from weibao.monitoring.states import AlarmStatus
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_create, ticket_record_event, ticket_transition
from weibao.tickets.states import OPEN

log = logging.getLogger(__name__)
OPENING_KINDS = {"fired", "refired", "unsilenced"}


def _open_incident_for(alarm: Alarm) -> Ticket | None:
    """The same problem: an open monitoring incident on the same system."""
    return (Ticket.objects.filter(system=alarm.system, channel="monitoring", status__in=[s.value for s in OPEN])
            .order_by("-id").first())


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


def incident_for_alarm(alarm: Alarm) -> Ticket | None:
    """Attach a firing alarm to its incident, opening one when the policy says so. Returns the incident."""
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("system", "source", "incident").get(id=alarm.id)
        if alarm.status not in (AlarmStatus.FIRING, AlarmStatus.ACKNOWLEDGED) or alarm.system is None:
            return None  # silenced (maintenance), already resolved, or not mapped to a system: no incident
        if alarm.incident is not None:
            if alarm.incident.status in OPEN:
                ticket_record_event(actor=None, ticket=alarm.incident, kind="alarm_refired", data=_fact(alarm))
            return alarm.incident
        policy = severity_policy(alarm.severity)
        if not policy.opens_incident:
            return None
        incident = _open_incident_for(alarm)
        if incident is None:
            incident = ticket_create(
                actor=None, organisation=alarm.system.organisation, system=alarm.system, channel="monitoring", type="fault",
                subject=f"[{alarm.get_severity_display()}] {alarm.system.name}: {alarm.summary or alarm.name}"[:300],
                description=_description(alarm), urgency=policy.urgency, impact=policy.impact, tags=["monitoring", alarm.severity],
            )
            alarm_event_record(actor=None, alarm=alarm, kind="incident_opened", data={"ticket": incident.number})
        else:
            alarm_event_record(actor=None, alarm=alarm, kind="incident_attached", data={"ticket": incident.number})
        ticket_record_event(actor=None, ticket=incident, kind="alarm_attached", data=_fact(alarm))
        Alarm.objects.filter(id=alarm.id).update(incident=incident)
        return incident


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
    events = AlarmEvent.objects.filter(id__in=event_ids).select_related("alarm").order_by("id")
    for event in events:
        if event.kind in OPENING_KINDS:
            incident_for_alarm(event.alarm)
        elif event.kind == "resolved":
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
