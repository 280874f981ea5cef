"""A delivery pass's ticket events applied to the SLA clocks of all its tickets in one transaction.

One ticket at a time, a new request cost about nine statements and a transaction (its cursor, the ticket, its
events, its clocks, three clock inserts, the earliest due time, the due-time update): ≈10 ms of CPU per request
in a burst, most of the outbox consumer's work. Here each of those reads is one statement for the whole pass, new
clocks and their `started` events are two inserts, and cursors and due times one update each. The rules are the
same functions (`apply_event`, `clock_stop` …); only where the reads come from and when the writes happen differ.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from weibao.core.rows import update_values
from weibao.sla import clocks as sla_clocks
from weibao.sla.models import Clock, ClockState, TicketCursor
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import tickets_due_set


@transaction.atomic
def clocks_apply_pass(up_to: dict[int, int]) -> int:
    """Apply, once and in order, each ticket's not yet applied events up to its id in `up_to`.

    The cursors must exist (`cursors_ensure`). All or nothing: the caller retries ticket by ticket when this
    raises, so one bad ticket holds back only its own events. Returns the number of events applied.
    """
    # In ticket order: two passes locking overlapping tickets take the locks in the same order (no deadlock).
    cursors = {c.ticket_id: c for c in TicketCursor.objects.select_for_update()
               .filter(ticket_id__in=list(up_to)).order_by("ticket_id")}
    todo = {t: up for t, up in up_to.items() if t in cursors and cursors[t].last_event_id < up}
    if not todo:
        return 0
    tickets = Ticket.objects.in_bulk(list(todo))
    low = min(cursors[t].last_event_id for t in todo)
    events: dict[int, list[TicketEvent]] = {}
    for e in (TicketEvent.objects.select_related("actor")
              .filter(ticket_id__in=list(todo), id__gt=low, id__lte=max(todo.values())).order_by("id")):
        if cursors[e.ticket_id].last_event_id < e.id <= todo[e.ticket_id]:
            events.setdefault(e.ticket_id, []).append(e)
    # Locked, so the sweeper (SKIP LOCKED) leaves them alone while they change, as in the one-ticket path.
    clocks: dict[int, dict[str, Clock]] = {t: {} for t in todo}
    for c in (Clock.objects.select_for_update(of=("self",)).select_related("policy", "calendar")
              .filter(ticket_id__in=list(todo)).order_by("ticket_id", "id")):
        clocks[c.ticket_id][c.metric] = c
    applied = 0
    with sla_clocks.deferred_writes() as writes:
        for ticket_id, ticket_events in events.items():
            for i, event in enumerate(ticket_events):
                if i:
                    writes.flush([ticket_id])
                sla_clocks.apply_event(tickets[ticket_id], event, clocks[ticket_id])
                applied += 1
        writes.flush()
        changed = writes.due
    # Every clock of these tickets is in memory (all were read, new ones added): the earliest running due time
    # is computed here instead of read back per ticket.
    due: dict[int, datetime | None] = {}
    for ticket_id in changed:
        running = [c.due_at for c in clocks[ticket_id].values() if c.state == ClockState.RUNNING and c.due_at]
        earliest = min(running, default=None)
        if tickets[ticket_id].due_at != earliest:
            due[ticket_id] = earliest
    tickets_due_set(due)
    update_values(TicketCursor, ["last_event_id"], list(todo.items()))  # one UPDATE run per row
    return applied
