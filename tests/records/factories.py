"""Requests taken through the real workflow (ticket services), so the records read what users produce."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_create, ticket_transition

SUBJECT = "财务报表导出时金额错位"


def make_ticket(world: World, *, org: str = "a", **kwargs: Any) -> Ticket:
    values: dict[str, Any] = {
        "requester": world.contact_a if org == "a" else world.contact_b,
        "system": world.system_a if org == "a" else world.system_b,
        "channel": "phone", "urgency": "high", "impact": "medium",
        "description": "月末导出的资产负债表中，第三列金额整体右移一格。",
    }
    values.update(kwargs)
    return ticket_create(actor=world.users["engineer"], organisation=world.org_a if org == "a" else world.org_b,
                         subject=SUBJECT, **values)


def work_to(ticket: Ticket, world: World, until: str = "closed") -> Ticket:
    """new → assessed → assigned → in_progress → resolved → closed, stopping at `until`."""
    manager, engineer = world.users["manager"], world.users["engineer"]
    customer = world.users["customer_a"] if ticket.organisation_id == world.org_a.id else world.users["customer_b"]
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("assessed", manager, {"transition": "assess", "maintenance_category": "corrective",
                               "assessment_note": "确属程序缺陷，纳入纠错性维护"}),
        ("assigned", manager, {"transition": "assign", "assignee": engineer, "team": world.team}),
        ("in_progress", engineer, {"transition": "start"}),
        ("resolved", engineer, {"transition": "propose_resolution", "resolution_method": "code_fix",
                                "resolution_text": "修正导出模板并重新发布。", "resolution_root_cause": "导出模板列宽配置错误"}),
        ("closed", customer, {"transition": "confirm", "note": "问题已解决，谢谢"}),
    ]
    order = ["new", *[status for status, _, _ in steps]]
    for status, actor, params in steps[order.index(ticket.status):]:
        ticket = ticket_transition(actor=actor, ticket=ticket, **params)
        if status == until:
            break
    return ticket


def declined(world: World, reason: str) -> Ticket:
    return ticket_transition(actor=world.users["manager"], ticket=make_ticket(world), transition="decline", reason=reason)
