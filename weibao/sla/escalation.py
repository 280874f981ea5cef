"""Breach detection and the escalation ladder, run by the periodic sweeper.

Only due rows are read (partial indexes on running clocks by due_at / next_step_at). Each step is
claimed by inserting EscalationFiring(clock, step): the unique pair makes a second worker's claim
fail, and the claim commits together with its effects (timeline event, in-app notifications,
reassignment / priority change), so a crash fires the step again on the next sweep, never twice.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from weibao.accounts.models import Role, User
from weibao.core import clock as core_clock
from weibao.core.errors import DomainError
from weibao.sla.calendars import work_calendar
from weibao.sla.clocks import position_moment, refresh, replay, step_seconds
from weibao.sla.models import Clock, ClockEvent, ClockState, EscalationAction, EscalationFiring, EscalationStep
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_assign, ticket_record_event, ticket_update

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
BATCH = 250
RAISE = {"p4": "p3", "p3": "p2", "p2": "p1"}


@dataclass
class SweepResult:
    breached: int = 0
    fired: int = 0
    failed: int = 0


def breach_record(c: Clock) -> bool:
    """Mark a clock breached once (compare-and-set) and put it on the ticket's timeline."""
    moment = c.due_at or core_clock.now()
    if not Clock.objects.filter(id=c.id, breached_at__isnull=True).update(breached_at=moment):
        return False
    c.breached_at = moment
    ClockEvent.objects.create(clock=c, kind="breached", at=moment, data={"target_minutes": c.target_minutes})
    _breach_timeline(c)
    return True


def _breach_timeline(c: Clock) -> None:
    moment = c.breached_at or core_clock.now()
    ticket_record_event(actor=None, ticket=c.ticket, kind="sla_breached",
                        data={"metric": c.metric, "due_at": moment.isoformat(), "target_minutes": c.target_minutes})


def _recipients(ticket: Ticket, who: list[str]) -> set[int]:
    ids: set[int] = set()
    if "assignee" in who and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if "team_lead" in who and ticket.team_id and ticket.team and ticket.team.lead_id:
        ids.add(ticket.team.lead_id)
    if "service_manager" in who:
        ids |= set(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("id", flat=True))
    return ids


def _act(c: Clock, step: EscalationStep, firing: EscalationFiring) -> dict[str, Any]:
    ticket = Ticket.objects.select_related("team").get(id=c.ticket_id)
    result: dict[str, Any] = {}
    try:
        if step.action == EscalationAction.RAISE_PRIORITY and ticket.priority in RAISE:
            ticket_update(actor=None, ticket=ticket, priority=RAISE[ticket.priority])
            result["priority"] = RAISE[ticket.priority]
        elif step.action == EscalationAction.REASSIGN:
            manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
            if manager is not None and manager.id != ticket.assignee_id:
                ticket_assign(actor=None, ticket=ticket, assignee=manager)
                result["assignee"] = manager.id
    except DomainError as exc:  # e.g. the request is already closed: notify anyway, say why
        result["action_failed"] = exc.message
    users = _recipients(ticket, list(step.notify or []))
    data = {"metric": c.metric, "percent": step.percent, "extra_minutes": step.extra_minutes,
            "action": step.action, "due_at": c.due_at.isoformat() if c.due_at else None,
            "notified": sorted(users), **result}
    ticket_record_event(actor=None, ticket=ticket, kind="escalated", data=data)
    if users:
        try:
            from weibao.notify.channels.inapp import notifications_create
        except ImportError:  # pragma: no cover - notify is part of the product; this keeps sla usable alone
            return data
        notifications_create(event_key=f"sla-escalation:{firing.id}", kind="escalated", user_ids=users,
                             ticket_public_id=ticket.public_id, ticket_number=ticket.number, subject=ticket.subject,
                             data={"metric": c.metric, "percent": step.percent})
    return data


def fire_due_steps(clock_id: int, now: datetime) -> int:
    """Fire every step of one clock whose moment has come and that has not fired yet."""
    fired = 0
    with transaction.atomic():
        c = Clock.objects.select_for_update().select_related("calendar", "policy", "ticket").filter(id=clock_id).first()
        if c is None or c.state != ClockState.RUNNING:
            return 0
        wc = work_calendar(c.calendar)
        r = replay(list(c.events.all()))
        done = set(c.firings.values_list("step_id", flat=True))
        for step in EscalationStep.objects.filter(policy_id=c.policy_id, metric=c.metric).order_by("percent", "extra_minutes"):
            if step.id in done:
                continue
            moment = position_moment(wc, r, step_seconds(c, step))
            if moment is None or moment > now:
                continue
            try:
                with transaction.atomic():
                    firing = EscalationFiring.objects.create(clock=c, step=step, fired_at=now, due_moment=moment,
                                                             worker=WORKER)
                    _act(c, step, firing)
            except IntegrityError:
                continue  # another worker claimed it first
            fired += 1
        refresh(c)
    return fired


def sla_sweep(now: datetime | None = None, limit: int = 1000) -> SweepResult:
    """Flag breached clocks and fire due escalation steps; reads only rows that are due."""
    now = now or core_clock.now()
    result = SweepResult()
    due_ids = list(Clock.objects.filter(state=ClockState.RUNNING, breached_at__isnull=True, due_at__lte=now)
                   .order_by("due_at").values_list("id", flat=True)[:limit])
    # One commit per batch; rows claimed with row locks (skip_locked: a concurrent sweeper takes others)
    # and flagged in one UPDATE; the per-row work left is the ticket's timeline event.
    for i in range(0, len(due_ids), BATCH):
        with transaction.atomic():
            rows = list(Clock.objects.select_for_update(skip_locked=True, of=("self",)).select_related("ticket")
                        .filter(id__in=due_ids[i:i + BATCH], state=ClockState.RUNNING, breached_at__isnull=True,
                                due_at__lte=now))
            if not rows:
                continue
            Clock.objects.filter(id__in=[c.id for c in rows]).update(breached_at=F("due_at"))
            ClockEvent.objects.bulk_create(ClockEvent(clock=c, kind="breached", at=c.due_at or now,
                                                      data={"target_minutes": c.target_minutes}) for c in rows)
            for c in rows:
                c.breached_at = c.due_at
                _breach_timeline(c)
            result.breached += len(rows)
    step_ids = list(Clock.objects.filter(state=ClockState.RUNNING, next_step_at__lte=now)
                    .order_by("next_step_at").values_list("id", flat=True)[:limit])
    for clock_id in step_ids:
        try:
            result.fired += fire_due_steps(clock_id, now)
        except Exception:  # one clock's failure (rolled back whole) must not stop the others; next sweep retries
            log.exception("escalation of clock %s failed", clock_id)
            result.failed += 1
    return result
