"""Ticket history: every change appends one TicketEvent and puts it in the outbox, in the same transaction."""

from __future__ import annotations

from typing import Any

from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.outbox import outbox_put
from weibao.tickets.models import Ticket, TicketEvent

TOPIC = "ticket.event"


def event_append(*, ticket: Ticket, actor: User | None, kind: str, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, before=before or {}, after=after or {}, data=data or {},
        created_at=clock.now(),
    )
    outbox_put(topic=TOPIC, key=str(event.id), payload={"event_id": event.id, "ticket_id": ticket.id, "kind": kind})
    return event
