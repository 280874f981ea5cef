"""What mail adds to a request's conversation: the quoted history and signature cut from each mail.

Intake keeps only a mail's new text in the conversation; the rest is kept on the intake record and
shown here collapsed under the message it came with (or under the description, for the mail that
opened the request). Plugged in through `weibao.core.panels.conversation_extras`; one query a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from weibao.mail.models import InboundMessage, Outcome

TEMPLATE = "mail/conversation_extra.html"


def conversation_extras(actor: Any, ticket: Any, message_ids: Sequence[int]) -> dict[int | None, tuple[str, dict[str, Any]]]:
    """{message id: (template, context)}; the key None is the description. The caller checked the actor may see
    the request and passes only the messages the actor may see."""
    rows = (
        InboundMessage.objects.filter(ticket=ticket)
        .filter(Q(ticket_message_id__in=list(message_ids)) | Q(outcome=Outcome.CREATED, ticket_message__isnull=True))
        .exclude(quoted_text="", signature_text="")
        .order_by("id")
        .values_list("ticket_message_id", "quoted_text", "signature_text")
    )
    out: dict[int | None, tuple[str, dict[str, Any]]] = {}
    for message_id, quoted, signature in rows:
        if message_id not in out:  # the same mail reaching two of our addresses was recorded twice
            out[message_id] = (TEMPLATE, {"quoted": quoted, "signature": signature})
    return out
