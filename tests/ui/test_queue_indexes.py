"""Multi-field cursor orders on the work queues page without repeats or gaps (the keyset bound of the index)."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from tests.ui.factories import ticket_for
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
