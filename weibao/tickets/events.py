"""Ticket history: every change appends one TicketEvent and puts it in the outbox, in the same transaction.

The SLA consumer keeps a cursor per ticket (the last event id it applied) and reads the events above it, so an
event that matters to it must not commit after a higher id of the same ticket. Every writer of such an event
(transition, reply, update, solution plan) first locks the ticket's row FOR UPDATE. Any other event's row
references the ticket, and its foreign-key check at commit takes FOR KEY SHARE on that row, which waits for the
FOR UPDATE: a quick write cannot commit past an open transition (tests/tickets/test_concurrency.py). A plain
`select_for_update(no_key=True)` would not conflict, and would break this. SQLite serialises every writer.
"""

from __future__ import annotations

from typing import Any

from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.inserts import save_new
from weibao.core.outbox import outbox_put, outbox_put_many
from weibao.tickets.models import Ticket, TicketEvent

TOPIC = "ticket.event"


def event_append(*, ticket: Ticket, actor: User | None, kind: str, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> TicketEvent:
    event = save_new(TicketEvent(
        ticket=ticket, actor=actor, kind=kind, before=before or {}, after=after or {}, data=data or {},
        created_at=clock.now(),
    ))
    outbox_put(topic=TOPIC, key=str(event.id), payload={"event_id": event.id, "ticket_id": ticket.id, "kind": kind},
               fresh=True)
    return event


def events_append_many(*, actor: User | None, kind: str, items: list[tuple[int, dict[str, Any]]]) -> list[TicketEvent]:
    """One event of `kind` per (ticket id, data), in one INSERT, and their outbox rows in another."""
    if not items:
        return []
    now = clock.now()
    events = TicketEvent.objects.bulk_create(
        TicketEvent(ticket_id=ticket_id, actor=actor, kind=kind, before={}, after={}, data=data, created_at=now)
        for ticket_id, data in items
    )
    outbox_put_many(topic=TOPIC, items=[(str(e.id), {"event_id": e.id, "ticket_id": e.ticket_id, "kind": kind})
                                        for e in events])
    return events
