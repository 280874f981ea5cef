"""Probe services: create monitored items, run due probes in rounds, turn failures into alarms, heartbeats."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.outbox import outbox_put
from weibao.core.rows import insert_rows, update_values
from weibao.customers.models import System
from weibao.monitoring.checkers import Outcome, ProbeSpec, run_checks
from weibao.monitoring.config import probe_validate
from weibao.monitoring.intake import alarm_ingest
from weibao.monitoring.models import Probe, ProbeKind, ProbeResult, ProbeState
from weibao.monitoring.parsers import ParsedAlert
from weibao.monitoring.services import BATCH_TOPIC
from weibao.monitoring.sources import token_hash

ROUND_SIZE = 5000
CONCURRENCY = 200  # checks in flight at once (worker tasks); each holds at most one connection


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


# What a round reads of each due probe: plain values, no model instances (5,000 per round).
RUN_FIELDS = ("id", "kind", "target", "timeout_seconds", "expected_status", "keyword", "max_response_ms", "tls_warn_days",
              "dns_expect", "interval_seconds", "failures_before_alarm", "consecutive_failures", "state")
STATE_FIELDS = ("consecutive_failures", "state", "last_checked_at", "last_response_ms", "last_error", "next_run_at")


@dataclass(slots=True)
class ProbeRun:
    """One due probe as a round sees it."""

    id: int
    kind: str
    target: str
    timeout_seconds: float
    expected_status: int | None
    keyword: str
    max_response_ms: int | None
    tls_warn_days: int
    dns_expect: str
    interval_seconds: int
    failures_before_alarm: int
    consecutive_failures: int
    state: str

    @classmethod
    def of(cls, probe: Probe) -> ProbeRun:
        return cls(*(getattr(probe, name) for name in RUN_FIELDS))

    def spec(self) -> ProbeSpec:
        return ProbeSpec(id=self.id, kind=self.kind, target=self.target, timeout=self.timeout_seconds,
                         expected_status=self.expected_status, keyword=self.keyword, max_response_ms=self.max_response_ms,
                         tls_warn_days=self.tls_warn_days, dns_expect=self.dns_expect)


def _alert(probe: Probe, firing: bool, error: str) -> ParsedAlert:
    return ParsedAlert(
        fingerprint=str(probe.id), firing=firing, name=probe.name, severity=probe.severity,
        summary=f"{probe.name}: {error}"[:500] if error else probe.name, description=error,
        labels={"alertname": probe.name, "probe": probe.kind, "target": probe.target[:200]}, annotations={},
        starts_at=None, ends_at=None,
    )


def probe_outcomes_apply(runs: dict[int, ProbeRun], outcomes: list[Outcome], now: datetime) -> int:
    """Store a round's results and open/resolve alarms, in one transaction with a fixed number of statements:
    the last result of every probe (one executemany), a history row only for failures and changes of state,
    and the alarm work only for the probes that crossed their threshold. Returns the alarm changes."""
    state_rows: list[tuple[Any, ...]] = []
    cert_rows: list[tuple[int, datetime]] = []
    history: list[ProbeResult] = []
    crossing: dict[int, tuple[bool, str]] = {}
    for outcome in outcomes:
        run = runs[outcome.probe_id]
        was_failing = run.consecutive_failures >= run.failures_before_alarm
        failures = 0 if outcome.ok else run.consecutive_failures + 1
        if not outcome.ok or outcome.state != run.state:
            history.append(ProbeResult(probe_id=run.id, checked_at=now, state=outcome.state, response_ms=outcome.response_ms,
                                       error=outcome.error[:500]))
        state_rows.append((run.id, failures, outcome.state, now, outcome.response_ms, outcome.error[:500],
                           now + timedelta(seconds=run.interval_seconds)))
        if outcome.cert_expires_at is not None:
            cert_rows.append((run.id, outcome.cert_expires_at))
        failing = failures >= run.failures_before_alarm
        if failing and not was_failing:
            crossing[run.id] = (True, outcome.error)
        elif was_failing and outcome.ok:
            crossing[run.id] = (False, "")
        run.consecutive_failures, run.state = failures, outcome.state
    with transaction.atomic():
        update_values(Probe, STATE_FIELDS, state_rows)
        update_values(Probe, ("cert_expires_at",), cert_rows)
        insert_rows(ProbeResult, history, now=now)
        if not crossing:
            return 0
        probes = {str(p.id): p for p in Probe.objects.select_related("system").filter(id__in=crossing)}
        alerts = [_alert(probes[str(pid)], firing, error) for pid, (firing, error) in crossing.items() if str(pid) in probes]
        events, _touched = alarm_ingest(source=None, alerts=alerts, now=now, probes=probes)
        if events:
            outbox_put(topic=BATCH_TOPIC, key=f"probes:{uuid.uuid4().hex}", payload={"event_ids": [e.id for e in events]})
        return len(events)


def probes_run_round(*, now: datetime | None = None, limit: int = ROUND_SIZE, concurrency: int = CONCURRENCY) -> int:
    """Run the probes that are due now (at most `limit`). Returns how many ran."""
    now = now or clock.now()
    due = [ProbeRun(*row) for row in
           Probe.objects.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), enabled=True)
           .exclude(kind=ProbeKind.HEARTBEAT).order_by("next_run_at").values_list(*RUN_FIELDS)[:limit]]
    if not due:
        return 0
    outcomes = asyncio.run(run_checks([run.spec() for run in due], concurrency=concurrency))
    probe_outcomes_apply({run.id: run for run in due}, outcomes, clock.now())
    return len(due)


def probe_results_prune(*, older_than: timedelta = timedelta(days=90)) -> int:
    deleted, _ = ProbeResult.objects.filter(checked_at__lt=clock.now() - older_than).delete()
    return deleted


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
        probe_outcomes_apply({probe.id: ProbeRun.of(probe)}, [Outcome(probe.id, ProbeState.UP)], now)
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
    probe_outcomes_apply({p.id: ProbeRun.of(p) for p in late.values()}, outcomes, now)
    return len(late)


def timezone_str(moment: datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"
