"""Clocks driven by ticket events: start, first response, pause on waiting, stop, retarget keeping paused time."""

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
from weibao.sla.escalation import sla_sweep
from weibao.sla.models import Clock, ClockState, EscalationFiring, Metric
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_reply, ticket_transition, ticket_update

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


def clock(ticket: Ticket, metric: str) -> Clock:
    return Clock.objects.get(ticket=ticket, metric=metric)


def deliver() -> None:
    outbox_sweep()


def working(world: World, when: datetime) -> Ticket:
    with time_machine.travel(when, tick=False):
        t = make_ticket(world, urgency="medium", impact="medium")
        deliver()
        t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign", assignee=world.users["engineer"],
                              team=world.team)
        t = ticket_transition(actor=world.users["engineer"], ticket=t, transition="start")
        deliver()
    return t


def test_created_ticket_gets_clocks_with_due_times_on_the_calendar(world: World) -> None:
    make_policy()
    with time_machine.travel(at(23, 16, 0), tick=False):  # Monday 16:00: 90 working minutes left that day
        t = make_ticket(world, urgency="medium", impact="medium")
        deliver()
    fr, res = clock(t, Metric.FIRST_RESPONSE), clock(t, Metric.RESOLUTION)
    targets = {"p1": (60, at(24, 8, 30)), "p2": (120, at(24, 9, 0)), "p3": (240, at(24, 11, 0)), "p4": (240, at(24, 11, 0))}
    assert fr.state == ClockState.RUNNING
    assert (fr.target_minutes, fr.due_at) == targets[t.priority]
    assert res.due_at is not None and res.due_at > fr.due_at
    assert [e.kind for e in res.events.all()] == ["started"]


def test_staff_reply_stops_first_response_and_marks_it_met(world: World) -> None:
    make_policy()
    with time_machine.travel(at(23, 9, 0), tick=False):
        t = make_ticket(world)
        deliver()
    with time_machine.travel(at(23, 10, 0), tick=False):
        ticket_reply(actor=world.users["customer_a"], ticket=t, body="补充截图")
        deliver()
        assert clock(t, Metric.FIRST_RESPONSE).state == ClockState.RUNNING  # a customer's message is no response
        ticket_reply(actor=world.users["engineer"], ticket=t, body="已收到，正在排查。")
        deliver()
    fr = clock(t, Metric.FIRST_RESPONSE)
    assert (fr.state, fr.met, fr.stopped_at) == (ClockState.STOPPED, True, at(23, 10, 0))
    assert fr.consumed_seconds == 3600


def test_waiting_for_the_customer_pauses_resolution_and_resuming_moves_due_by_the_pause(world: World) -> None:
    make_policy()
    t = working(world, at(23, 9, 0))
    due_before = clock(t, Metric.RESOLUTION).due_at
    with time_machine.travel(at(23, 10, 0), tick=False):
        t = ticket_transition(actor=world.users["engineer"], ticket=t, transition="request_info", note="请提供日志")
        deliver()
    res = clock(t, Metric.RESOLUTION)
    assert res.state == ClockState.PAUSED and res.due_at is None and res.consumed_seconds == 3600
    with time_machine.travel(at(23, 15, 0), tick=False):  # paused 10:00–15:00 = 3.5 working hours
        ticket_reply(actor=world.users["customer_a"], ticket=Ticket.objects.get(pk=t.pk), body="日志见附件")
        deliver()
    res = clock(t, Metric.RESOLUTION)
    assert res.state == ClockState.RUNNING
    assert [e.kind for e in res.events.all()] == ["started", "paused", "resumed"]
    from weibao.sla.calendars import working_minutes_between

    assert working_minutes_between(res.calendar, due_before, res.due_at) == 210  # 10:00–12:00 + 13:30–15:00


def test_priority_change_recomputes_due_and_keeps_paused_time(world: World) -> None:
    make_policy()
    t = working(world, at(23, 9, 0))
    with time_machine.travel(at(23, 10, 0), tick=False):
        ticket_transition(actor=world.users["engineer"], ticket=t, transition="request_info", note="请提供日志")
        deliver()
    with time_machine.travel(at(24, 9, 0), tick=False):  # paused a whole working day
        ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition="resume")
        deliver()
    with time_machine.travel(at(24, 10, 0), tick=False):
        ticket_update(actor=world.users["manager"], ticket=Ticket.objects.get(pk=t.pk), priority="p1")
        deliver()
    res = clock(t, Metric.RESOLUTION)
    assert res.target_minutes == 240
    assert [e.kind for e in res.events.all()][-1] == "target_changed"
    # 60 min consumed Monday 09:00–10:00, paused until Tuesday 09:00; 180 more from there → Tue 12:00
    assert res.due_at == at(24, 12, 0)
    assert res.consumed_seconds == 3600


def test_events_are_applied_once_even_if_the_handler_runs_twice(world: World) -> None:
    from weibao.sla.clocks import clocks_apply_ticket_events

    make_policy()
    t = working(world, at(23, 9, 0))
    last = TicketEvent.objects.filter(ticket=t).order_by("-id").first()
    assert last is not None
    assert clocks_apply_ticket_events(t.id, last.id) == 0
    assert clock(t, Metric.RESOLUTION).events.count() == 1


def test_resolving_stops_the_clock_met_or_breached(world: World) -> None:
    make_policy()
    t = working(world, at(23, 9, 0))
    with time_machine.travel(at(30, 9, 0), tick=False):  # a week later: 900-minute target exceeded
        ticket_transition(actor=world.users["engineer"], ticket=t, transition="propose_resolution",
                          resolution_method="configuration", resolution_text="已调整")
        deliver()
    res = clock(t, Metric.RESOLUTION)
    assert (res.state, res.met) == (ClockState.STOPPED, False)
    assert res.breached_at == res.due_at


def test_sweep_fires_every_step_exactly_once_and_missed_steps_after_a_restart(world: World) -> None:
    make_policy()
    t = working(world, at(23, 9, 0))
    res = clock(t, Metric.RESOLUTION)
    assert res.next_step_at is not None
    # workers were down for days: every step is past, including +120 min after the breach
    with time_machine.travel(at(27, 12, 0), tick=False):
        first = sla_sweep()
        second = sla_sweep()  # a restarted worker sweeping again finds nothing to do
        deliver()
    assert (first.breached, first.fired) == (1, 4)
    assert (second.breached, second.fired) == (0, 0)
    assert EscalationFiring.objects.filter(clock=res).count() == 4
    kinds = list(TicketEvent.objects.filter(ticket=t).values_list("kind", flat=True))
    assert kinds.count("escalated") == 4 and kinds.count("sla_breached") == 1
    # the last rung raised the priority through the tickets service
    assert Ticket.objects.get(pk=t.pk).priority == "p2"


def test_explanation_lists_counted_intervals_holidays_makeup_days_and_pauses(world: World, api: Any) -> None:
    make_policy()
    sep30 = datetime(2026, 9, 30, 16, 0, tzinfo=SH)  # Wednesday before the National Day holidays
    t = working(world, sep30)
    assert t.priority == "p3"
    res = clock(t, Metric.RESOLUTION)
    assert res.due_at == datetime(2026, 10, 9, 16, 0, tzinfo=SH)  # 90 + 450 (Thu 8 Oct) + 360 (Fri 9 Oct)
    with time_machine.travel(datetime(2026, 10, 9, 9, 0, tzinfo=SH), tick=False):
        ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition="request_info",
                          note="请确认")
        deliver()
    with time_machine.travel(datetime(2026, 10, 9, 10, 0, tzinfo=SH), tick=False):
        ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition="resume")
        deliver()
        body = api(world.users["manager"]).get(f"/api/v1/tickets/{t.public_id}/sla").json()
        customer = api(world.users["customer_a"]).get(f"/api/v1/tickets/{t.public_id}/sla").json()
    target = next(x for x in body["targets"] if x["metric"] == "resolution")
    assert target["due_at"] == "2026-10-09T17:00:00+08:00"  # one paused working hour later
    assert [p["working_minutes_excluded"] for p in target["paused"]] == [60]
    assert sum(s["minutes"] for s in target["counted"]) == 900
    assert target["counted"][0] == {"start": "2026-09-30T16:00:00+08:00", "end": "2026-09-30T17:30:00+08:00", "minutes": 90}
    assert [h["date"] for h in target["holidays"]] == [f"2026-10-0{d}" for d in range(1, 8)]
    assert target["consumed_minutes"] == 90 + 450 + 30  # up to "now" (Fri 10:00), minus the paused hour
    assert target["escalation"] and target["escalation"][0]["percent"] == 50
    assert all(not x["escalation"] for x in customer["targets"])


def test_makeup_saturday_counts_toward_the_due_time(world: World) -> None:
    make_policy()
    t = working(world, datetime(2026, 10, 9, 16, 0, tzinfo=SH))  # Friday; Saturday 10 Oct is a make-up workday
    assert clock(t, Metric.RESOLUTION).due_at == datetime(2026, 10, 12, 16, 0, tzinfo=SH)
