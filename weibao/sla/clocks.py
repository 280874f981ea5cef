"""SLA clocks: started, paused, resumed, stopped and retargeted from ticket events; due times derived from the log.

The clock's history (ClockEvent) is the truth. `consumed_seconds` and `running_since` are replayed
from it with the clock's current calendar, so a new priority, policy or calendar moves the due time
while every paused span stays excluded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Min

from weibao.core import clock as core_clock
from weibao.customers.models import Contract
from weibao.sla.calendars import work_calendar
from weibao.sla.models import Clock, ClockEvent, ClockState, EscalationStep, Metric, Policy, Target, TicketCursor
from weibao.sla.workcal import WorkCalendar
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_due_set
from weibao.tickets.states import DONE, Status

DEFAULT_PAUSE = ["waiting_customer", "waiting_third_party"]
PAUSABLE = (Metric.RESOLUTION, Metric.SOLUTION_PLAN)
DONE_VALUES = {s.value for s in DONE}


# --- which policy and which target ---------------------------------------------------------------
def contract_for(ticket: Ticket) -> Contract | None:
    qs = Contract.objects.filter(organisation_id=ticket.organisation_id)
    if ticket.system_id:
        qs = qs.filter(systems__id=ticket.system_id)
    return qs.order_by("-end_date", "-id").first()


@dataclass
class _PassCache:
    """A pass reads each policy's targets and steps whole, once (a new request asks for three metrics' worth:
    one query each instead of six)."""

    policies: dict[tuple[int, int | None], Policy | None] = field(default_factory=dict)
    targets: dict[int, dict[tuple[str, str, str], int]] = field(default_factory=dict)  # policy: (metric, priority, type)
    calendars: dict[int, WorkCalendar] = field(default_factory=dict)
    steps: dict[int, dict[str, list[EscalationStep]]] = field(default_factory=dict)  # policy: metric: in ladder order


_pass: ContextVar[_PassCache | None] = ContextVar("sla_pass", default=None)
_due_deferred: ContextVar[set[int] | None] = ContextVar("sla_due_deferred", default=None)


@contextmanager
def sla_pass() -> Iterator[None]:
    """Inside, policies, targets, calendars and escalation steps are read once (an outbox pass of many events:
    a burst of new requests asks the same questions of the same few policies). Admin edits land between passes."""
    token = _pass.set(_PassCache())
    try:
        yield
    finally:
        _pass.reset(token)


@contextmanager
def _due_sync_once() -> Iterator[None]:
    """Clock changes inside copy their ticket's earliest due time once at the end, not once per clock."""
    pending: set[int] = set()
    token = _due_deferred.set(pending)
    try:
        yield
    finally:
        _due_deferred.reset(token)
    for ticket_id in sorted(pending):
        ticket_due_sync(ticket_id)


@dataclass
class DeferredWrites:
    """What a pass writes once for all its tickets: new clocks with their `started` events, and the tickets
    whose due time may have moved."""

    clocks: dict[int, list[tuple[Clock, ClockEvent]]] = field(default_factory=dict)
    due: set[int] = field(default_factory=set)

    def flush(self, ticket_ids: Iterable[int] | None = None) -> None:
        """Insert the kept new clocks (of these tickets, or all): a clock must exist before a later event of the
        same pass changes it (its log entries and its own save need the row)."""
        ids = list(self.clocks) if ticket_ids is None else [t for t in ticket_ids if t in self.clocks]
        pairs = [pair for t in ids for pair in self.clocks.pop(t)]
        if not pairs:
            return
        Clock.objects.bulk_create([c for c, _started in pairs])
        for c, started in pairs:
            started.clock = c
        ClockEvent.objects.bulk_create([started for _c, started in pairs])


_writes: ContextVar[DeferredWrites | None] = ContextVar("sla_writes", default=None)


@contextmanager
def deferred_writes() -> Iterator[DeferredWrites]:
    """Inside, new clocks are kept (not inserted) and due-time changes are collected: the caller writes both."""
    writes = DeferredWrites()
    token, due_token = _writes.set(writes), _due_deferred.set(writes.due)
    try:
        yield writes
    finally:
        _writes.reset(token)
        _due_deferred.reset(due_token)


def _policy_cached(ticket: Ticket) -> Policy | None:
    cache = _pass.get()
    if cache is None:
        return policy_for(ticket)
    key = (ticket.organisation_id, ticket.system_id)
    if key not in cache.policies:
        cache.policies[key] = policy_for(ticket)
    return cache.policies[key]


def policy_for(ticket: Ticket) -> Policy | None:
    """The contract's own policy, else the policy of its service level, else the default policy."""
    contract = contract_for(ticket)
    if contract is not None:
        own = Policy.objects.filter(contract=contract).first()
        if own is not None:
            return own
        by_level = Policy.objects.filter(contract__isnull=True, service_level=contract.service_level).first()
        if by_level is not None:
            return by_level
    return Policy.objects.filter(is_default=True).first()


def target_minutes(policy: Policy, metric: str, priority: str, request_type: str) -> int | None:
    """A target for the request type wins over the one for any type."""
    cache = _pass.get()
    if cache is None:
        rows = {t.request_type: t.minutes for t in Target.objects.filter(policy=policy, metric=metric, priority=priority,
                                                                         request_type__in=[request_type, ""])}
        return rows.get(request_type, rows.get(""))
    if policy.id not in cache.targets:
        cache.targets[policy.id] = {(t.metric, t.priority, t.request_type): t.minutes
                                    for t in Target.objects.filter(policy=policy).order_by()}
    targets = cache.targets[policy.id]
    found = targets.get((metric, priority, request_type))
    return found if found is not None else targets.get((metric, priority, ""))


def _calendar(c: Clock) -> WorkCalendar:
    cache = _pass.get()
    if cache is None:
        return work_calendar(c.calendar)
    if c.calendar_id not in cache.calendars:
        cache.calendars[c.calendar_id] = work_calendar(c.calendar)
    return cache.calendars[c.calendar_id]


def _steps(c: Clock) -> list[EscalationStep]:
    cache = _pass.get()
    if cache is None:
        return list(EscalationStep.objects.filter(policy_id=c.policy_id, metric=c.metric))
    if c.policy_id not in cache.steps:
        by_metric: dict[str, list[EscalationStep]] = {}
        for step in EscalationStep.objects.filter(policy_id=c.policy_id):  # the model's ladder order
            by_metric.setdefault(step.metric, []).append(step)
        cache.steps[c.policy_id] = by_metric
    return cache.steps[c.policy_id].get(c.metric, [])


# --- replay --------------------------------------------------------------------------------------
@dataclass
class Replay:
    closed: list[tuple[datetime, datetime]]  # running spans that ended (pause or stop)
    running_since: datetime | None
    paused: list[tuple[datetime, datetime | None]]


def replay(events: list[ClockEvent]) -> Replay:
    closed: list[tuple[datetime, datetime]] = []
    paused: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    pause_from: datetime | None = None
    for e in events:
        if e.kind in ("started", "resumed") and since is None:
            since = e.at
            if pause_from is not None:
                paused.append((pause_from, e.at))
                pause_from = None
        elif e.kind in ("paused", "stopped") and since is not None:
            closed.append((since, e.at))
            since = None
            if e.kind == "paused":
                pause_from = e.at
    if pause_from is not None:
        paused.append((pause_from, None))
    return Replay(closed, since, paused)


def position_moment(wc: WorkCalendar, r: Replay, seconds: int) -> datetime | None:
    """When the clock's working time reached `seconds` (past or future); None if paused before it."""
    acc = 0
    for a, b in r.closed:
        w = wc.between_seconds(int(a.timestamp()), int(b.timestamp()))
        if acc + w >= seconds:
            return datetime.fromtimestamp(wc.due_ts(int(a.timestamp()), seconds - acc), UTC)
        acc += w
    if r.running_since is None:
        return None
    return datetime.fromtimestamp(wc.due_ts(int(r.running_since.timestamp()), seconds - acc), UTC)


def consumed(wc: WorkCalendar, r: Replay, until: datetime | None = None) -> int:
    total = sum(wc.between_seconds(int(a.timestamp()), int(b.timestamp())) for a, b in r.closed)
    if r.running_since is not None and until is not None:
        total += wc.between_seconds(int(r.running_since.timestamp()), int(until.timestamp()))
    return total


def step_seconds(c: Clock, step: EscalationStep) -> int:
    return c.target_minutes * 60 * step.percent // 100 + step.extra_minutes * 60


def _derive(c: Clock, log: list[ClockEvent] | None) -> None:
    wc = _calendar(c)
    r = replay(log if log is not None else list(c.events.all()))
    c.consumed_seconds = consumed(wc, r)
    c.running_since = r.running_since
    c.due_at = position_moment(wc, r, c.target_minutes * 60)
    c.next_step_at = None
    if c.state == ClockState.RUNNING:
        steps = _steps(c)
        fired = set(c.firings.values_list("step_id", flat=True)) if steps and log is None else set()
        moments = [position_moment(wc, r, step_seconds(c, s)) for s in steps if s.id not in fired]
        c.next_step_at = min((m for m in moments if m is not None), default=None)


def refresh(c: Clock, *, log: list[ClockEvent] | None = None) -> None:
    """Recompute the derived fields from the log and save them. `log`: the clock's whole log, when the caller
    has it (a clock it just started), so it is not read back."""
    _derive(c, log)
    c.save()
    _due_changed(c.ticket_id)


def _due_changed(ticket_id: int) -> None:
    deferred = _due_deferred.get()
    if deferred is not None:
        deferred.add(ticket_id)
    else:
        ticket_due_sync(ticket_id)


def ticket_due_sync(ticket_id: int) -> None:
    """Copy the earliest due time of the request's running clocks onto the request (the queues' sort key).

    Every change of a clock's state or due time goes through `refresh`, which calls this, so the copy cannot
    drift; a clock that is paused or stopped no longer counts.
    """
    earliest = (Clock.objects.filter(ticket_id=ticket_id, state=ClockState.RUNNING, due_at__isnull=False)
                .aggregate(m=Min("due_at"))["m"])
    ticket_due_set(ticket_id=ticket_id, due_at=earliest)


def _log(c: Clock, kind: str, at: datetime, **data: Any) -> ClockEvent:
    return ClockEvent.objects.create(clock=c, kind=kind, at=at, data=data)


# --- transitions of a clock -----------------------------------------------------------------------
def _clock_insert(ticket: Ticket, metric: str, at: datetime, policy: Policy, minutes: int) -> Clock:
    """A new clock written once with its derived fields (its log is the one `started` event, nothing has fired).

    The caller (applying the ticket's first event) holds the ticket's cursor lock and read no clocks: only the
    event cursor starts clocks, so none can exist.
    """
    c = Clock(ticket=ticket, metric=metric, policy=policy, calendar=policy.calendar, target_minutes=minutes, started_at=at)
    started = ClockEvent(kind="started", at=at, data={"target_minutes": minutes, "policy": policy.name,
                                                     "calendar": policy.calendar.name, "priority": ticket.priority,
                                                     "type": ticket.type})
    writes = _writes.get()
    if writes is not None:  # a pass: inserted with the pass's other new clocks (`DeferredWrites.flush`)
        _derive(c, [started])
        writes.clocks.setdefault(ticket.id, []).append((c, started))
        _due_changed(ticket.id)
        return c
    refresh(c, log=[started])
    started.clock = c
    started.save(force_insert=True)
    return c


def clock_pause(c: Clock, at: datetime, reason: str) -> None:
    if c.state != ClockState.RUNNING:
        return
    c.state = ClockState.PAUSED
    _log(c, "paused", at, reason=reason)
    refresh(c)
    if c.breached_at is None and c.due_at is not None and c.due_at <= at:
        from weibao.sla.escalation import breach_record

        breach_record(c)


def clock_resume(c: Clock, at: datetime, reason: str) -> None:
    if c.state == ClockState.RUNNING:
        return
    c.state = ClockState.RUNNING
    c.stopped_at, c.met = None, None
    _log(c, "resumed", at, reason=reason)
    refresh(c)


def clock_stop(c: Clock, at: datetime, reason: str) -> None:
    if c.state == ClockState.STOPPED:
        return
    c.state = ClockState.STOPPED
    c.stopped_at = at
    _log(c, "stopped", at, reason=reason)
    refresh(c)
    c.met = c.consumed_seconds <= c.target_minutes * 60
    if not c.met and c.breached_at is None and c.due_at is not None:
        c.breached_at = c.due_at
    c.save(update_fields=["met", "breached_at"])


def clock_retarget(c: Clock, at: datetime, reason: str, *, ticket: Ticket, policy: Policy | None = None) -> None:
    """New priority / type / policy / calendar: same log, new target, due time recomputed (pauses kept)."""
    policy = policy or c.policy
    minutes = target_minutes(policy, c.metric, ticket.priority, ticket.type)
    if minutes is None:
        return
    if (minutes, policy.id, policy.calendar_id) == (c.target_minutes, c.policy_id, c.calendar_id):
        refresh(c)
        return
    before = {"target_minutes": c.target_minutes, "policy": c.policy.name, "calendar": c.calendar.name}
    c.target_minutes, c.policy, c.calendar = minutes, policy, policy.calendar
    _log(c, "target_changed", at, reason=reason, before=before,
         after={"target_minutes": minutes, "policy": policy.name, "calendar": policy.calendar.name})
    refresh(c)
    if c.breached_at is not None and c.due_at is not None and c.due_at > max(at, core_clock.now()):
        c.breached_at = None  # a longer target un-breaches a clock that had run out
        c.save(update_fields=["breached_at"])


def clock_follow_pause_statuses(c: Clock, at: datetime, status: str) -> None:
    """The policy's pause statuses changed: a pausable clock pauses if the request now sits in one of them and
    resumes if its status no longer pauses (events only pause or resume on a status change, so without this a
    request already waiting would keep its clock in the old state until it moved)."""
    if c.metric not in PAUSABLE or c.state == ClockState.STOPPED:
        return
    pause = set(c.policy.pause_statuses or [])
    if c.state == ClockState.RUNNING and status in pause:
        clock_pause(c, at, f"policy_changed:{status}")
    elif c.state == ClockState.PAUSED and status not in pause:
        clock_resume(c, at, "policy_changed")


# --- applying ticket events -----------------------------------------------------------------------
def _is_staff(user: Any) -> bool:
    from weibao.accounts.access import is_staff

    return user is not None and is_staff(user)


def apply_event(ticket: Ticket, event: TicketEvent, clocks: dict[str, Clock]) -> None:
    at = event.created_at
    if not clocks:  # first event seen (normally `created`): start every metric with a target
        policy = _policy_cached(ticket)  # the same for every metric: look it up once
        if policy is None:
            return
        for metric in Metric.values:
            minutes = target_minutes(policy, metric, ticket.priority, ticket.type)
            if minutes is not None:  # the locked read found no clock: insert without asking again
                clocks[metric] = _clock_insert(ticket, metric, ticket.created_at, policy, minutes)
    if not clocks:
        return
    pause = set(next(iter(clocks.values())).policy.pause_statuses or [])
    fr = clocks.get(Metric.FIRST_RESPONSE)
    data = event.data or {}
    if event.kind == "replied" and data.get("by_staff") and not data.get("internal") and fr is not None:
        clock_stop(fr, at, "replied")
    elif event.kind == "transitioned":
        frm, to = str(data.get("from", "")), str(data.get("to", ""))
        if fr is not None and _is_staff(event.actor):
            clock_stop(fr, at, f"transition:{data.get('transition', '')}")
        for metric in PAUSABLE:
            c = clocks.get(metric)
            if c is None:
                continue
            if to in DONE_VALUES:
                clock_stop(c, at, to)
            elif to in pause:
                clock_pause(c, at, to)
            elif frm in pause and c.state == ClockState.PAUSED:
                clock_resume(c, at, to)
            elif frm in DONE_VALUES and c.state == ClockState.STOPPED and not _plan_presented(c):
                clock_resume(c, at, to)  # reopened: the time since the resolution counts again
        if to in (Status.DECLINED.value, Status.MERGED.value) and fr is not None:
            clock_stop(fr, at, to)
    elif event.kind == "updated" and ({"priority", "type"} & set(event.after or {})):
        for c in clocks.values():
            clock_retarget(c, at, "updated:" + ",".join(sorted({"priority", "type"} & set(event.after))), ticket=ticket)
    elif event.kind == "solution_plan_presented":
        plan = clocks.get(Metric.SOLUTION_PLAN)
        if plan is not None:
            clock_stop(plan, at, "solution_plan_presented")


def _plan_presented(c: Clock) -> bool:
    """A solution-plan clock stopped by the plan itself stays stopped (reopening needs no second plan)."""
    return c.metric == Metric.SOLUTION_PLAN and c.events.filter(kind="stopped", data__reason="solution_plan_presented").exists()


def cursors_ensure(ticket_ids: list[int]) -> None:
    """Every ticket's cursor row, in one statement (a concurrent worker's rows are left as they are)."""
    TicketCursor.objects.bulk_create([TicketCursor(ticket_id=t) for t in ticket_ids], ignore_conflicts=True)


@transaction.atomic
def clocks_apply_ticket_events(ticket_id: int, up_to_event_id: int, *, cursor_made: bool = False) -> int:
    """Apply, once and in order, every not yet applied event of the ticket up to the given id.

    `cursor_made`: the caller already ensured the cursor row (`cursors_ensure`, one statement for a pass).
    """
    if not cursor_made:
        try:
            with transaction.atomic():
                TicketCursor.objects.get_or_create(ticket_id=ticket_id)
        except IntegrityError:
            pass  # created by a concurrent worker; the lock below waits for it
    cursor = TicketCursor.objects.select_for_update().filter(ticket_id=ticket_id).first()
    if cursor is None or cursor.last_event_id >= up_to_event_id:
        return 0
    ticket = Ticket.objects.get(id=ticket_id)
    events = list(TicketEvent.objects.select_related("actor").filter(
        ticket_id=ticket_id, id__gt=cursor.last_event_id, id__lte=up_to_event_id).order_by("id"))
    # Locked, so the sweeper (SKIP LOCKED) leaves them alone while they change, and what it wrote before is read fresh.
    clocks = {c.metric: c for c in Clock.objects.select_for_update(of=("self",)).select_related("policy", "calendar")
              .filter(ticket_id=ticket_id)}
    with _due_sync_once():
        for event in events:
            apply_event(ticket, event, clocks)
    cursor.last_event_id = up_to_event_id
    cursor.save(update_fields=["last_event_id"])
    return len(events)


def clocks_recompute(*, ticket: Ticket, policy: Policy | None = None) -> None:
    """After an administrator changed the ticket's policy (or its targets/calendar): retarget every clock."""
    with transaction.atomic():
        now = core_clock.now()
        for c in Clock.objects.select_for_update().select_related("policy", "calendar").filter(ticket=ticket):
            clock_retarget(c, now, "policy_changed", ticket=ticket, policy=policy or policy_for(ticket) or c.policy)


def clocks_recompute_calendar(calendar_id: int, limit: int = 10_000) -> int:
    """A calendar or its holidays changed: refresh the stored due times of its open clocks."""
    n = 0
    ids = list(Clock.objects.filter(calendar_id=calendar_id).exclude(state=ClockState.STOPPED)
               .values_list("id", flat=True)[:limit])
    for clock_id in ids:
        with transaction.atomic():
            c = Clock.objects.select_for_update().select_related("calendar").get(id=clock_id)
            refresh(c)
            n += 1
    return n
