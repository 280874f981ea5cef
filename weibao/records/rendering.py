"""One record of one request as PDF bytes (live, from the current data)."""

from __future__ import annotations

from django.utils import translation

from weibao.records.context import PendingArchive, record_context
from weibao.records.pdf import render_pdf
from weibao.tickets.models import Ticket


def record_pdf_render(ticket: Ticket, kind: str, *, language: str, pending: PendingArchive | None = None) -> bytes:
    with translation.override(language):
        context = record_context(ticket, kind, pending=pending)
    return render_pdf(f"records/{kind}.html", context, language=language)
