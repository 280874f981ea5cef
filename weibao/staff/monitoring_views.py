"""Staff pages for monitoring: status, alarms (acknowledge), sources (add, flap window), maintenance windows, the ack link."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weibao.accounts import access
from weibao.core.errors import DomainError, NotFound
from weibao.customers.selectors import system_get_for, system_list_for
from weibao.monitoring import policy, selectors, services, sources
from weibao.monitoring.models import AlarmSource, InspectionReport, SourceKind
from weibao.monitoring.states import AlarmStatus, allowed_transitions
from weibao.monitoring.status import maintenance_window_create, status_overview_for
from weibao.staff.access import staff_required


@staff_required
def status_overview(request: HttpRequest) -> HttpResponse:
    rows = status_overview_for(request.user)
    reports = InspectionReport.objects.select_related("plan", "organisation").order_by("-ran_at")[:20]
    return render(request, "staff/monitoring/status.html", {"rows": rows, "reports": reports})


@staff_required
def alarm_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    qs = selectors.alarm_list_for(request.user)
    qs = qs.filter(status__in=["firing", "acknowledged", "silenced"]) if status == "open" else qs.filter(status=status) if status else qs
    return render(request, "staff/monitoring/alarms.html", {"alarms": qs[:200], "status": status, "statuses": list(AlarmStatus)})


@staff_required
@require_http_methods(["GET", "POST"])
def alarm_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        alarm = selectors.alarm_get_for(request.user, public_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        transition = request.POST.get("transition", "")
        try:
            if transition == "acknowledge":
                services.alarm_acknowledge(actor=request.user, alarm=alarm, note=request.POST.get("note", ""))  # type: ignore[arg-type]
            else:
                services.alarm_transition(actor=request.user, alarm=alarm, transition=transition,  # type: ignore[arg-type]
                                          note=request.POST.get("note", ""))
            messages.success(request, _("告警状态已更新。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("staff:alarm-detail", public_id=public_id)
    return render(request, "staff/monitoring/alarm_detail.html", {
        "alarm": alarm, "events": selectors.alarm_events_for(request.user, alarm),
        "transitions": allowed_transitions(alarm.status, by_person=True),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest) -> HttpResponse:
    if not access.is_manager_or_admin(request.user):
        raise Http404
    created = None
    if request.method == "POST":
        try:
            created = sources.alarm_source_create(actor=request.user, kind=request.POST.get("kind", ""),  # type: ignore[arg-type]
                                                  name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(request, "staff/monitoring/sources.html", {
        "sources": [(s, sources.webhook_url(s)) for s in selectors.source_list_for(request.user)],
        "kinds": SourceKind.choices, "created": created, "can_add": access.has_role(request.user, "admin"),
    })


@staff_required
@require_POST
def source_flap_window(request: HttpRequest, public_id: str) -> HttpResponse:
    """An administrator gives one source its own flap window (blank: its alarms follow their severity's policy)."""
    if not access.has_role(request.user, "admin"):
        raise Http404
    source = get_object_or_404(AlarmSource, public_id=public_id)
    try:
        policy.alarm_source_set_flap_window(actor=request.user, source=source,  # type: ignore[arg-type]
                                            minutes=request.POST.get("flap_window_minutes", ""))
    except DomainError as exc:
        messages.error(request, f"{exc.message} {' '.join(m for msgs in exc.details.values() for m in msgs)}")
        return redirect("staff:alarm-source-list")
    messages.success(request, _("抖动窗口已保存。"))
    return redirect("staff:alarm-source-list")


@staff_required
@require_http_methods(["GET", "POST"])
def maintenance_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        starts, ends = parse_datetime(request.POST.get("starts_at", "")), parse_datetime(request.POST.get("ends_at", ""))
        try:
            if starts is None or ends is None:
                raise DomainError(_("请填写开始和结束时间。"))
            if timezone.is_naive(starts):
                starts, ends = timezone.make_aware(starts), timezone.make_aware(ends)
            maintenance_window_create(actor=request.user, system=system_get_for(request.user, request.POST.get("system", "")),  # type: ignore[arg-type]
                                      starts_at=starts, ends_at=ends, reason=request.POST.get("reason", ""))
            messages.success(request, _("维护窗口已创建。"))
            return redirect("staff:maintenance-list")
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(request, "staff/monitoring/maintenance.html", {
        "windows": selectors.maintenance_list_for(request.user)[:200], "systems": system_list_for(request.user)[:500]})


@staff_required  # type: ignore[arg-type]  # a FileResponse streams; staff_required is typed for HttpResponse
def inspection_pdf(request: HttpRequest, public_id: str) -> HttpResponseBase:
    try:
        report = access.get_for(request.user, InspectionReport.objects.all(), public_id=public_id)
    except NotFound:
        raise Http404 from None
    if not report.pdf:
        raise Http404
    return FileResponse(report.pdf.open("rb"), content_type="application/pdf", filename=f"inspection-{report.ran_at:%Y%m%d}.pdf")


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a page: GET shows what will be acknowledged (mail scanners follow links), POST does it."""
    if request.method == "POST":
        try:
            alarm = services.alarm_acknowledge_by_link(token=token)
        except DomainError as exc:
            return render(request, "staff/monitoring/ack_link.html", {"error": exc.message}, status=exc.status)
        return render(request, "staff/monitoring/ack_link.html", {"alarm": alarm, "done": True})
    try:
        alarm = services.alarm_from_ack_token(token=token)
    except DomainError as exc:
        return render(request, "staff/monitoring/ack_link.html", {"error": exc.message}, status=exc.status)
    return render(request, "staff/monitoring/ack_link.html", {"alarm": alarm, "token": token})
