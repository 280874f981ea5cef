"""Which request an incoming mail belongs to.

In order: our own Message-IDs (and those of earlier mail on a request) in In-Reply-To/References;
then a signed per-request reply address; then a [SR-2026-000123] subject tag, but only when the
sender already takes part in that request (a tag alone would let anyone write into any request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from weibao.accounts.models import Contact, User
from weibao.mail.lookups import IngestLookups
from weibao.mail.models import InboundMessage, OutboundMail
from weibao.mail.parsing import ParsedMail
from weibao.mail.tokens import ticket_id_from_address
from weibao.tickets.models import Message, Ticket
from weibao.tickets.selectors import ticket_find_by_number

SUBJECT_TAG = re.compile(r"\[\s*(SR-\d{4}-\d{4,})\s*\]", re.IGNORECASE)
MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket
    by: str  # "references", "reply_address" or "subject_tag"


def _follow_merges(ticket: Ticket) -> Ticket:
    hops = 0
    while ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = Ticket.objects.get(id=ticket.merged_into_id)
        hops += 1
    return ticket


def _by_references(ids: list[str], lookups: IngestLookups | None = None) -> Ticket | None:
    if not ids:
        return None
    known = lookups.thread_ticket_id(ids) if lookups is not None else None
    if known is not None:
        cached = Ticket.objects.filter(id=known).first()
        if cached is not None:
            return cached
    found: dict[str, int] = {}
    for mid, ticket_id in OutboundMail.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"):
        found.setdefault(mid, ticket_id)
    for mid, ticket_id in InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id"):
        found.setdefault(mid, ticket_id)  # type: ignore[arg-type]
    for mid in ids:  # nearest reference first
        if mid in found:
            return Ticket.objects.get(id=found[mid])
    return None


def sender_takes_part(ticket: Ticket, address: str) -> bool:
    """The sender is the requester, wrote or was written to on this request, or works on it."""
    address = address.lower()
    if not address:
        return False
    if ticket.requester_id and Contact.objects.filter(id=ticket.requester_id, email__iexact=address).exists():
        return True
    if InboundMessage.objects.filter(ticket=ticket, from_addr=address).exists():
        return True
    if OutboundMail.objects.filter(ticket=ticket, recipient=address).exists():
        return True
    if Message.objects.filter(ticket=ticket, author_contact__email__iexact=address).exists():
        return True
    staff = User.objects.filter(email__iexact=address, is_active=True)
    return staff.filter(Q(id=ticket.assignee_id) | Q(watched_tickets=ticket)).exists()


def thread_for(parsed: ParsedMail, *, envelope_to: list[str], lookups: IngestLookups | None = None) -> ThreadMatch | None:
    ticket = _by_references(parsed.thread_ids, lookups)
    if ticket is not None:
        return ThreadMatch(_follow_merges(ticket), "references")
    for address in [*envelope_to, *parsed.recipients]:
        ticket_id = ticket_id_from_address(address)
        if ticket_id is not None:
            found = Ticket.objects.filter(id=ticket_id).first()
            if found is not None:
                return ThreadMatch(_follow_merges(found), "reply_address")
    for number in SUBJECT_TAG.findall(parsed.subject or ""):
        found = ticket_find_by_number(number.upper())
        if found is not None and sender_takes_part(found, parsed.from_addr):
            return ThreadMatch(_follow_merges(found), "subject_tag")
    return None
