"""Keeping the index current from the outbox: every ticket event re-reads its ticket (idempotent)."""

from __future__ import annotations

import logging
from typing import Any

from weibao.core.outbox import outbox_handler
from weibao.search.index import index_object, register_source, sources

log = logging.getLogger(__name__)


def on_ticket_event(payload: dict[str, Any]) -> None:
    if "ticket" in sources():
        index_object("ticket", int(payload["ticket_id"]))


_registered: list[bool] = []


def register() -> None:
    """Called from AppConfig.ready(): the ticket source exists only once the tickets app has its models."""
    if _registered:
        return
    _registered.append(True)
    try:
        from weibao.search.ticket_source import TicketSource

        register_source(TicketSource())
    except ImportError:  # tickets app without models yet: articles are still searchable
        log.debug("search: tickets are not indexed (weibao.tickets.models has no Ticket)")
    outbox_handler("ticket.event")(on_ticket_event)
