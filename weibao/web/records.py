"""A record PDF as a download, for whoever the records selector lets see it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from weibao.core.errors import DomainError, NotFound
from weibao.records import selectors


def pdf_response(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    lang = request.GET.get("lang") or getattr(request.user, "language", "") or "zh-hans"
    try:
        record = selectors.record_file_for(request.user, public_id, kind, language=lang if lang in ("zh-hans", "en") else "zh-hans")
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(record.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{record.filename}"'
    response["X-Content-SHA256"] = record.sha256
    response["Cache-Control"] = "private, no-store"
    return response
