"""Tickets for UI tests, made through the real services so every page sees real events."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from weibao.tickets import services
from weibao.tickets.models import Ticket


def ticket_for(world: World, org: str = "a", **kwargs: Any) -> Ticket:
    organisation = world.org_a if org == "a" else world.org_b
    defaults: dict[str, Any] = {
        "subject": "打印功能报错", "description": "点击打印后页面空白。", "channel": "portal",
        "requester": world.contact_a if org == "a" else world.contact_b,
        "system": world.system_a if org == "a" else world.system_b,
    }
    defaults.update(kwargs)
    return services.ticket_create(actor=None, organisation=organisation, **defaults)


def in_progress(world: World, ticket: Ticket) -> Ticket:
    engineer = world.users["engineer"]
    ticket = services.ticket_assign(actor=engineer, ticket=ticket, assignee=engineer, team=world.team)
    return services.ticket_transition(actor=engineer, ticket=ticket, transition="start")


def resolved(world: World, ticket: Ticket) -> Ticket:
    ticket = in_progress(world, ticket)
    return services.ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="propose_resolution",
                                      resolution_method="configuration", resolution_root_cause="配置缺失",
                                      resolution_text="已补充打印机配置。")


def closed(world: World, ticket: Ticket) -> Ticket:
    ticket = resolved(world, ticket)
    return services.ticket_transition(actor=world.users["customer_a"] if ticket.organisation_id == world.org_a.id
                                      else world.users["customer_b"], ticket=ticket, transition="confirm")
