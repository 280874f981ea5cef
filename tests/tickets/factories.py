"""Tickets for tests: made through the service (so numbers and events are real), then placed in a status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.personas import World
from weibao.core import clock
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_create
from weibao.tickets.states import Status


def make_ticket(world: World, *, org: str = "a", subject: str = "系统登录后页面空白", **kwargs: Any) -> Ticket:
    organisation = world.org_a if org == "a" else world.org_b
    defaults: dict[str, Any] = {
        "requester": world.contact_a if org == "a" else world.contact_b,
        "system": world.system_a if org == "a" else world.system_b,
        "channel": "portal", "description": "点击“登录”后页面一直空白。",
    }
    defaults.update(kwargs)
    return ticket_create(actor=None, organisation=organisation, subject=subject, **defaults)


def place(ticket: Ticket, status: Status | str, world: World | None = None) -> Ticket:
    """Put a ticket straight into a status (test set-up only), with the fields that status implies."""
    now = clock.now()
    fields: dict[str, Any] = {"status": str(status)}
    if world is not None and status not in (Status.NEW, Status.ASSESSED):
        fields["assignee"] = world.users["engineer"]
    if status == Status.RESOLVED:
        fields.update(resolved_at=now - timedelta(days=30), resolution_method="configuration", resolution_text="已调整配置。")
    if status in (Status.CLOSED, Status.DECLINED, Status.MERGED):
        fields.update(closed_at=now - timedelta(days=1))
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket
