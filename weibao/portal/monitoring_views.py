"""Customer portal: the status of the customer's own systems, maintenance windows, inspection reports."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from weibao.accounts import access
from weibao.core import clock
from weibao.core.errors import NotFound
from weibao.monitoring.models import InspectionReport
from weibao.monitoring.selectors import maintenance_list_for
from weibao.monitoring.status import status_overview_for


@login_required
def status(request: HttpRequest) -> HttpResponse:
    if not access.is_customer(request.user):
        raise Http404
    now = clock.now()
    windows = maintenance_list_for(request.user).filter(ends_at__gt=now - timedelta(days=7)).order_by("starts_at")[:50]
    reports = access.scope(request.user, InspectionReport.objects.select_related("plan")).order_by("-ran_at")[:20]
    return render(request, "portal/monitoring/status.html", {
        "rows": status_overview_for(request.user), "windows": windows, "reports": reports, "now": now})


@login_required
def inspection_pdf(request: HttpRequest, public_id: str) -> HttpResponseBase:
    if not access.is_customer(request.user):
        raise Http404
    try:
        report = access.get_for(request.user, InspectionReport.objects.all(), public_id=public_id)
    except NotFound:
        raise Http404 from None
    if not report.pdf:
        raise Http404
    return FileResponse(report.pdf.open("rb"), content_type="application/pdf", filename=f"inspection-{report.ran_at:%Y%m%d}.pdf")
