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
from weibao.core.outbox import outbox_put
from weibao.customers.models import System
from weibao.monitoring.models import Alarm, AlarmEvent, AlarmSource, Delivery, DeliveryOutcome, MaintenanceWindow, Probe
from weibao.monitoring.parsers import PARSERS, ParsedAlert, PayloadError
from weibao.monitoring.policy import flap_window
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
    for attempt in range(3):
        try:
            return _ingest(source, alerts, body, remote_addr, now)
        except IntegrityError:
            # Two deliveries raced to open the same alarm; the loser re-reads and attaches to it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _ingest(source: AlarmSource, alerts: list[ParsedAlert], body: bytes, remote: str, now: datetime) -> IntakeResult:
    with transaction.atomic():
        delivery = Delivery.objects.create(
            source=source, received_at=now, outcome=DeliveryOutcome.ACCEPTED, http_status=200, remote_addr=remote[:64],
            size=len(body), sha256=hashlib.sha256(body).hexdigest(), alerts=len(alerts),
            body=body.decode("utf-8", errors="replace"),
        )
        events, touched = alarm_ingest(source=source, alerts=alerts, now=now)
        changed = len({e.alarm_id for e in events})
        if events:
            outbox_put(topic=BATCH_TOPIC, key=f"delivery:{delivery.id}",
                       payload={"event_ids": [e.id for e in events], "delivery_id": delivery.id})
        else:
            delivery.outcome = DeliveryOutcome.DUPLICATE
        delivery.changed = changed
        delivery.save(update_fields=["outcome", "changed"])
        AlarmSource.objects.filter(id=source.id).update(last_delivery_at=now)
    return IntakeResult(200, "ok", "accepted", alerts=len(alerts), changed=changed, delivery_id=delivery.id, alarm_ids=touched)


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
    keys = {_dedup_key(source, a.fingerprint) for a in alerts}
    open_alarms = {a.dedup_key: a for a in Alarm.objects.select_for_update().filter(dedup_key__in=keys, status__in=list(OPEN_STATUSES))}
    missing = {_dedup_key(source, a.fingerprint) for a in alerts if a.firing} - set(open_alarms)
    recent: dict[str, Alarm] = {}
    if missing:
        window = flap_window()
        for old in (Alarm.objects.filter(dedup_key__in=missing, status=AlarmStatus.RESOLVED, resolved_at__gte=now - window)
                    .order_by("dedup_key", "-id")):
            recent.setdefault(old.dedup_key, old)
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
            alarm.last_seen_at = now
            open_alarms.pop(key)
            if alarm.id is not None:
                dirty[alarm.id] = alarm

    if new_alarms:
        Alarm.objects.bulk_create(new_alarms)
        for alarm, kind, data in new_events:
            after = {"status": alarm.status}
            events.insert(0, AlarmEvent(alarm=alarm, kind=kind, before={}, after=after, data=data, created_at=now))
    if dirty:
        _save_changes(list(dirty.values()), now)
    if seen_only:
        Alarm.objects.filter(id__in=seen_only).update(last_seen_at=now)
    for event in events:
        event.alarm_id = event.alarm.id
    saved = AlarmEvent.objects.bulk_create(events) if events else []
    touched = sorted({a.id for a in open_alarms.values() if a.id is not None} | set(dirty) | {e.alarm_id for e in saved})
    return saved, touched


def _save_changes(alarms: list[Alarm], now: datetime) -> None:
    """Write changed alarms. Recoveries (the bulk of a burst) share their values, so they go in one UPDATE
    per distinct end time instead of Django's bulk_update, whose CASE-per-row statement grows with the batch."""
    resolved: dict[datetime | None, list[int]] = {}
    others: list[Alarm] = []
    for alarm in alarms:
        if alarm.status == AlarmStatus.RESOLVED:
            resolved.setdefault(alarm.ends_at, []).append(alarm.id)
        else:
            others.append(alarm)
    for ends_at, ids in resolved.items():
        Alarm.objects.filter(id__in=ids).update(status=AlarmStatus.RESOLVED, resolved_at=now, ends_at=ends_at or now, last_seen_at=now)
    if others:
        Alarm.objects.bulk_update(others, ["status", "resolved_at", "ends_at", "acknowledged_at", "acknowledged_by", "fire_count",
                                           "flapping", "last_seen_at"])


def deliveries_prune(*, older_than: timedelta = timedelta(days=90)) -> int:
    """Keep the delivery log bounded; alarms and their events are kept."""
    cutoff = clock.now() - older_than
    deleted, _ = Delivery.objects.filter(Q(received_at__lt=cutoff)).delete()
    return deleted
