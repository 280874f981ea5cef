"""Multi-field cursor orders on the work queues page without repeats or gaps (the keyset bound of the index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.ui.factories import ticket_for
from weibao.core.keyset import encode_cursor, keyset_page
from weibao.tickets.models import Ticket


def test_priority_order_pages_through_the_team_queue_without_repeats_or_gaps(world: World, web: Any) -> None:
    levels = ["high", "medium", "low"]
    for i in range(31):
        ticket_for(world, subject=f"组内{i}", urgency=levels[i % 3], impact=levels[(i // 3) % 3])
    expected = list(Ticket.objects.filter(team=world.team).order_by("priority", "-id").values_list("public_id", flat=True))
    assert len(set(Ticket.objects.values_list("priority", flat=True))) > 2
    client = web(world.users["engineer"])
    seen: list[str] = []
    url = "/staff/tickets/?queue=team&size=25&sort=priority"
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen += [t.public_id for t in page.rows]
        url = response.context["next_url"] and "/staff/tickets/" + response.context["next_url"]
    assert seen == expected


@pytest.mark.parametrize("nulls", [0, 10, 15, 35, 60])
def test_due_order_pages_nulls_last_without_repeats_or_gaps(world: World, web: Any, nulls: int) -> None:
    """Ties on the due time, and the step from the last due time to the requests without one, inside a page and
    exactly at a page's end (10 nulls: the 50 dated rows fill two pages of 25)."""
    made = [ticket_for(world, subject=f"到期{i}") for i in range(60)]
    base = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for i, t in enumerate(made):
        due = None if (i * 7) % 60 < nulls else base + timedelta(hours=i % 5)
        Ticket.objects.filter(pk=t.pk).update(due_at=due)  # set-up: the SLA app's derived value, set directly
    rows = list(Ticket.objects.filter(team=world.team).values_list("due_at", "id", "public_id"))
    expected = [p for _, _, p in sorted(rows, key=lambda r: (r[0] is None, r[0] or base, r[1]))]
    assert sum(1 for r in rows if r[0] is None) == nulls
    client = web(world.users["engineer"])
    seen: list[str] = []
    counts: list[int] = []
    url = "/staff/tickets/?queue=team&size=25&sort=due"
    while url:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        counts.append(len(ctx.captured_queries))
        seen += [t.public_id for t in response.context["page"].rows]
        url = response.context["next_url"] and "/staff/tickets/" + response.context["next_url"]
    assert seen == expected
    # A cursor page reads the dated range, then (once, at the step to the undated) the nulls: at most one more query.
    assert len(counts) == 3 and all(counts[0] <= c <= counts[0] + 1 for c in counts)


def test_due_order_query_count_does_not_depend_on_page_size(world: World, web: Any) -> None:
    for i in range(60):
        t = ticket_for(world, subject=f"到期{i}")
        if i % 3:
            Ticket.objects.filter(pk=t.pk).update(due_at=datetime(2026, 11, 23, 9, i, tzinfo=UTC))
    client = web(world.users["engineer"])
    counts = set()
    for size in (25, 50, 100, 200):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/staff/tickets/?queue=team&size={size}&sort=due")
        assert len(response.context["page"].rows) == min(size, 60)
        counts.add(len(ctx.captured_queries))
    assert len(counts) == 1


def test_a_null_in_a_cursor_for_a_field_that_cannot_be_null_is_no_cursor(world: World) -> None:
    made = [ticket_for(world, subject=f"第{i}个") for i in range(3)]
    page = keyset_page(Ticket.objects.all(), ("id",), encode_cursor([None]), 25)
    assert [t.id for t in page.rows] == [t.id for t in made]
    with pytest.raises(ValueError):
        keyset_page(Ticket.objects.all(), ("priority", "due_at", "id"), None, 25)
