"""Each escalation step fires exactly once: two concurrent workers (PostgreSQL), a crash and a restart."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from tests.conftest import postgres_url
from tests.personas import World, build_world
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.outbox import outbox_sweep
from weibao.sla import escalation
from weibao.sla.escalation import sla_sweep
from weibao.sla.models import Clock, EscalationFiring, Metric
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_transition

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
LATER = datetime(2026, 11, 27, 12, 0, tzinfo=SH)  # every step of the ladder is past


def _working_tickets(world: World, n: int) -> list[Ticket]:
    make_policy()
    out = []
    with time_machine.travel(START, tick=False):
        for _ in range(n):
            t = make_ticket(world)
            t = ticket_transition(actor=world.users["manager"], ticket=t, transition="assign",
                                  assignee=world.users["engineer"], team=world.team)
            out.append(ticket_transition(actor=world.users["engineer"], ticket=t, transition="start"))
        outbox_sweep()
    return out


def _counts(t: Ticket) -> tuple[int, int, int]:
    kinds = list(TicketEvent.objects.filter(ticket=t).values_list("kind", flat=True))
    firings = EscalationFiring.objects.filter(clock__ticket=t, clock__metric=Metric.RESOLUTION).count()
    return firings, kinds.count("escalated"), kinds.count("sla_breached")


@pytest.mark.skipif(postgres_url() is None, reason="needs PostgreSQL (WEIBAO_DATABASE_URL=postgresql://...) for real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_fire_each_step_once() -> None:
    world = build_world()
    tickets = _working_tickets(world, 5)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(sla_sweep(now=LATER))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(LATER, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    assert not errors, errors
    assert sum(r.fired for r in results) == 5 * 4
    assert sum(r.breached for r in results) == 5  # resolution ran out once per ticket (the staff answered in time)
    for t in tickets:
        assert _counts(t) == (4, 4, 1)


@pytest.mark.django_db
def test_a_crash_mid_ladder_fires_nothing_and_the_restarted_worker_fires_each_step_once(world: World,
                                                                                        monkeypatch: Any) -> None:
    (t,) = _working_tickets(world, 1)
    real_record = escalation.ticket_record_events

    def crash_after_the_claims(**kwargs: Any) -> Any:
        if kwargs["kind"] == "escalated":  # the firings are inserted, the timeline is not: the worker dies here
            raise RuntimeError("worker killed")
        return real_record(**kwargs)

    monkeypatch.setattr(escalation, "ticket_record_events", crash_after_the_claims)
    with time_machine.travel(LATER, tick=False):
        crashed = sla_sweep()
        assert crashed.failed == 1 and crashed.fired == 0
        assert _counts(t)[0:2] == (0, 0)  # the claims rolled back with the crash
        assert Clock.objects.get(ticket=t, metric=Metric.RESOLUTION).next_step_at is not None  # still due
        monkeypatch.setattr(escalation, "ticket_record_events", real_record)
        restarted = sla_sweep()
        again = sla_sweep()
    assert restarted.fired == 4 and again.fired == 0
    assert _counts(t)[0:2] == (4, 4)
    assert Clock.objects.get(ticket=t, metric=Metric.RESOLUTION).next_step_at is None
