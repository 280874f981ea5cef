"""Reads of intake records for staff pages: every one goes through the actor (staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from weibao.accounts import access
from weibao.core.errors import NotFound
from weibao.mail.models import InboundMessage, InboundStatus


def inbound_list_for(actor: Any, *, status: str = InboundStatus.QUARANTINED, before_id: int | None = None,
                     limit: int = 50) -> QuerySet[InboundMessage]:
    """Newest first, keyset-paginated by id (no OFFSET, no COUNT) so the page stays fast at any size."""
    if not access.is_staff(actor):
        return InboundMessage.objects.none()
    qs = InboundMessage.objects.select_related("mailbox", "ticket").defer("new_text", "quoted_text", "signature_text")
    if status:
        qs = qs.filter(status=status)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return qs.order_by("-id")[:limit]


def inbound_get_for(actor: Any, inbound_id: int) -> InboundMessage:
    if not access.is_staff(actor):
        raise NotFound("message not found")
    found = InboundMessage.objects.select_related("mailbox", "ticket", "contact").filter(id=inbound_id).first()
    if found is None:
        raise NotFound("message not found")
    return found
