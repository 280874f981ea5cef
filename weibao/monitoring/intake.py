"""Webhook intake: authenticate, parse, de-duplicate by fingerprint, damp flapping, apply in bulk.

A delivery is processed in one transaction with a fixed number of queries however many alerts it
holds (a 10,000-alert burst is the benchmark). Rejected deliveries leave only a Delivery row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.core.outbox import outbox_put
from weibao.core.rows import insert_rows, update_rows
from weibao.customers.models import System
from weibao.monitoring.models import Alarm, AlarmEvent, AlarmSource, Delivery, DeliveryOutcome, MaintenanceWindow, Probe, Severity
from weibao.monitoring.parsers import PARSERS, ParsedAlert, PayloadError
from weibao.monitoring.policy import flap_window, severity_policies
from weibao.monitoring.services import BATCH_TOPIC, apply_transition
from weibao.monitoring.sources import SystemResolver, alarm_source_authenticate
from weibao.monitoring.states import OPEN_STATUSES, AlarmStatus

log = logging.getLogger(__name__)
MAX_BODY = 5 * 1024 * 1024
FLAPPING_AFTER = 3  # re-fires inside the flap window before the alarm is marked flapping


@dataclass
class IntakeResult:
    http_status: int
    code: str
    message: str
    alerts: int = 0
    changed: int = 0
    delivery_id: int | None = None
    alarm_ids: list[int] = field(default_factory=list)


def _reject(source: AlarmSource | None, status: int, code: str, reason: str, body: bytes, remote: str, now: datetime) -> IntakeResult:
    delivery = Delivery.objects.create(
        source=source, received_at=now, outcome=DeliveryOutcome.REJECTED, http_status=status, reason=reason[:300],
        remote_addr=remote[:64], size=len(body), sha256=hashlib.sha256(body).hexdigest(),
    )
    log.warning("alarm webhook rejected (%s) from %s: %s", status, remote, reason)
    return IntakeResult(status, code, reason, delivery_id=delivery.id)


def delivery_receive(*, source_public_id: str, token: str, body: bytes, remote_addr: str = "") -> IntakeResult:
    """Everything a webhook call does. Returns what to answer; never raises for the caller's mistakes."""
    now = clock.now()
    source = AlarmSource.objects.filter(public_id=source_public_id).first()
    if not alarm_source_authenticate(source=source, raw=token):
        # The unauthenticated body is neither parsed nor kept; the row says who tried and when.
        return _reject(source if source and source.is_active else None, 401, "authentication_failed",
                       "missing or invalid source token", body, remote_addr, now)
    assert source is not None
    if len(body) > MAX_BODY:
        return _reject(source, 413, "too_large", f"body larger than {MAX_BODY} bytes", body, remote_addr, now)
    try:
        alerts = PARSERS[source.kind](body)
    except PayloadError as exc:
        return _reject(source, 400, "invalid", f"{source.kind} payload: {exc}", body, remote_addr, now)
    # The accepted body is committed before anything is applied: whatever happens next, it is kept.
    delivery = Delivery.objects.create(
        source=source, received_at=now, outcome=DeliveryOutcome.RECEIVED, http_status=202, remote_addr=remote_addr[:64],
        size=len(body), sha256=hashlib.sha256(body).hexdigest(), alerts=len(alerts), body=body.decode("utf-8", errors="replace"),
    )
    return _apply(delivery, source, alerts, now)


def _apply(delivery: Delivery, source: AlarmSource, alerts: list[ParsedAlert], now: datetime) -> IntakeResult:
    for attempt in range(3):
        try:
            return _ingest(delivery, source, alerts, now)
        except IntegrityError:
            # Two deliveries raced to open the same alarm; the loser re-reads and attaches to it.
            if attempt < 2:
                continue
            reason = "conflicting concurrent deliveries"
        except Exception as exc:
            log.exception("alarm delivery %s could not be applied", delivery.id)
            reason = f"{type(exc).__name__}: {exc}"
        # Kept with its body for `delivery_replay`; the sender sees a 5xx and retries (replays are harmless).
        Delivery.objects.filter(id=delivery.id).update(outcome=DeliveryOutcome.FAILED, http_status=500, reason=reason[:300])
        return IntakeResult(500, "processing_failed", "the delivery was stored but could not be applied; it will be replayed",
                            alerts=len(alerts), delivery_id=delivery.id)
    raise AssertionError("unreachable")


def _ingest(delivery: Delivery, source: AlarmSource, alerts: list[ParsedAlert], now: datetime) -> IntakeResult:
    with transaction.atomic():
        events, touched = alarm_ingest(source=source, alerts=alerts, now=now)
        changed = len({e.alarm_id for e in events})
        if events:
            outbox_put(topic=BATCH_TOPIC, key=f"delivery:{delivery.id}",
                       payload={"event_ids": [e.id for e in events], "delivery_id": delivery.id})
        outcome = DeliveryOutcome.ACCEPTED if events else DeliveryOutcome.DUPLICATE
        Delivery.objects.filter(id=delivery.id).update(outcome=outcome, changed=changed, http_status=200, reason="")
        AlarmSource.objects.filter(id=source.id).update(last_delivery_at=now)
    return IntakeResult(200, "ok", "accepted", alerts=len(alerts), changed=changed, delivery_id=delivery.id, alarm_ids=touched)


def delivery_replay(*, delivery: Delivery) -> IntakeResult:
    """Apply a stored delivery again (one that failed, or any: replaying an applied one changes nothing)."""
    source = delivery.source
    if source is None:
        raise ValidationFailed("This delivery has no source any more")
    if delivery.outcome == DeliveryOutcome.REJECTED:
        raise ValidationFailed("A rejected delivery has no body to replay")
    try:
        alerts = PARSERS[source.kind](delivery.body.encode())
    except PayloadError as exc:
        raise ValidationFailed(f"The stored body no longer parses: {exc}") from None
    return _apply(delivery, source, alerts, clock.now())


def deliveries_replay_failed(*, limit: int = 100) -> int:
    """The sweeper: replay deliveries that were stored but not applied (crash, database error)."""
    stale = clock.now() - timedelta(minutes=2)
    pending = Delivery.objects.filter(Q(outcome=DeliveryOutcome.FAILED) | Q(outcome=DeliveryOutcome.RECEIVED, received_at__lt=stale))
    done = 0
    for delivery in pending.select_related("source").order_by("id")[:limit]:
        done += delivery_replay(delivery=delivery).http_status == 200
    return done


def _dedup_key(source: AlarmSource | None, fingerprint: str) -> str:
    # built-in probes have no source: their fingerprint is the probe's id
    return f"s{source.id}:{fingerprint}" if source is not None else f"probe:{fingerprint}"


def _windows(systems: set[int], now: datetime) -> set[int]:
    if not systems:
        return set()
    return set(
        MaintenanceWindow.objects.filter(system_id__in=systems, starts_at__lte=now, ends_at__gt=now).values_list("system_id", flat=True)
    )


def alarm_ingest(*, source: AlarmSource | None, alerts: list[ParsedAlert], now: datetime,
                 probes: dict[str, Probe] | None = None) -> tuple[list[AlarmEvent], list[int]]:
    """Apply parsed alerts (inside the caller's transaction). Returns the saved events and the touched alarm ids.

    `probes` (fingerprint → probe) is given by the probe runner: the probe names the system."""
    resolver = SystemResolver(source)
    probes = probes or {}
    resolver.prime(a.labels for a in alerts if a.fingerprint not in probes)
    keys = {_dedup_key(source, a.fingerprint) for a in alerts}
    open_alarms = {a.dedup_key: a for a in Alarm.objects.select_for_update().filter(dedup_key__in=keys, status__in=list(OPEN_STATUSES))}
    missing = {_dedup_key(source, a.fingerprint) for a in alerts if a.firing} - set(open_alarms)
    policies = severity_policies()
    recent: dict[str, Alarm] = {}
    if missing:
        widest = max(flap_window(policies, severity, source) for severity in {*Severity.values, *(a.severity for a in alerts)})
        for old in (Alarm.objects.filter(dedup_key__in=missing, status=AlarmStatus.RESOLVED, resolved_at__gte=now - widest)
                    .order_by("dedup_key", "-id")):
            if old.dedup_key not in recent and old.resolved_at is not None \
                    and old.resolved_at >= now - flap_window(policies, old.severity, source):
                recent[old.dedup_key] = old
    systems: dict[str, System | None] = {}
    for a in alerts:
        probe = probes.get(a.fingerprint)
        systems[a.fingerprint] = probe.system if probe is not None else resolver.resolve(a.labels)
    in_maintenance = _windows({s.id for s in systems.values() if s is not None}, now)

    new_alarms: list[Alarm] = []
    new_events: list[tuple[Alarm, str, dict[str, object]]] = []
    events: list[AlarmEvent] = []
    dirty: dict[int, Alarm] = {}
    seen_only: list[int] = []
    for a in alerts:
        key = _dedup_key(source, a.fingerprint)
        alarm: Alarm | None = open_alarms.get(key)
        if a.firing:
            if alarm is not None:
                if alarm.id is not None:
                    seen_only.append(alarm.id)
                continue  # already open: a repeat notification changes nothing
            previous = recent.pop(key, None)
            if previous is not None:
                events.append(apply_transition(previous, "refire", now=now, actor=None, data={"fire_count": previous.fire_count + 1}))
                previous.last_seen_at = now
                previous.flapping = previous.flapping or previous.fire_count >= FLAPPING_AFTER
                open_alarms[key] = previous
                dirty[previous.id] = previous
                continue
            system = systems[a.fingerprint]
            silenced = system is not None and system.id in in_maintenance
            alarm = Alarm(
                source=source, probe=probes.get(a.fingerprint), dedup_key=key, fingerprint=a.fingerprint, severity=a.severity, name=a.name,
                summary=a.summary, description=a.description, labels=a.labels, annotations=a.annotations | a.extra_text(),
                group_key=a.group_key, generator_url=a.generator_url, system=system,
                organisation_id=system.organisation_id if system is not None else None,
                starts_at=a.starts_at or now, last_seen_at=now,
                status=AlarmStatus.SILENCED if silenced else AlarmStatus.FIRING,
            )
            new_alarms.append(alarm)
            open_alarms[key] = alarm
            new_events.append((alarm, "fired", {"maintenance": silenced, "severity": a.severity}))
        else:
            if alarm is None:
                continue  # recovery of something already resolved (or never seen): nothing to change
            if alarm.ends_at is None and a.ends_at is not None:
                alarm.ends_at = a.ends_at
            events.append(apply_transition(alarm, "resolve", now=now, actor=None, data={"ends_at": a.ends_at.isoformat() if a.ends_at else None}))
            hold = policies[alarm.severity].recovery_hold
            # the incident hears of the recovery only once it has held (monitoring_sweep); a re-fire cancels it
            alarm.recovery_due_at = now + hold if hold else None
            if alarm.recovery_due_at is not None:
                events[-1].data["recovery_due_at"] = alarm.recovery_due_at.isoformat()
            alarm.last_seen_at = now
            open_alarms.pop(key)
            if alarm.id is not None:
                dirty[alarm.id] = alarm

    if new_alarms:
        insert_rows(Alarm, new_alarms, now=now)
        events[:0] = [AlarmEvent(alarm_id=alarm.pk, kind=kind, before={}, after={"status": alarm.status}, data=data, created_at=now)
                      for alarm, kind, data in new_events]
    if dirty:
        _save_changes(list(dirty.values()), now)
    if seen_only:
        Alarm.objects.filter(id__in=seen_only).update(last_seen_at=now)
    for event in events:
        if event.alarm_id is None:
            event.alarm_id = event.alarm.id
    saved = insert_rows(AlarmEvent, events, now=now)
    touched = sorted({a.id for a in open_alarms.values() if a.id is not None} | set(dirty) | {e.alarm_id for e in saved})
    return saved, touched


def _save_changes(alarms: list[Alarm], now: datetime) -> None:
    """Write changed alarms. Recoveries (the bulk of a burst) share their values, so they go in one UPDATE
    per distinct end time instead of Django's bulk_update, whose CASE-per-row statement grows with the batch."""
    resolved: dict[tuple[datetime | None, datetime | None], list[int]] = {}
    others: list[Alarm] = []
    for alarm in alarms:
        if alarm.status == AlarmStatus.RESOLVED:
            resolved.setdefault((alarm.ends_at, alarm.recovery_due_at), []).append(alarm.id)
        else:
            others.append(alarm)
    for (ends_at, due), ids in resolved.items():
        Alarm.objects.filter(id__in=ids).update(status=AlarmStatus.RESOLVED, resolved_at=now, ends_at=ends_at or now, last_seen_at=now,
                                                recovery_due_at=due, updated_at=now)
    for alarm in others:
        alarm.updated_at = now
    update_rows(Alarm, others, ["status", "resolved_at", "ends_at", "acknowledged_at", "acknowledged_by", "fire_count",
                                "flapping", "last_seen_at", "recovery_due_at", "updated_at"])


def deliveries_prune(*, older_than: timedelta = timedelta(days=90)) -> int:
    """Keep the delivery log bounded; alarms and their events are kept."""
    cutoff = clock.now() - older_than
    deleted, _ = Delivery.objects.filter(Q(received_at__lt=cutoff)).delete()
    return deleted
