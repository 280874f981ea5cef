"""The SLA plug-in points of the staff queues, with a stand-in for weibao.sla.selectors' hooks."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from tests.personas import World
from tests.ui.factories import in_progress, ticket_for
from weibao.staff import ticket_queues


@pytest.fixture
def sla_hooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    hooks: dict[str, Any] = {
        # "due" = creation time here: a non-null annotation, as the contract asks of the SLA app
        "ticket_annotate_due": lambda qs: qs.annotate(due_at=F("created_at")),
        "ticket_filter_due_soon": lambda qs, now: qs.filter(priority="p1"),
        "ticket_filter_overdue": lambda qs, now: qs.filter(priority="p2"),
    }
    monkeypatch.setattr(ticket_queues, "_sla_hook", hooks.get)
    return hooks


def test_due_queues_and_sort_appear_only_with_the_sla_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticket_queues, "_sla_hook", lambda name: None)
    keys = [q.key for q in ticket_queues.queues()]
    assert "due_soon" not in keys and "overdue" not in keys
    assert "due" not in [s.key for s in ticket_queues.sorts()]


def test_due_queues_use_the_sla_filters_and_sort_by_due_time(world: World, web: Any, sla_hooks: dict[str, Any]) -> None:
    urgent = [ticket_for(world, subject=f"紧急{i}", urgency="high", impact="high") for i in range(3)]
    ticket_for(world, subject="普通")
    client = web(world.users["engineer"])
    response = client.get("/staff/tickets/?queue=due_soon")
    assert response.context["sort"].key == "due"  # the default once due times exist
    assert [t.number for t in response.context["page"].rows] == [t.number for t in urgent]  # earliest due first
    page = response.content.decode()
    assert 'data-queue="overdue"' in page and 'data-queue="due_soon"' in page


def test_due_sort_pages_with_a_cursor(world: World, web: Any, sla_hooks: dict[str, Any]) -> None:
    made = [in_progress(world, ticket_for(world, subject=f"第{i}")) for i in range(27)]
    client = web(world.users["engineer"])
    first = client.get("/staff/tickets/?queue=mine&sort=due&size=25")
    second = client.get(f"/staff/tickets/{first.context['next_url']}")
    seen = [t.public_id for t in first.context["page"].rows] + [t.public_id for t in second.context["page"].rows]
    assert seen == [t.public_id for t in made]
