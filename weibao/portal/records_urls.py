"""Customers download their own organisation's records (the access check is the tickets selector's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from weibao.accounts import access
from weibao.web.records import pdf_response


@login_required
@require_GET
def record_download(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    if not access.is_customer(request.user):
        raise Http404
    return pdf_response(request, public_id, kind)


urlpatterns = [path("tickets/<str:public_id>/records/<str:kind>/", record_download, name="record-download")]
