"""Request numbers: the year's first, past 999,999, the row the one-statement insert writes (PostgreSQL), and
the fallback when the ticket must go through save()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.tickets.factories import make_ticket
from weibao.core import clock
from weibao.tickets.models import Ticket, TicketEvent, TicketSequence

pytestmark = pytest.mark.django_db


def _in(year: int) -> Any:
    return time_machine.travel(datetime(year, 6, 1, 12, 0, tzinfo=clock.now().tzinfo), tick=False)


def test_the_years_first_request_makes_its_row(world: World) -> None:
    with _in(2031):
        assert not TicketSequence.objects.filter(year=2031).exists()
        assert make_ticket(world).number == "SR-2031-000001"
        assert make_ticket(world).number == "SR-2031-000002"
    assert TicketSequence.objects.get(year=2031).last == 2


def test_numbers_go_past_six_digits_as_python_formats_them(world: World) -> None:
    TicketSequence.objects.create(year=2032, last=999_998)
    with _in(2032):
        numbers = [make_ticket(world).number for _ in range(2)]
    assert numbers == ["SR-2032-999999", "SR-2032-1000000"]
    assert list(Ticket.objects.filter(number__in=numbers).values_list("number", flat=True).order_by("id")) == numbers


def test_the_row_holds_what_the_object_holds(world: World) -> None:
    ticket = make_ticket(world, subject="“引号”与 'apostrophe' 及 %s 占位", tags=["登录", "紧急"], urgency="high",
                         unverified_requester=True, type="consultation")
    fresh = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(fresh, field.attname) == getattr(ticket, field.attname), field.name
    assert ticket._state.adding is False and ticket._state.db == "default"
    assert fresh.tags == ["登录", "紧急"] and fresh.subject.startswith("“引号”")
    event = TicketEvent.objects.get(ticket=fresh, kind="created")
    assert event.after["priority"] == fresh.priority and "number" not in event.after


def test_on_postgresql_the_number_and_the_ticket_are_one_statement_at_the_end(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes its write lock at BEGIN: the plain order costs nothing there")
    make_ticket(world)  # the year's row exists
    with CaptureQueriesContext(connection) as ctx:
        make_ticket(world)
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    locking = [i for i, q in enumerate(sql) if "tickets_ticketsequence" in q]
    assert len(locking) == 1 and sql[locking[0]].startswith("WITH n AS (UPDATE"), sql
    assert 'INSERT INTO "tickets_ticket"' in sql[locking[0]]
    assert all(not q.startswith("INSERT") for q in sql[locking[0] + 1:]), sql  # nothing after it but the commit


def test_a_ticket_that_needs_save_still_gets_its_number(world: World) -> None:
    seen: list[str] = []

    def receiver(sender: Any, instance: Ticket, **kwargs: Any) -> None:
        seen.append(instance.number)

    pre_save.connect(receiver, sender=Ticket)
    try:
        first, second = make_ticket(world), make_ticket(world)
    finally:
        pre_save.disconnect(receiver, sender=Ticket)
    assert seen == [first.number, second.number]  # the receiver saw the number save() wrote
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert Ticket.objects.get(pk=second.pk).number == second.number
