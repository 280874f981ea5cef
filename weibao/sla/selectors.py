"""Reads: the structured explanation of a ticket's deadlines (API, ticket page panel)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from weibao.core import clock as core_clock
from weibao.sla.calendars import work_calendar
from weibao.sla.clocks import position_moment, replay, step_seconds
from weibao.sla.models import Clock, ClockState, EscalationStep
from weibao.tickets.models import Ticket

MAX_SPANS = 400  # a month of working days with a lunch break; keeps one answer bounded


@dataclass
class Span:
    start: str
    end: str
    minutes: float


@dataclass
class Explanation:
    metric: str
    state: str
    policy: str
    calendar: str
    time_zone: str
    target_minutes: int
    started_at: str
    due_at: str | None
    breached_at: str | None
    stopped_at: str | None
    met: bool | None
    consumed_minutes: float
    remaining_minutes: float
    counted: list[Span] = field(default_factory=list)
    paused: list[dict[str, Any]] = field(default_factory=list)
    holidays: list[dict[str, str]] = field(default_factory=list)
    makeup_workdays: list[dict[str, str]] = field(default_factory=list)
    target_changes: list[dict[str, Any]] = field(default_factory=list)
    escalation: list[dict[str, Any]] = field(default_factory=list)


def _iso(moment: datetime | None, tz: Any) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


def clock_explain(c: Clock, *, internal: bool = True, now: datetime | None = None) -> Explanation:
    now = now or core_clock.now()
    wc = work_calendar(c.calendar)
    tz = wc.tz
    events = list(c.events.all())
    r = replay(events)
    target = c.target_minutes * 60
    used = sum(wc.between_seconds(int(a.timestamp()), int(b.timestamp())) for a, b in r.closed)
    running = [(a, b) for a, b in r.closed]
    if r.running_since is not None:
        used += wc.between_seconds(int(r.running_since.timestamp()), int(now.timestamp()))
        horizon = max(now, c.due_at) if c.due_at else now
        running.append((r.running_since, horizon))
    counted: list[Span] = []
    left = target
    for a, b in running:
        for s, e in wc.spans_between(a, b):
            if left <= 0 or len(counted) >= MAX_SPANS:
                break
            seconds = min(int((e - s).total_seconds()), left)
            e = s + timedelta(seconds=seconds)
            left -= seconds
            counted.append(Span(_iso(s, tz) or "", _iso(e, tz) or "", seconds / 60))
    last = c.due_at or c.stopped_at or now
    first_day = c.started_at.astimezone(tz).date()
    last_day = max(last, now if c.state != ClockState.STOPPED else last).astimezone(tz).date()
    holidays = [{"date": d.isoformat(), "name": n} for d, n in sorted(wc.holidays.items()) if first_day <= d <= last_day]
    makeup = [{"date": d.isoformat(), "name": n} for d, n in sorted(wc.makeup_days.items()) if first_day <= d <= last_day]
    paused = []
    for p_from, p_to in r.paused:
        until = p_to or now
        paused.append({"start": _iso(p_from, tz), "end": _iso(p_to, tz), "working_minutes_excluded":
                       wc.between_seconds(int(p_from.timestamp()), int(until.timestamp())) / 60})
    changes = [{"at": _iso(e.at, tz), **e.data} for e in events if e.kind == "target_changed"]
    ladder: list[dict[str, Any]] = []
    if internal:
        fired = {f.step_id: f.fired_at for f in c.firings.all()}
        for step in EscalationStep.objects.filter(policy_id=c.policy_id, metric=c.metric).order_by("percent", "extra_minutes"):
            ladder.append({"percent": step.percent, "extra_minutes": step.extra_minutes, "notify": step.notify,
                           "action": step.action, "at": _iso(position_moment(wc, r, step_seconds(c, step)), tz),
                           "fired_at": _iso(fired.get(step.id), tz)})
    return Explanation(
        metric=c.metric, state=c.state, policy=c.policy.name, calendar=c.calendar.name, time_zone=c.calendar.time_zone,
        target_minutes=c.target_minutes, started_at=_iso(c.started_at, tz) or "", due_at=_iso(c.due_at, tz),
        breached_at=_iso(c.breached_at, tz), stopped_at=_iso(c.stopped_at, tz), met=c.met,
        consumed_minutes=used / 60, remaining_minutes=max(0, target - used) / 60, counted=counted, paused=paused,
        holidays=holidays, makeup_workdays=makeup, target_changes=changes, escalation=ladder,
    )


def sla_explain(ticket: Ticket, *, internal: bool = True) -> list[dict[str, Any]]:
    """Every clock of a ticket with how its due time was reached; `internal` adds the escalation ladder."""
    clocks = Clock.objects.select_related("policy", "calendar").prefetch_related("events", "firings").filter(ticket=ticket)
    order = {"first_response": 0, "solution_plan": 1, "resolution": 2}
    return [asdict(clock_explain(c, internal=internal)) for c in sorted(clocks, key=lambda c: order.get(c.metric, 9))]


# --- the staff queues' due-time hooks (weibao/staff/ticket_queues.py looks these names up) ----------
# They read `Ticket.due_at`, the earliest due time of the request's running clocks, which `clocks.refresh`
# keeps on the request, so each is a range of a partial index rather than a subquery per request.

# Running clocks due within this wall-clock span count as "due soon".
DUE_SOON_WINDOW = timedelta(hours=4)


def ticket_filter_due_soon(qs: QuerySet[Ticket], now: datetime) -> QuerySet[Ticket]:
    """Requests whose earliest running clock is not yet breached and falls due within the window (a request with
    one clock already past due is overdue, not due soon)."""
    return qs.filter(due_at__gt=now, due_at__lte=now + DUE_SOON_WINDOW)


def ticket_filter_overdue(qs: QuerySet[Ticket], now: datetime) -> QuerySet[Ticket]:
    """Requests with a running clock past its due time (breached, whether or not the sweep has flagged it)."""
    return qs.filter(due_at__lte=now)
