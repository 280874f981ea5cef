"""Changing a policy's targets re-targets the open clocks under it in the worker, keeping paused time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.errors import ValidationFailed
from weibao.core.outbox import outbox_sweep
from weibao.sla.calendars import working_minutes_between
from weibao.sla.models import Clock, ClockState, Metric, Policy, Target
from weibao.sla.policies import clocks_recompute_policy, policy_targets_set
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_transition

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


def _move(world: World, t: Ticket, when: datetime, transition: str, **params: Any) -> Ticket:
    with time_machine.travel(when, tick=False):
        t = ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition=transition,
                              **params)
        outbox_sweep()
    return t


def _targets(policy: Any, resolution_p3: int) -> list[dict[str, Any]]:
    rows = [{"metric": t.metric, "priority": t.priority, "request_type": t.request_type, "minutes": t.minutes}
            for t in Target.objects.filter(policy=policy)]
    for row in rows:
        if (row["metric"], row["priority"]) == (Metric.RESOLUTION, "p3"):
            row["minutes"] = resolution_p3
    return rows


def test_a_longer_target_moves_the_due_time_of_open_clocks_and_keeps_the_paused_hour(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    policy = make_policy(steps=False)
    with time_machine.travel(at(23, 9, 0), tick=False):
        t = make_ticket(world, urgency="medium", impact="medium")
        t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign",
                              assignee=world.users["engineer"], team=world.team)
        outbox_sweep()
    t = _move(world, t, at(23, 9, 30), "start")
    t = _move(world, t, at(23, 10, 0), "request_info", note="请提供日志")
    t = _move(world, t, at(23, 11, 0), "resume")
    res = Clock.objects.get(ticket=t, metric=Metric.RESOLUTION)
    assert (res.target_minutes, t.priority) == (900, "p3")
    cal = res.calendar
    assert working_minutes_between(cal, at(23, 9, 0), res.due_at) == 900 + 60  # the paused hour is not counted
    with time_machine.travel(at(23, 12, 0), tick=False), django_capture_on_commit_callbacks(execute=True) as callbacks:
        policy_targets_set(actor=world.users["admin"], policy=policy, targets=_targets(policy, 1350))
    assert callbacks  # the recompute was handed to the worker after commit
    res.refresh_from_db()
    assert res.target_minutes == 1350
    assert working_minutes_between(cal, at(23, 9, 0), res.due_at) == 1350 + 60
    assert res.events.filter(kind="target_changed").count() == 1
    fr = Clock.objects.get(ticket=t, metric=Metric.FIRST_RESPONSE)
    assert fr.state == ClockState.STOPPED and not fr.events.filter(kind="target_changed").exists()  # stopped: untouched


def test_recompute_goes_in_batches_and_changes_nothing_when_nothing_changed(world: World) -> None:
    policy = make_policy(steps=False)
    with time_machine.travel(at(23, 9, 0), tick=False):
        tickets = [make_ticket(world, urgency="medium", impact="medium") for _ in range(5)]
        outbox_sweep()
    assert clocks_recompute_policy(policy.pk, batch=2) == 10  # 5 requests × (response, resolution)
    Target.objects.filter(policy=policy, metric=Metric.RESOLUTION, priority="p3").update(minutes=1800)
    assert clocks_recompute_policy(policy.pk, batch=2) == 10
    for t in tickets:
        res = Clock.objects.get(ticket=t, metric=Metric.RESOLUTION)
        assert res.target_minutes == 1800 and res.events.filter(kind="target_changed").count() == 1


def test_bad_targets_name_their_row_and_nothing_is_saved(world: World) -> None:
    policy = make_policy(steps=False)
    before = list(Target.objects.filter(policy=policy).values_list("metric", "priority", "minutes").order_by("id"))
    rows = [{"metric": "resolution", "priority": "p3", "minutes": 0},
            {"metric": "nonsense", "priority": "p9", "minutes": 60},
            {"metric": "first_response", "priority": "p1", "minutes": 60},
            {"metric": "first_response", "priority": "p1", "minutes": 90}]
    with pytest.raises(ValidationFailed) as exc:
        policy_targets_set(actor=None, policy=policy, targets=rows)
    assert set(exc.value.details) == {"targets[0].minutes", "targets[1].metric", "targets[1].priority", "targets[3]"}
    assert list(Target.objects.filter(policy=policy).values_list("metric", "priority", "minutes").order_by("id")) == before


def test_changing_the_pause_statuses_pauses_and_resumes_open_requests_already_in_them(
        world: World, web: Any, django_capture_on_commit_callbacks: Any) -> None:
    policy = make_policy(steps=False)
    policy.pause_statuses = ["waiting_third_party"]
    policy.save(update_fields=["pause_statuses"])
    with time_machine.travel(at(23, 9, 0), tick=False):
        t = make_ticket(world, urgency="medium", impact="medium")
        t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign",
                              assignee=world.users["engineer"], team=world.team)
        outbox_sweep()
    t = _move(world, t, at(23, 9, 30), "start")
    t = _move(world, t, at(23, 10, 0), "request_info", note="请提供日志")  # waiting_customer does not pause yet
    res = Clock.objects.get(ticket=t, metric=Metric.RESOLUTION)
    assert res.state == ClockState.RUNNING and Ticket.objects.get(pk=t.pk).due_at == res.due_at

    manager = web(world.users["manager"])
    url = f"/staff/sla/policies/{policy.public_id}/pause-statuses/"
    with time_machine.travel(at(23, 11, 0), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert manager.post(url, {"pause_statuses": ["waiting_customer", "waiting_third_party"]}).status_code == 302
    res.refresh_from_db()
    assert res.state == ClockState.PAUSED and res.events.filter(kind="paused", data__reason="policy_changed:waiting_customer").exists()
    assert Ticket.objects.get(pk=t.pk).due_at is None  # a paused clock has no deadline in the queues

    with time_machine.travel(at(23, 13, 0), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert manager.post(url, {"pause_statuses": ["waiting_third_party"]}).status_code == 302
    res.refresh_from_db()
    assert res.state == ClockState.RUNNING
    # the working time it was paused (11:00–13:00, lunch excluded) is not counted
    paused = working_minutes_between(res.calendar, at(23, 11, 0), at(23, 13, 0))
    assert paused == 60 and working_minutes_between(res.calendar, at(23, 9, 0), res.due_at) == 900 + paused
    assert Ticket.objects.get(pk=t.pk).due_at == res.due_at

    refused = manager.post(url, {"pause_statuses": ["closed"]}, follow=True)
    assert "暂停计时的状态无效" in refused.content.decode()
    assert Policy.objects.get(pk=policy.pk).pause_statuses == ["waiting_third_party"]
    assert web(world.users["engineer"]).post(url, {"pause_statuses": []}).status_code == 404
    assert Policy.objects.get(pk=policy.pk).pause_statuses == ["waiting_third_party"]


def test_the_recompute_is_an_outbox_message_written_with_the_edit(world: World) -> None:
    """Durable with the edit itself: not a queue task that a crash between commit and enqueue would lose."""
    from weibao.core.models import OutboxMessage

    policy = make_policy(steps=False)
    with time_machine.travel(at(23, 9, 0), tick=False):
        t = make_ticket(world, urgency="medium", impact="medium")
        outbox_sweep()
    policy_targets_set(actor=world.users["admin"], policy=policy, targets=_targets(policy, 1350))  # no commit hooks run
    pending = OutboxMessage.objects.filter(topic="sla.policy_changed", delivered_at__isnull=True)
    assert [m.payload for m in pending] == [{"policy_id": policy.pk}]
    assert Clock.objects.get(ticket=t, metric=Metric.RESOLUTION).target_minutes == 900
    outbox_sweep()
    assert Clock.objects.get(ticket=t, metric=Metric.RESOLUTION).target_minutes == 1350
    assert not pending.all().exists()  # a fresh query: `pending` itself holds the rows read above
