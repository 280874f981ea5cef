"""The demo loader makes real requests through the services, in many stages, once."""

from __future__ import annotations

from typing import Any

from weibao.demo import demo_load
from weibao.tickets.models import CannedReply, Survey, Ticket, TicketEvent


def test_demo_requests_cover_the_workflow_and_load_once(db: Any) -> None:
    demo_load()
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"new", "assessed", "assigned", "in_progress", "waiting_customer", "waiting_third_party", "resolved", "closed",
            "declined"} <= statuses
    assert Ticket.objects.filter(subject__contains="发票").exists()
    assert TicketEvent.objects.filter(kind="transitioned").count() > 30
    assert Survey.objects.filter(rating=5).exists() and CannedReply.objects.count() == 3
    count = Ticket.objects.count()
    demo_load()
    assert Ticket.objects.count() == count
