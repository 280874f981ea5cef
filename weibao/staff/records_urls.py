"""Staff downloads of a request's records, and the archive action (document administrator)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from weibao.accounts.models import User
from weibao.core.errors import DomainError, NotFound
from weibao.records import services
from weibao.staff import records_form_views as forms
from weibao.staff.access import staff_required
from weibao.tickets.selectors import ticket_get_for
from weibao.web.records import pdf_response


@staff_required
@require_GET
def record_download(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    return pdf_response(request, public_id, kind)


@staff_required
@require_POST
def record_archive(request: HttpRequest, public_id: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        ticket = ticket_get_for(user, public_id)
    except NotFound:
        raise Http404 from None
    try:
        services.ticket_archive(actor=user, ticket=ticket)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已归档，记录已冻结。"))
    # Only a local path is followed, so the form cannot be used to redirect elsewhere.
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else f"/staff/tickets/{public_id}/")


urlpatterns = [
    path("tickets/<str:public_id>/records/<str:kind>/", record_download, name="record-download"),
    path("tickets/<str:public_id>/archive/", record_archive, name="record-archive"),
    path("tickets/<str:public_id>/record-forms/assessment/", forms.assessment_edit, name="record-assessment-edit"),
    path("tickets/<str:public_id>/record-forms/work-order/", forms.work_order_edit, name="record-work-order-edit"),
    path("tickets/<str:public_id>/record-forms/acceptance/", forms.acceptance_sign, name="record-acceptance-sign"),
]
