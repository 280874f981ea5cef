"""Probe services: create monitored items, run due probes in rounds, turn failures into alarms, heartbeats."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.outbox import outbox_put
from weibao.customers.models import System
from weibao.monitoring.checkers import Outcome, ProbeSpec, run_checks
from weibao.monitoring.config import probe_validate
from weibao.monitoring.intake import alarm_ingest
from weibao.monitoring.models import Probe, ProbeKind, ProbeState
from weibao.monitoring.parsers import ParsedAlert
from weibao.monitoring.services import BATCH_TOPIC
from weibao.monitoring.sources import token_hash

ROUND_SIZE = 5000


@dataclass(frozen=True)
class NewProbe:
    probe: Probe
    heartbeat_token: str  # only for heartbeat probes, shown once


def probe_create(*, actor: User | None, system: System, name: str, kind: str, target: str = "", **options: Any) -> NewProbe:
    if actor is not None:
        access.require(access.is_manager_or_admin(actor), _("只有服务经理或管理员可以修改监控设置。"))
    options = probe_validate(kind=kind, name=name, target=target, options=options)
    raw = ""
    with transaction.atomic():
        probe = Probe(system=system, name=name.strip()[:200], kind=kind, target=target.strip(), next_run_at=clock.now(), **options)
        if kind == ProbeKind.HEARTBEAT:
            raw = "hb_" + secrets.token_urlsafe(24)
            probe.heartbeat_token_hash = token_hash(raw)
            probe.last_heartbeat_at = clock.now()  # the first period starts now, not at the epoch
        probe.save()
    return NewProbe(probe, raw)


def _spec(p: Probe) -> ProbeSpec:
    return ProbeSpec(id=p.id, kind=p.kind, target=p.target, timeout=p.timeout_seconds, expected_status=p.expected_status,
                     keyword=p.keyword, max_response_ms=p.max_response_ms, tls_warn_days=p.tls_warn_days, dns_expect=p.dns_expect)


def _alert(probe: Probe, firing: bool, error: str) -> ParsedAlert:
    return ParsedAlert(
        fingerprint=str(probe.id), firing=firing, name=probe.name, severity=probe.severity,
        summary=f"{probe.name}: {error}"[:500] if error else probe.name, description=error,
        labels={"alertname": probe.name, "probe": probe.kind, "target": probe.target[:200]}, annotations={},
        starts_at=None, ends_at=None,
    )


def probe_outcomes_apply(probes: dict[int, Probe], outcomes: list[Outcome], now: datetime) -> int:
    """Store the round's results and open/resolve alarms; one transaction, bulk writes. Returns alarm changes."""
    alerts: list[ParsedAlert] = []
    by_fp: dict[str, Probe] = {}
    for outcome in outcomes:
        probe = probes[outcome.probe_id]
        was_failing = probe.consecutive_failures >= probe.failures_before_alarm
        probe.consecutive_failures = 0 if outcome.ok else probe.consecutive_failures + 1
        probe.state = outcome.state
        probe.last_checked_at = now
        probe.last_response_ms = outcome.response_ms
        probe.last_error = outcome.error[:500]
        probe.next_run_at = now + timedelta(seconds=probe.interval_seconds)
        if outcome.cert_expires_at is not None:
            probe.cert_expires_at = outcome.cert_expires_at
        failing = probe.consecutive_failures >= probe.failures_before_alarm
        if failing and not was_failing:
            alerts.append(_alert(probe, True, outcome.error))
        elif was_failing and outcome.ok:
            alerts.append(_alert(probe, False, ""))
        by_fp[str(probe.id)] = probe
    with transaction.atomic():
        _save_states(list(probes.values()))
        if not alerts:
            return 0
        events, _touched = alarm_ingest(source=None, alerts=alerts, now=now, probes=by_fp)
        if events:
            outbox_put(topic=BATCH_TOPIC, key=f"probes:{uuid.uuid4().hex}", payload={"event_ids": [e.id for e in events]})
        return len(events)


STATE_FIELDS = ["consecutive_failures", "state", "last_checked_at", "last_response_ms", "last_error", "next_run_at", "cert_expires_at"]


def _save_states(probes: list[Probe]) -> None:
    """One prepared UPDATE executed for every probe (executemany): Django's bulk_update builds a CASE per row,
    which costs seconds for a 5,000-probe round."""
    meta = Probe._meta
    fields: list[Any] = [meta.get_field(name) for name in STATE_FIELDS]
    qn = connection.ops.quote_name
    # identifiers come from the model's own metadata, never from input; values are parameters
    assignments = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(str(meta.pk.column))} = %s"  # type: ignore[union-attr]  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(p, f.attname), connection) for f in fields] + [p.pk] for p in probes]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def probes_run_round(*, now: datetime | None = None, limit: int = ROUND_SIZE) -> int:
    """Run the probes that are due now (at most `limit`). Returns how many ran."""
    now = now or clock.now()
    due = list(Probe.objects.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), enabled=True)
               .exclude(kind=ProbeKind.HEARTBEAT)
               .select_related("system").order_by("next_run_at")[:limit])
    if not due:
        return 0
    outcomes = asyncio.run(run_checks([_spec(p) for p in due]))
    probe_outcomes_apply({p.id: p for p in due}, outcomes, clock.now())
    return len(due)


def probes_run_due(*, budget_seconds: float = 50.0) -> int:
    """The periodic task: rounds until nothing is due or the minute is nearly over."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < budget_seconds:
        ran = probes_run_round()
        total += ran
        if ran < ROUND_SIZE:
            break
    return total + heartbeats_check()


# --- heartbeats ----------------------------------------------------------------------------------


def heartbeat_checkin(*, token: str) -> Probe | None:
    """The customer's job calls its URL: record it; a missing-heartbeat alarm recovers."""
    if not token:
        return None
    probe = Probe.objects.select_related("system").filter(kind=ProbeKind.HEARTBEAT, heartbeat_token_hash=token_hash(token),
                                                          enabled=True).first()
    if probe is None:
        return None
    now = clock.now()
    Probe.objects.filter(id=probe.id).update(last_heartbeat_at=now)
    probe.last_heartbeat_at = now
    if probe.consecutive_failures:
        probe_outcomes_apply({probe.id: probe}, [Outcome(probe.id, ProbeState.UP)], now)
    return probe


def heartbeats_check(*, now: datetime | None = None) -> int:
    """A heartbeat is missed when none came within its interval plus its timeout (the grace)."""
    now = now or clock.now()
    late: dict[int, Probe] = {}
    for probe in Probe.objects.filter(kind=ProbeKind.HEARTBEAT, enabled=True).select_related("system"):
        last = probe.last_heartbeat_at or probe.created_at
        deadline = last + timedelta(seconds=probe.interval_seconds + probe.timeout_seconds)
        # check each missed period once: next_run_at remembers the last period judged
        if now > deadline and (probe.next_run_at is None or probe.next_run_at <= now):
            late[probe.id] = probe
    if not late:
        return 0
    outcomes = [Outcome(p.id, ProbeState.DOWN, error=f"no heartbeat since {timezone_str(p.last_heartbeat_at)}") for p in late.values()]
    probe_outcomes_apply(late, outcomes, now)
    return len(late)


def timezone_str(moment: datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"
