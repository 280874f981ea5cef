"""The SLA app's subscription to ticket events (tickets never import sla)."""

from __future__ import annotations

from typing import Any

from weibao.core.outbox import outbox_handler
from weibao.tickets.models import TicketEvent


@outbox_handler("ticket.event")
def on_ticket_event(payload: dict[str, Any]) -> None:
    from weibao.sla.clocks import clocks_apply_ticket_events

    ticket_id = payload.get("ticket_id")
    event_id = payload.get("event_id")
    if not ticket_id or not event_id:
        return
    if not TicketEvent.objects.filter(id=event_id).exists():
        return
    clocks_apply_ticket_events(int(ticket_id), int(event_id))
