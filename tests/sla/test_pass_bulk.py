"""The whole-pass SLA apply (`clocks_apply_pass`) gives exactly what applying ticket by ticket gives, in a few
statements for the whole pass, and falls back to ticket by ticket when it fails."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.sla import clocks as sla_clocks
from weibao.sla.events import on_ticket_events
from weibao.sla.models import Clock, ClockEvent, TicketCursor
from weibao.sla.passes import clocks_apply_pass
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_reply, ticket_transition, ticket_update

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


def scenario(world: World, capture: Any) -> list[Ticket]:
    """Tickets whose events are all undelivered: new ones, one with a staff reply, one sent to wait for the
    customer, one declined, one whose priority changed, and one whose first event was applied earlier."""
    make_policy()
    manager, engineer = world.users["manager"], world.users["engineer"]
    with capture(execute=False):
        with time_machine.travel(at(23, 9, 0), tick=False):
            plain = make_ticket(world, subject="新请求")
            replied = make_ticket(world, subject="已答复")
            waiting = make_ticket(world, subject="等待客户")
            declined = make_ticket(world, subject="不属于维护")
            raised = make_ticket(world, subject="提高优先级", urgency="low", impact="low")
            ahead = make_ticket(world, subject="已部分应用")
    sla_clocks.cursors_ensure([ahead.id])
    sla_clocks.clocks_apply_ticket_events(ahead.id, TicketEvent.objects.filter(ticket=ahead).latest("id").id)
    with capture(execute=False):
        with time_machine.travel(at(23, 10, 0), tick=False):
            ticket_reply(actor=engineer, ticket=replied, body="已收到，正在排查。")
            waiting = ticket_transition(actor=manager, ticket=waiting, transition="assign", assignee=engineer, team=world.team)
            waiting = ticket_transition(actor=engineer, ticket=waiting, transition="start")
        with time_machine.travel(at(23, 11, 0), tick=False):
            ticket_transition(actor=engineer, ticket=waiting, transition="request_info", note="请提供日志")
            ticket_transition(actor=manager, ticket=declined, transition="decline", reason="不属于维护范围")
            ticket_update(actor=manager, ticket=raised, urgency="high", impact="high")
            ticket_reply(actor=engineer, ticket=ahead, body="正在处理")
    return [plain, replied, waiting, declined, raised, ahead]


def state(tickets: list[Ticket]) -> dict[str, Any]:
    ids = [t.id for t in tickets]
    clocks = sorted(Clock.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "metric", "state", "policy_id", "calendar_id", "target_minutes", "started_at", "running_since",
        "consumed_seconds", "due_at", "next_step_at", "breached_at", "stopped_at", "met"))
    log = sorted(ClockEvent.objects.filter(clock__ticket_id__in=ids).values_list(
        "clock__ticket_id", "clock__metric", "kind", "at", "data"), key=repr)
    return {"clocks": clocks, "log": log,
            "due": sorted(Ticket.objects.filter(id__in=ids).values_list("id", "due_at")),
            "cursors": sorted(TicketCursor.objects.filter(ticket_id__in=ids).values_list("ticket_id", "last_event_id"))}


def newest(tickets: list[Ticket]) -> dict[int, int]:
    return {t.id: TicketEvent.objects.filter(ticket=t).latest("id").id for t in tickets}


def test_the_whole_pass_writes_what_ticket_by_ticket_writes(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    tickets = scenario(world, django_capture_on_commit_callbacks)
    up_to = newest(tickets)
    sla_clocks.cursors_ensure(list(up_to))
    with transaction.atomic():
        for ticket_id, event_id in up_to.items():
            sla_clocks.clocks_apply_ticket_events(ticket_id, event_id, cursor_made=True)
        one_by_one = state(tickets)
        transaction.set_rollback(True)
    assert len(one_by_one["clocks"]) == 12 and any(c[2] == "paused" for c in one_by_one["clocks"])

    applied = clocks_apply_pass(up_to)

    assert state(tickets) == one_by_one
    assert applied == TicketEvent.objects.filter(ticket__in=tickets).count() - 1  # `ahead`'s first was applied
    assert clocks_apply_pass(up_to) == 0  # applied once: a second delivery changes nothing
    assert state(tickets) == one_by_one


def test_a_pass_of_new_requests_costs_the_same_statements_for_3_or_30_tickets(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()

    def pass_of(n: int) -> int:
        with django_capture_on_commit_callbacks(execute=False):
            made = [make_ticket(world, subject=f"批量 {i}") for i in range(n)]
        up_to = newest(made)
        sla_clocks.cursors_ensure(list(up_to))
        with CaptureQueriesContext(connection) as queries, sla_clocks.sla_pass():  # as the handler runs it
            assert clocks_apply_pass(up_to) == n
        assert Clock.objects.filter(ticket__in=made).count() == 2 * n
        assert all(t.due_at is not None for t in Ticket.objects.filter(id__in=up_to))
        return len(queries)

    pass_of(1)  # the calendar's cache is filled on first use
    assert pass_of(3) == pass_of(30) <= 24  # ≈11 of them the policy, targets, steps, calendar


def test_a_pass_reads_a_policys_targets_and_steps_once_whatever_the_priorities_and_types(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()
    levels = [("high", "high"), ("high", "medium"), ("medium", "medium"), ("low", "low")]  # P1 … P4

    def pass_of(shapes: list[tuple[str, str, str]]) -> list[str]:
        with django_capture_on_commit_callbacks(execute=False):
            made = [make_ticket(world, subject=f"优先级 {i}", urgency=u, impact=m, type=kind)
                    for i, (u, m, kind) in enumerate(shapes)]
        up_to = newest(made)
        sla_clocks.cursors_ensure(list(up_to))
        with CaptureQueriesContext(connection) as queries, sla_clocks.sla_pass():
            assert clocks_apply_pass(up_to) == len(made)
        return [q["sql"] for q in queries]

    pass_of([("medium", "medium", "fault")])  # the calendar's cache is filled on first use
    alike = pass_of([("medium", "medium", "fault")] * 8)
    mixed = pass_of([(u, m, kind) for u, m in levels for kind in ("fault", "consultation")])
    assert len({t.priority for t in Ticket.objects.filter(subject__startswith="优先级")}) == 4
    assert len(mixed) == len(alike), mixed
    assert sum('FROM "sla_target"' in q for q in mixed) == 1
    assert sum('FROM "sla_escalationstep"' in q for q in mixed) == 1


def test_a_failing_pass_falls_back_to_ticket_by_ticket_and_fails_only_the_bad_ticket(
        world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()
    with django_capture_on_commit_callbacks(execute=False):
        good, bad = make_ticket(world, subject="正常"), make_ticket(world, subject="出错")
    events = list(TicketEvent.objects.filter(ticket__in=[good, bad]))
    real = sla_clocks.apply_event

    def apply(ticket: Any, event: TicketEvent, clocks: Any) -> None:
        if ticket.id == bad.id:
            raise RuntimeError("this ticket's clocks cannot be written now")
        real(ticket, event, clocks)

    monkeypatch.setattr(sla_clocks, "apply_event", apply)
    failures = on_ticket_events([{"event_id": e.id, "ticket_id": e.ticket_id, "kind": e.kind, "_key": str(e.id)}
                                 for e in events])

    assert set(failures) == {str(e.id) for e in events if e.ticket_id == bad.id}
    assert Clock.objects.filter(ticket=good).count() == 2 and not Clock.objects.filter(ticket=bad).exists()
    assert TicketCursor.objects.get(ticket=bad).last_event_id == 0
