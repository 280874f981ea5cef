"""Breach detection and the escalation ladder, run by the periodic sweeper, set-based.

Only due rows are read, through the partial indexes on running clocks (`sla_clock_due_idx` on due_at,
`sla_clock_step_idx` on next_step_at). A batch of due clocks is locked with FOR UPDATE SKIP LOCKED, so
a concurrent sweeper takes other rows, and everything the batch causes is written in bulk in the same
transaction: breach marks and their clock events, the EscalationFiring claims (unique per clock ×
step), the ticket timeline events and their outbox rows. The number of queries per batch does not
depend on how many rows it holds.

Exactly once: a clock is only touched under its row lock and re-read after it (`breached_at IS NULL`,
the clock's firings), and the claims commit together with their effects; a crash rolls the batch back,
so the next sweep does the work again, never twice. Reassigning and raising the priority go through
the tickets services one ticket at a time (rare); the people a step names are notified from the
outbox (the `escalated` ticket event, see sla/events.py).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from weibao.accounts.models import Role, User
from weibao.core import clock as core_clock
from weibao.core.errors import DomainError
from weibao.sla.calendars import work_calendar
from weibao.sla.clocks import position_moment, replay, step_seconds
from weibao.sla.models import Clock, ClockEvent, ClockState, EscalationAction, EscalationFiring, EscalationStep
from weibao.sla.workcal import WorkCalendar
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_assign, ticket_record_event, ticket_record_events, ticket_update

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
BATCH = 250
RAISE = {"p4": "p3", "p3": "p2", "p2": "p1"}


@dataclass
class SweepResult:
    breached: int = 0
    fired: int = 0
    failed: int = 0


# --- breaches ------------------------------------------------------------------------------------
def _breach_data(c: Clock) -> dict[str, Any]:
    moment = c.due_at or core_clock.now()
    return {"metric": c.metric, "due_at": moment.isoformat(), "target_minutes": c.target_minutes}


def breach_record(c: Clock) -> bool:
    """Mark one clock breached once (compare-and-set) and put it on the ticket's timeline (pause path)."""
    moment = c.due_at or core_clock.now()
    if not Clock.objects.filter(id=c.id, breached_at__isnull=True).update(breached_at=moment):
        return False
    c.breached_at = moment
    ClockEvent.objects.create(clock=c, kind="breached", at=moment, data={"target_minutes": c.target_minutes})
    ticket_record_event(actor=None, ticket=c.ticket, kind="sla_breached", data=_breach_data(c))
    return True


def due_breaches(now: datetime, size: int) -> Any:
    """The due, not yet breached running clocks in due order, locked; rows another sweeper holds are skipped."""
    return (Clock.objects.select_for_update(skip_locked=True)
            .filter(state=ClockState.RUNNING, breached_at__isnull=True, due_at__lte=now)
            .order_by("due_at").only("id", "ticket_id", "metric", "target_minutes", "due_at")[:size])


def _breach_batch(now: datetime, size: int) -> int:
    with transaction.atomic():
        rows = list(due_breaches(now, size))
        if not rows:
            return 0
        Clock.objects.filter(id__in=[c.id for c in rows]).update(breached_at=F("due_at"))
        ClockEvent.objects.bulk_create(ClockEvent(clock_id=c.id, kind="breached", at=c.due_at or now,
                                                  data={"target_minutes": c.target_minutes}) for c in rows)
        ticket_record_events(actor=None, kind="sla_breached", items=[(c.ticket_id, _breach_data(c)) for c in rows])
        return len(rows)


# --- escalation steps ----------------------------------------------------------------------------
@dataclass
class _Firing:
    clock: Clock
    step: EscalationStep
    moment: datetime


def _plan(clocks: list[Clock], now: datetime) -> list[_Firing]:
    """Which steps of the locked clocks are due now; sets each clock's next_step_at to its next pending step."""
    ids = [c.id for c in clocks]
    events: dict[int, list[ClockEvent]] = defaultdict(list)
    for e in ClockEvent.objects.filter(clock_id__in=ids).order_by("clock_id", "at", "id"):
        events[e.clock_id].append(e)
    done: dict[int, set[int]] = defaultdict(set)
    for clock_id, step_id in EscalationFiring.objects.filter(clock_id__in=ids).values_list("clock_id", "step_id"):
        done[clock_id].add(step_id)
    ladders: dict[tuple[int, str], list[EscalationStep]] = defaultdict(list)
    for s in EscalationStep.objects.filter(policy_id__in={c.policy_id for c in clocks}).order_by("percent", "extra_minutes"):
        ladders[(s.policy_id, s.metric)].append(s)
    calendars: dict[int, WorkCalendar] = {}
    plan: list[_Firing] = []
    for c in clocks:
        wc = calendars.get(c.calendar_id)
        if wc is None:
            wc = calendars[c.calendar_id] = work_calendar(c.calendar)
        r = replay(events[c.id])
        pending: list[datetime] = []
        for step in ladders[(c.policy_id, c.metric)]:
            if step.id in done[c.id]:
                continue
            moment = position_moment(wc, r, step_seconds(c, step))
            if moment is None:
                continue
            if moment <= now:
                plan.append(_Firing(c, step, moment))
            else:
                pending.append(moment)
        c.next_step_at = min(pending, default=None)
    return plan


def _act(ticket: Ticket, step: EscalationStep, managers: list[int]) -> tuple[Ticket, dict[str, Any]]:
    """The step's action on the ticket, through the tickets services (notify-only steps change nothing)."""
    result: dict[str, Any] = {}
    try:
        if step.action == EscalationAction.RAISE_PRIORITY and ticket.priority in RAISE:
            raised = RAISE[ticket.priority]
            ticket = ticket_update(actor=None, ticket=ticket, priority=raised)
            result["priority"] = raised
        elif step.action == EscalationAction.REASSIGN and managers and managers[0] != ticket.assignee_id:
            manager = User.objects.get(id=managers[0])
            ticket = ticket_assign(actor=None, ticket=ticket, assignee=manager)
            result["assignee"] = manager.id
    except DomainError as exc:  # e.g. the request is already closed: notify anyway, say why
        result["action_failed"] = exc.message
    return ticket, result


def _recipients(ticket: Ticket, who: list[str], managers: list[int]) -> set[int]:
    ids: set[int] = set()
    if "assignee" in who and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if "team_lead" in who and ticket.team_id and ticket.team and ticket.team.lead_id:
        ids.add(ticket.team.lead_id)
    if "service_manager" in who:
        ids |= set(managers)
    return ids


def _fire(plan: list[_Firing], now: datetime) -> int:
    if not plan:
        return 0
    # The claims: a second worker's (impossible under the row lock, kept as the guarantee) would fail the batch.
    firings = EscalationFiring.objects.bulk_create(
        EscalationFiring(clock=f.clock, step=f.step, fired_at=now, due_moment=f.moment, worker=WORKER) for f in plan)
    tickets = {t.id: t for t in Ticket.objects.select_related("team").filter(id__in={f.clock.ticket_id for f in plan})}
    needs_managers = any(f.step.action == EscalationAction.REASSIGN or "service_manager" in (f.step.notify or [])
                         for f in plan)
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").values_list("id", flat=True)) \
        if needs_managers else []
    items: list[tuple[int, dict[str, Any]]] = []
    for firing, f in zip(firings, plan, strict=True):
        ticket = tickets[f.clock.ticket_id]
        result: dict[str, Any] = {}
        if f.step.action != EscalationAction.NOTIFY:
            ticket, result = _act(ticket, f.step, managers)
            tickets[ticket.id] = ticket
        users = _recipients(ticket, list(f.step.notify or []), managers)
        items.append((ticket.id, {
            "metric": f.clock.metric, "percent": f.step.percent, "extra_minutes": f.step.extra_minutes,
            "action": f.step.action, "due_at": f.clock.due_at.isoformat() if f.clock.due_at else None,
            "notified": sorted(users), "firing": firing.id, **result}))
    ticket_record_events(actor=None, kind="escalated", items=items)
    return len(plan)


def due_steps(now: datetime, size: int, *, only: list[int] | None = None, skip: set[int] | None = None) -> Any:
    """Running clocks whose next escalation step has come, locked, skipping rows another sweeper holds."""
    qs = (Clock.objects.select_for_update(skip_locked=True, of=("self",)).select_related("calendar")
          .filter(state=ClockState.RUNNING, next_step_at__lte=now))
    if only is not None:
        qs = qs.filter(id__in=only)
    if skip:
        qs = qs.exclude(id__in=skip)
    return qs.order_by("next_step_at")[:size]


def _step_batch(now: datetime, size: int, *, seen: list[int], only: list[int] | None = None,
                skip: set[int] | None = None) -> tuple[int, int]:
    """(clocks handled, steps fired) for one batch, in one transaction; `seen` gets the locked ids."""
    with transaction.atomic():
        clocks = list(due_steps(now, size, only=only, skip=skip))
        seen[:] = [c.id for c in clocks]
        if not clocks:
            return 0, 0
        plan = _plan(clocks, now)
        Clock.objects.bulk_update(clocks, ["next_step_at"])
        return len(clocks), _fire(plan, now)


def sla_sweep(now: datetime | None = None, limit: int = 1000) -> SweepResult:
    """Flag breached clocks and fire due escalation steps; reads only rows that are due, in batches."""
    now = now or core_clock.now()
    result = SweepResult()
    while result.breached < limit:
        n = _breach_batch(now, min(BATCH, limit - result.breached))
        result.breached += n
        if n == 0:
            break
    handled = 0
    failed: set[int] = set()
    while handled < limit:
        seen: list[int] = []
        try:
            n, fired = _step_batch(now, min(BATCH, limit - handled), seen=seen, skip=failed)
        except Exception:  # one clock must not stop the others: retry the batch clock by clock
            log.exception("escalation batch of %d clocks failed; retrying one by one", len(seen))
            n, fired = len(seen), 0
            for clock_id in seen:
                one: list[int] = []
                try:
                    fired += _step_batch(now, 1, seen=one, only=[clock_id])[1]
                except Exception:  # rolled back whole; the next sweep retries it
                    log.exception("escalation of clock %s failed", clock_id)
                    failed.add(clock_id)
                    result.failed += 1
        result.fired += fired
        handled += n
        if n == 0:
            break
    return result
