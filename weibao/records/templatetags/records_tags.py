"""`{% load records_tags %}{% records_panel ticket "staff" %}` — the records box for a request page."""

from __future__ import annotations

from typing import Any

from django import template

from weibao.accounts import access
from weibao.records.kinds import RecordKind
from weibao.records.models import Archive

register = template.Library()


@register.inclusion_tag("records/_panel.html", takes_context=True)
def records_panel(context: dict[str, Any], ticket: Any, area: str = "staff") -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    archive = Archive.objects.filter(ticket_id=ticket.pk).first()
    return {
        "ticket": ticket, "area": area, "request": request, "archive": archive,
        "record_kinds": RecordKind.choices,
        "can_archive": area == "staff" and access.is_manager_or_admin(user) and ticket.status in ("closed", "declined"),
        "csrf_token": context.get("csrf_token"),
    }
