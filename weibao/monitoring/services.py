"""Alarm writes: the one transition service, acknowledgement (also by signed link), history and outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import transaction

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from weibao.core.outbox import outbox_put
from weibao.monitoring.models import Alarm, AlarmEvent
from weibao.monitoring.states import TRANSITIONS, AlarmStatus, allowed_transitions

EVENT_TOPIC = "alarm.event"
BATCH_TOPIC = "alarm.batch"
ACK_LINK_SALT = "weibao.monitoring.ack"
ACK_LINK_MAX_AGE = timedelta(days=2)


def snapshot(alarm: Alarm) -> dict[str, Any]:
    return {"status": alarm.status}


def apply_transition(alarm: Alarm, name: str, *, now: datetime, actor: User | None, data: dict[str, Any] | None = None) -> AlarmEvent:
    """Move an in-memory alarm along the table and return its (unsaved) event.

    Shared by `alarm_transition` (one alarm, row-locked) and the webhook intake (many alarms in bulk,
    each read inside the same transaction), so the table is the only place a status change is decided.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValidationFailed(f"Unknown transition {name!r}", details={"transition": [f"Expected one of {sorted(TRANSITIONS)}"]})
    if alarm.status not in transition.sources:
        raise TransitionNotAllowed(
            f"Cannot {name} an alarm that is {alarm.status}",
            details={"allowed": allowed_transitions(alarm.status, by_person=actor is not None)},
        )
    before = snapshot(alarm)
    alarm.status = transition.target
    if transition.target == AlarmStatus.ACKNOWLEDGED:
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor
    elif transition.target == AlarmStatus.RESOLVED:
        alarm.resolved_at = now
        alarm.ends_at = alarm.ends_at or now
    elif name == "refire":
        alarm.recovery_due_at = None  # a re-fire inside the recovery hold cancels the pending recovery
        alarm.resolved_at = None
        alarm.ends_at = None
        alarm.acknowledged_at, alarm.acknowledged_by = None, None
        alarm.fire_count += 1
    elif name == "unacknowledge":
        alarm.acknowledged_at, alarm.acknowledged_by = None, None
    return AlarmEvent(alarm=alarm, actor=actor, kind=transition.event, before=before, after=snapshot(alarm),
                      data=data or {}, created_at=now)


def record_event(event: AlarmEvent) -> AlarmEvent:
    event.save()
    outbox_put(topic=EVENT_TOPIC, key=str(event.id), payload={"event_id": event.id, "alarm_id": event.alarm_id, "kind": event.kind})
    return event


def alarm_event_record(*, actor: User | None, alarm: Alarm, kind: str, data: dict[str, Any]) -> AlarmEvent:
    """A fact on the alarm's timeline that is not a status change (incident attached, paged...)."""
    with transaction.atomic():
        return record_event(AlarmEvent(alarm=alarm, actor=actor, kind=kind, before={}, after={}, data=data, created_at=clock.now()))


def alarm_transition(*, actor: User | None, alarm: Alarm, transition: str, note: str = "", **fields: Any) -> Alarm:
    """Change an alarm's status. `actor` None is the machine (a source or a probe)."""
    spec = TRANSITIONS.get(transition)
    if actor is not None:
        access.require(access.is_staff(actor), "Only staff change alarms")
        if spec is not None and not spec.by_person:
            raise PermissionDenied(f"{transition!r} is done by the monitoring source, not by a person")
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(id=alarm.id)
        now = clock.now()
        data = {"note": note[:1000]} if note else {}
        event = apply_transition(locked, transition, now=now, actor=actor, data=data)
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save()
        record_event(event)
    return locked


def alarm_acknowledge(*, actor: User, alarm: Alarm, note: str = "") -> Alarm:
    """Acknowledge; acknowledging twice is not an error (two engineers click the same notification)."""
    if alarm.status == AlarmStatus.ACKNOWLEDGED:
        return alarm
    return alarm_transition(actor=actor, alarm=alarm, transition="acknowledge", note=note)


# --- the acknowledgement link in notifications -----------------------------------------------


def ack_token(alarm: Alarm, user: User) -> str:
    """A signed, expiring token naming the alarm and the person paged; the link needs no sign-in."""
    return signing.dumps({"a": alarm.public_id, "u": user.id}, salt=ACK_LINK_SALT, compress=True)


def alarm_from_ack_token(*, token: str) -> Alarm:
    """The alarm a link names (for the confirmation page); raises like the acknowledgement itself."""
    try:
        data = signing.loads(token, salt=ACK_LINK_SALT, max_age=ACK_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed("This acknowledgement link has expired", code="link_expired") from None
    except signing.BadSignature:
        raise NotFound("Unknown acknowledgement link") from None
    alarm = Alarm.objects.select_related("system").filter(public_id=data.get("a")).first()
    if alarm is None:
        raise NotFound("Unknown acknowledgement link")
    return alarm


def alarm_acknowledge_by_link(*, token: str) -> Alarm:
    try:
        data = signing.loads(token, salt=ACK_LINK_SALT, max_age=ACK_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed("This acknowledgement link has expired", code="link_expired") from None
    except signing.BadSignature:
        raise NotFound("Unknown acknowledgement link") from None
    alarm = Alarm.objects.filter(public_id=data.get("a")).first()
    user = User.objects.filter(id=data.get("u"), is_active=True).first()
    if alarm is None or user is None or not access.is_staff(user):
        raise NotFound("Unknown acknowledgement link")
    if alarm.status != AlarmStatus.FIRING:
        return alarm  # already acknowledged, silenced or resolved: nothing to do, say so on the page
    return alarm_acknowledge(actor=user, alarm=alarm, note="via link")
