"""`Ticket.due_at` is the earliest due time of the request's running clocks after every kind of clock change."""

from __future__ import annotations

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.outbox import outbox_sweep
from weibao.sla.clocks import clocks_recompute, clocks_recompute_calendar
from weibao.sla.models import Clock, ClockState, HolidayDate, Metric, Target
from weibao.sla.policies import clocks_recompute_policy
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_reply, ticket_transition, ticket_update

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)  # 23 Nov 2026 is a Monday


def _earliest(t: Ticket) -> datetime | None:
    dues = [c.due_at for c in Clock.objects.filter(ticket=t, state=ClockState.RUNNING) if c.due_at is not None]
    return min(dues) if dues else None


def _stored(t: Ticket) -> datetime | None:
    return Ticket.objects.values_list("due_at", flat=True).get(pk=t.pk)


def _res(t: Ticket) -> Clock:
    return Clock.objects.get(ticket=t, metric=Metric.RESOLUTION)


def _do(when: datetime, action: object) -> None:
    with time_machine.travel(when, tick=False):
        action() if callable(action) else None
        outbox_sweep()


def test_due_column_follows_start_pause_resume_retarget_and_stop(world: World) -> None:
    make_policy(steps=False)
    engineer, manager = world.users["engineer"], world.users["manager"]
    with time_machine.travel(at(23, 9, 0), tick=False):
        t = make_ticket(world, urgency="medium", impact="medium")
        outbox_sweep()
    fr = Clock.objects.get(ticket=t, metric=Metric.FIRST_RESPONSE)
    assert _stored(t) == fr.due_at == _earliest(t) and fr.due_at < _res(t).due_at  # started: the earlier of the two

    def fresh() -> Ticket:
        return Ticket.objects.get(pk=t.pk)

    _do(at(23, 9, 10), lambda: ticket_transition(actor=manager, ticket=fresh(), transition="assign",
                                                   assignee=engineer, team=world.team))
    _do(at(23, 9, 30), lambda: ticket_transition(actor=engineer, ticket=fresh(), transition="start"))
    assert Clock.objects.get(ticket=t, metric=Metric.FIRST_RESPONSE).state == ClockState.STOPPED
    assert _stored(t) == _res(t).due_at  # first response stopped: the resolution clock's due time

    _do(at(23, 10, 0), lambda: ticket_transition(actor=engineer, ticket=fresh(), transition="request_info", note="请提供日志"))
    assert _res(t).state == ClockState.PAUSED and _stored(t) is None  # paused: no running clock

    _do(at(23, 15, 0), lambda: ticket_reply(actor=world.users["customer_a"], ticket=fresh(), body="日志见附件"))
    resumed = _res(t)
    assert resumed.state == ClockState.RUNNING and _stored(t) == resumed.due_at is not None

    _do(at(23, 15, 30), lambda: ticket_update(actor=manager, ticket=fresh(), priority="p1"))
    retargeted = _res(t)
    assert retargeted.target_minutes == 240 and retargeted.due_at != resumed.due_at
    assert _stored(t) == retargeted.due_at

    _do(at(23, 16, 0), lambda: ticket_transition(actor=engineer, ticket=fresh(), transition="propose_resolution",
                                                   resolution_method="configuration", resolution_text="已调整"))
    assert _res(t).state == ClockState.STOPPED and _stored(t) is None


def test_due_column_follows_policy_and_calendar_recomputes(world: World) -> None:
    policy = make_policy(steps=False)
    with time_machine.travel(at(23, 9, 0), tick=False):
        tickets = [make_ticket(world, urgency="medium", impact="medium") for _ in range(3)]
        outbox_sweep()
    before = {t.pk: _stored(t) for t in tickets}
    Target.objects.filter(policy=policy, metric=Metric.FIRST_RESPONSE, priority="p3").update(minutes=480)
    with time_machine.travel(at(23, 9, 30), tick=False):
        assert clocks_recompute_policy(policy.pk, batch=2) == 6
    for t in tickets:
        assert _stored(t) == _earliest(t) != before[t.pk]

    moved = {t.pk: _stored(t) for t in tickets}
    HolidayDate.objects.create(region="CN", date=at(23, 9).date(), name="测试假日", kind="holiday")
    with time_machine.travel(at(23, 9, 40), tick=False):
        assert clocks_recompute_calendar(policy.calendar_id) == 6
    for t in tickets:
        assert _stored(t) == _earliest(t) != moved[t.pk]

    Target.objects.filter(policy=policy, metric=Metric.FIRST_RESPONSE, priority="p3").update(minutes=60)
    with time_machine.travel(at(23, 9, 50), tick=False):
        clocks_recompute(ticket=tickets[0])
    assert _stored(tickets[0]) == _earliest(tickets[0]) != _stored(tickets[1])


def test_migration_fills_the_column_from_running_clocks(world: World) -> None:
    make_policy(steps=False)
    with time_machine.travel(at(23, 9, 0), tick=False):
        tickets = [make_ticket(world, urgency=u, impact=u) for u in ("high", "medium", "low")]
        outbox_sweep()
    Clock.objects.filter(ticket=tickets[2]).update(state=ClockState.PAUSED)
    expected = {t.pk: _earliest(t) for t in tickets}
    assert expected[tickets[2].pk] is None and None not in (expected[tickets[0].pk], expected[tickets[1].pk])
    Ticket.objects.update(due_at=None)  # as the column is right after tickets 0005
    migration = importlib.import_module("weibao.sla.migrations.0004_ticket_due_at")
    migration.fill(apps, None)
    assert {t.pk: _stored(t) for t in tickets} == expected
