"""The staff queues' due-soon / overdue queues and due-time sort, on real SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.outbox import outbox_sweep
from weibao.sla.models import Clock, ClockState
from weibao.sla.selectors import DUE_SOON_WINDOW, ticket_filter_due_soon, ticket_filter_overdue
from weibao.tickets.models import Ticket

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


@pytest.fixture
def tickets(world: World) -> list[Ticket]:
    make_policy()
    made = []
    with time_machine.travel(at(23, 16, 0), tick=False):
        for urgency, impact in (("high", "high"), ("medium", "medium"), ("low", "low")):
            made.append(make_ticket(world, subject=f"{urgency}-{impact}", urgency=urgency, impact=impact))
        outbox_sweep()
    return made


def _earliest_due(ticket: Ticket) -> datetime | None:
    dues = [c.due_at for c in Clock.objects.filter(ticket=ticket, state=ClockState.RUNNING) if c.due_at]
    return min(dues) if dues else None


def test_due_column_is_the_earliest_running_clock(tickets: list[Ticket]) -> None:
    got = dict(Ticket.objects.values_list("id", "due_at"))
    for t in tickets:
        expected = _earliest_due(t)
        assert expected is not None, "every new request runs a first-response clock"
        assert got[t.id] == expected


@pytest.mark.parametrize("now", [at(24, 8, 0), at(24, 9, 30), at(24, 12, 0), at(25, 17, 0)])
def test_due_soon_and_overdue_split_running_clocks_by_now(tickets: list[Ticket], now: datetime) -> None:
    dues = {t.id: _earliest_due(t) for t in tickets}
    all_clocks = {t.id: [c.due_at for c in Clock.objects.filter(ticket=t, state=ClockState.RUNNING)] for t in tickets}
    overdue = {t.id for t in ticket_filter_overdue(Ticket.objects.all(), now)}
    soon = {t.id for t in ticket_filter_due_soon(Ticket.objects.all(), now)}
    assert overdue == {tid for tid, ds in all_clocks.items() if any(d and d <= now for d in ds)}
    # due soon: the earliest running clock is in the window (one already past due makes the request overdue instead)
    assert soon == {tid for tid, d in dues.items() if d and now < d <= now + DUE_SOON_WINDOW}
    assert not soon & overdue
    assert all(dues[tid] is not None for tid in overdue | soon)


def test_staff_overdue_queue_lists_breached_requests_earliest_first(tickets: list[Ticket], world: World, web: Any) -> None:
    now = at(24, 11, 30)
    expected = sorted((t for t in tickets if any(
        c.due_at and c.due_at <= now for c in Clock.objects.filter(ticket=t, state=ClockState.RUNNING))),
        key=lambda t: (_earliest_due(t), t.id))
    assert expected, "the fixture must produce at least one overdue request at this moment"
    with time_machine.travel(now, tick=False):
        response = web(world.users["manager"]).get("/staff/tickets/?queue=overdue&sort=due")
    assert response.status_code == 200
    assert [t.number for t in response.context["page"].rows] == [t.number for t in expected]
