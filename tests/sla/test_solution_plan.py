"""Presenting a solution plan (API and staff page) stops the solution-plan clock, and nothing else restarts it."""

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
from weibao.sla.models import Clock, ClockState, Metric, Target
from weibao.tickets.models import Message, Ticket, TicketEvent
from weibao.tickets.services import ticket_transition

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
PLAN = "1. 更换存储控制器；2. 恢复数据；3. 压力测试后交付。"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


def _policy_with_plan_target() -> None:
    policy = make_policy(steps=False)
    for priority in ("p1", "p2", "p3", "p4"):
        Target.objects.create(policy=policy, metric=Metric.SOLUTION_PLAN, priority=priority, minutes=1350)


def _working(world: World, when: datetime) -> Ticket:
    with time_machine.travel(when, tick=False):
        t = make_ticket(world)
        t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign", assignee=world.users["engineer"],
                              team=world.team)
        t = ticket_transition(actor=world.users["engineer"], ticket=t, transition="start")
        outbox_sweep()
    return t


def _clock(t: Ticket, metric: str) -> Clock:
    return Clock.objects.get(ticket=t, metric=metric)


def _step(world: World, t: Ticket, when: datetime, transition: str, **params: Any) -> Ticket:
    with time_machine.travel(when, tick=False):
        t = ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition=transition,
                              **params)
        outbox_sweep()
    return t


def test_presenting_a_plan_through_the_api_stops_the_plan_clock_and_tells_the_customer(world: World, api: Any) -> None:
    _policy_with_plan_target()
    t = _working(world, at(23, 9, 0))
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.RUNNING
    with time_machine.travel(at(24, 10, 0), tick=False):
        r = api(world.users["engineer"]).post(f"/api/v1/tickets/{t.public_id}/solution-plan",
                                              {"plan": PLAN, "due_date": "2026-11-27"}, format="json")
        outbox_sweep()
    assert r.status_code == 201, r.content
    assert (r.json()["revision"], r.json()["due_date"]) == (1, "2026-11-27")
    plan = _clock(t, Metric.SOLUTION_PLAN)
    assert (plan.state, plan.met, plan.stopped_at) == (ClockState.STOPPED, True, at(24, 10, 0))
    assert plan.events.filter(kind="stopped", data__reason="solution_plan_presented").count() == 1
    assert _clock(t, Metric.RESOLUTION).state == ClockState.RUNNING  # the fault is not removed yet
    event = TicketEvent.objects.get(ticket=t, kind="solution_plan_presented")
    assert event.data["plan"] == PLAN and event.data["due_date"] == "2026-11-27"
    message = Message.objects.get(id=event.data["message_id"])
    assert PLAN in message.body and "2026-11-27" in message.body and not message.internal
    # the customer reads it in the conversation
    body = api(world.users["customer_a"]).get(f"/api/v1/tickets/{t.public_id}/messages").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert any(PLAN in m["body"] for m in rows)


def test_pausing_resuming_and_reopening_do_not_restart_a_presented_plan(world: World, api: Any) -> None:
    _policy_with_plan_target()
    t = _working(world, at(23, 9, 0))
    with time_machine.travel(at(23, 11, 0), tick=False):
        api(world.users["engineer"]).post(f"/api/v1/tickets/{t.public_id}/solution-plan",
                                          {"plan": PLAN, "tell_customer": False}, format="json")
        outbox_sweep()
    assert not Message.objects.filter(ticket=t).exists()  # handed over another way: no reply sent
    t = _step(world, t, at(23, 14, 0), "request_info", note="请确认停机窗口")
    assert _clock(t, Metric.RESOLUTION).state == ClockState.PAUSED
    t = _step(world, t, at(23, 15, 0), "resume")
    assert _clock(t, Metric.RESOLUTION).state == ClockState.RUNNING
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.STOPPED
    t = _step(world, t, at(24, 9, 0), "propose_resolution", resolution_method="configuration", resolution_text="已更换")
    with time_machine.travel(at(24, 10, 0), tick=False):
        ticket_transition(actor=world.users["customer_a"], ticket=Ticket.objects.get(pk=t.pk), transition="reject",
                          note="仍然报错")
        outbox_sweep()
    assert _clock(t, Metric.RESOLUTION).state == ClockState.RUNNING  # the resolution clock counts again
    plan = _clock(t, Metric.SOLUTION_PLAN)
    assert (plan.state, plan.met, plan.stopped_at) == (ClockState.STOPPED, True, at(23, 11, 0))


def test_a_plan_clock_stopped_by_the_resolution_resumes_when_the_customer_rejects_it(world: World) -> None:
    _policy_with_plan_target()
    t = _working(world, at(23, 9, 0))
    t = _step(world, t, at(23, 10, 0), "propose_resolution", resolution_method="configuration", resolution_text="已调整")
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.STOPPED
    with time_machine.travel(at(23, 11, 0), tick=False):
        ticket_transition(actor=world.users["customer_a"], ticket=Ticket.objects.get(pk=t.pk), transition="reject",
                          note="仍然报错")
        outbox_sweep()
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.RUNNING


def test_bad_plans_are_refused_with_the_field_named_and_nothing_recorded(world: World, api: Any) -> None:
    _policy_with_plan_target()
    t = _working(world, at(23, 9, 0))
    client = api(world.users["engineer"])
    url = f"/api/v1/tickets/{t.public_id}/solution-plan"
    with time_machine.travel(at(24, 10, 0), tick=False):
        blank = client.post(url, {"plan": "   "}, format="json")
        past = client.post(url, {"plan": PLAN, "due_date": "2026-11-20"}, format="json")
        by_customer = api(world.users["customer_a"]).post(url, {"plan": PLAN}, format="json")
        by_other_org = api(world.users["customer_b"]).post(url, {"plan": PLAN}, format="json")
        outbox_sweep()
    assert blank.status_code == 400 and "plan" in blank.json()["details"]
    assert past.status_code == 400 and "due_date" in past.json()["details"]
    assert (by_customer.status_code, by_other_org.status_code) == (403, 404)
    assert not TicketEvent.objects.filter(ticket=t, kind="solution_plan_presented").exists()
    assert not Message.objects.filter(ticket=t).exists()
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.RUNNING
    t = _step(world, t, at(24, 11, 0), "propose_resolution", resolution_method="configuration", resolution_text="已调整")
    with time_machine.travel(at(24, 12, 0), tick=False):
        done = client.post(url, {"plan": PLAN}, format="json")
    assert done.status_code == 409


def test_the_staff_page_presents_a_plan_and_shows_it_on_the_timeline(world: World, web: Any) -> None:
    _policy_with_plan_target()
    t = _working(world, at(23, 9, 0))
    client = web(world.users["engineer"])
    page = f"/staff/tickets/{t.public_id}/"
    url = f"/staff/tickets/{t.public_id}/solution-plan/"
    with time_machine.travel(at(24, 10, 0), tick=False):
        assert 'id="solution-plan"' in client.get(page).content.decode()
        bad = client.post(url, {"plan-plan": PLAN, "plan-due_date": "2026-11-01", "plan-tell_customer": "on"})
        assert bad.status_code == 400
        assert "计划完成日期不能早于今天" in bad.content.decode()
        assert PLAN in bad.content.decode()  # what was typed is kept
        assert not TicketEvent.objects.filter(ticket=t, kind="solution_plan_presented").exists()
        ok = client.post(url, {"plan-plan": PLAN, "plan-due_date": "2026-11-27", "plan-tell_customer": "on"})
        outbox_sweep()
    assert ok.status_code == 302
    assert _clock(t, Metric.SOLUTION_PLAN).state == ClockState.STOPPED
    html = client.get(page).content.decode()
    assert 'data-kind="solution_plan_presented"' in html and "2026-11-27" in html
