"""Keeping the index current from the outbox: every ticket event re-reads its ticket, every dictionary
edit the documents containing the word (both idempotent)."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q

from weibao.core.outbox import outbox_batch_handler, outbox_handler, outbox_put
from weibao.search import tokenizer
from weibao.search.index import index_objects, register_source, sources
from weibao.search.models import SearchDocument

log = logging.getLogger(__name__)


CHUNK = 10  # tickets per transaction: fewer commits, yet short enough not to hold SQLite's one write lock long


def on_ticket_events(payloads: list[dict[str, Any]]) -> None:
    """A delivery pass's events: each ticket re-read and re-indexed once, however many events it had."""
    if "ticket" not in sources():
        return
    ticket_ids = sorted({int(p["ticket_id"]) for p in payloads if p.get("ticket_id")})
    for start in range(0, len(ticket_ids), CHUNK):
        index_objects("ticket", ticket_ids[start:start + CHUNK])


DICTIONARY_CHUNK = 2000  # documents per outbox message: each delivery stays short, a big reindex is resumable


def on_dictionary_changed(payload: dict[str, Any]) -> None:
    """Reindex the objects of up to DICTIONARY_CHUNK documents (after id `after`) whose text contains the
    edited word, then hand the rest to a follow-up message. Text without the word is cut as before."""
    from weibao.search.services import DICTIONARY_TOPIC

    tokenizer.reset()  # this process must cut with the edited dictionary now, not within a few seconds
    word, after = str(payload["word"]), int(payload["after"])
    variants = {word, tokenizer.normalise(word)}
    contains = Q()
    for v in variants:
        contains |= Q(title__icontains=v) | Q(body__icontains=v)
    docs = list(SearchDocument.objects.filter(contains, id__gt=after).order_by("id")
                .values_list("id", "kind", "ref_id")[:DICTIONARY_CHUNK])
    by_kind: dict[str, set[int]] = {}
    for _id, kind, ref_id in docs:
        by_kind.setdefault(kind, set()).add(ref_id)
    for kind, refs in by_kind.items():
        if kind in sources():
            ordered = sorted(refs)
            for start in range(0, len(ordered), 500):
                index_objects(kind, ordered[start:start + 500])
    if len(docs) == DICTIONARY_CHUNK:
        last = docs[-1][0]
        outbox_put(topic=DICTIONARY_TOPIC, key=f"{payload['key']}:{last}", payload=payload | {"after": last})
    log.info("search: dictionary word %r, %d documents reindexed after id %d", word, len(docs), after)


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
    outbox_batch_handler("ticket.event")(on_ticket_events)
    outbox_handler("search.dictionary")(on_dictionary_changed)
