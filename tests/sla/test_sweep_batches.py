"""The breach sweep is set-based: its queries do not grow with the due rows; notices go out through the outbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.models import OutboxMessage
from weibao.core.outbox import outbox_sweep
from weibao.notify.models import Notification
from weibao.sla import escalation
from weibao.sla.escalation import sla_sweep
from weibao.sla.models import Clock, ClockEvent, EscalationAction, EscalationFiring, EscalationStep, Metric
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_transition

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _notify_only_policy() -> None:
    policy = make_policy(steps=False)
    for percent, who in ((50, ["assignee", "team_lead"]), (100, ["service_manager"])):
        EscalationStep.objects.create(policy=policy, metric=Metric.RESOLUTION, percent=percent, notify=who,
                                      action=EscalationAction.NOTIFY)


def _working(world: World, n: int, when: datetime) -> list[Ticket]:
    out = []
    with time_machine.travel(when, tick=False):
        for _ in range(n):
            t = make_ticket(world)
            t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign",
                                  assignee=world.users["engineer"], team=world.team)
            out.append(ticket_transition(actor=world.users["engineer"], ticket=t, transition="start"))
        outbox_sweep()
    return out


def _sweep_queries(when: datetime) -> tuple[escalation.SweepResult, int]:
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as ctx:
        result = sla_sweep()
    return result, len(ctx.captured_queries)


def test_sweep_queries_do_not_grow_with_the_number_of_due_rows(world: World) -> None:
    _notify_only_policy()
    few = _working(world, 2, datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    small, small_queries = _sweep_queries(datetime(2026, 11, 27, 12, 0, tzinfo=SH))
    many = _working(world, 9, datetime(2026, 12, 7, 9, 0, tzinfo=SH))
    large, large_queries = _sweep_queries(datetime(2026, 12, 11, 12, 0, tzinfo=SH))
    assert (small.breached, small.fired) == (2, 4)
    assert (large.breached, large.fired) == (9, 18)
    assert small_queries == large_queries
    for t in few + many:
        kinds = list(TicketEvent.objects.filter(ticket=t).values_list("kind", flat=True))
        assert (kinds.count("sla_breached"), kinds.count("escalated")) == (1, 2)
        res = Clock.objects.get(ticket=t, metric=Metric.RESOLUTION)
        assert res.breached_at == res.due_at and res.next_step_at is None
        assert list(res.events.filter(kind="breached").values_list("at", flat=True)) == [res.due_at]
        assert EscalationFiring.objects.filter(clock=res).count() == 2
    # every timeline event of the sweep has its outbox row, keyed by the event id
    swept = TicketEvent.objects.filter(kind__in=["sla_breached", "escalated"])
    keys = set(OutboxMessage.objects.filter(topic="ticket.event").values_list("key", flat=True))
    assert {str(i) for i in swept.values_list("id", flat=True)} <= keys


def test_the_due_row_query_goes_through_the_partial_due_index(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from django.utils import timezone

    _notify_only_policy()
    _working(world, 3, datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole; the question is the index
        plan = escalation.due_breaches(timezone.now(), 250).explain()
        steps = escalation.due_steps(timezone.now(), 250).explain()
    assert "sla_clock_due_idx" in plan
    assert "sla_clock_step_idx" in steps


def test_escalation_notices_reach_the_staff_each_step_names_once(world: World) -> None:
    _notify_only_policy()
    (t,) = _working(world, 1, datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    with time_machine.travel(datetime(2026, 11, 27, 12, 0, tzinfo=SH), tick=False):
        sla_sweep()
        outbox_sweep()
        outbox_sweep()  # a second delivery round changes nothing
    escalated = list(TicketEvent.objects.filter(ticket=t, kind="escalated").order_by("id"))
    half, full = (str(e.id) for e in escalated)
    engineer, manager = world.users["engineer"], world.users["manager"]
    # 50 %: the assignee, who also leads the team; 100 %: the service manager
    assert Notification.objects.filter(event_key=half, user=engineer).count() == 1
    assert Notification.objects.filter(event_key=full, user=manager).count() == 1
    assert not Notification.objects.filter(event_key=half, user=manager).exists()
    assert not Notification.objects.filter(event_key__in=[half, full], user__role__in=["customer", "customer_admin"]).exists()


def test_a_clock_paused_or_stopped_meanwhile_is_not_breached_by_the_sweep(world: World) -> None:
    _notify_only_policy()
    (t,) = _working(world, 1, datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk), transition="request_info",
                          note="请提供日志")
        outbox_sweep()
    with time_machine.travel(datetime(2026, 12, 11, 12, 0, tzinfo=SH), tick=False):
        assert sla_sweep().breached == 0
    assert not ClockEvent.objects.filter(clock__ticket=t, kind="breached").exists()
