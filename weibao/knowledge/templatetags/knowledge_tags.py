"""`{% kb_related ticket %}`: related articles and similar solved requests, for a request page."""

from __future__ import annotations

from typing import Any

from django import template

from weibao.accounts import access
from weibao.search.query import Filters, search

register = template.Library()
SOLVED = ("resolved", "closed")


@register.inclusion_tag("knowledge/_related.html", takes_context=True)
def kb_related(context: dict[str, Any], ticket: Any, limit: int = 5) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "user", None)
    q = f"{ticket.subject} {(ticket.description or '')[:300]}"
    articles = search(actor=actor, q=q, filters=Filters(kinds=("article",)), limit=limit).hits
    similar = [h for h in search(actor=actor, q=q, filters=Filters(kinds=("ticket",), statuses=SOLVED), limit=limit + 1).hits
               if h.ref_id != ticket.id][:limit]
    return {"articles": articles, "similar": similar, "ticket": ticket, "staff": access.is_staff(actor),
            "can_draft": access.is_staff(actor) and str(ticket.status) in SOLVED, "csrf_token": context.get("csrf_token")}
