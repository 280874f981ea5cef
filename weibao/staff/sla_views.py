"""Staff pages for calendars and holidays: parse → call the service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.core import clock
from weibao.core.errors import DomainError
from weibao.sla.checks import holiday_coverage
from weibao.sla.models import Calendar, HolidayDate, Weekday
from weibao.sla.services import calendar_save, holidays_import_file
from weibao.staff.access import staff_required


@staff_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = Calendar.objects.prefetch_related("intervals")
    return render(request, "staff/sla/calendars.html", {"calendars": calendars, "coverage": holiday_coverage()})


def _weekday_text(calendar: Calendar) -> dict[int, str]:
    text: dict[int, list[str]] = {d: [] for d in range(7)}
    for iv in calendar.intervals.all():
        s, e = iv.minutes
        text[iv.weekday].append(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}")
    return {d: ", ".join(v) for d, v in text.items()}


def _rows_from_form(data: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for d in range(7):
        for part in str(data.get(f"day{d}", "")).replace("，", ",").split(","):
            part = part.strip().replace("–", "-").replace("～", "-").replace("~", "-")
            if part:
                start, _sep, end = part.partition("-")
                rows.append({"weekday": str(d), "start": start.strip(), "end": end.strip()})
    return rows


@staff_required
def calendar_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    calendar = Calendar.objects.filter(public_id=public_id).first()
    if calendar is None:
        raise Http404
    errors: dict[str, Any] = {}
    form_text = _weekday_text(calendar)
    if request.method == "POST":
        if not access.is_manager_or_admin(request.user):
            raise Http404
        form_text = {d: str(request.POST.get(f"day{d}", "")) for d in range(7)}
        try:
            calendar_save(actor=request.user, calendar=calendar,  # type: ignore[arg-type]
                          time_zone=request.POST.get("time_zone", calendar.time_zone).strip(),
                          always_open=request.POST.get("always_open") == "on",
                          intervals=_rows_from_form(request.POST))
        except DomainError as exc:
            errors = {"message": exc.message, "details": exc.details}
        else:
            messages.success(request, _("日历已保存。"))
            return redirect("staff:sla-calendar", public_id=calendar.public_id)
    days = [(d, Weekday(d).label, form_text.get(d, "")) for d in range(7)]
    return render(request, "staff/sla/calendar.html", {"calendar": calendar, "days": days, "errors": errors,
                                                       "can_edit": access.is_manager_or_admin(request.user)},
                  status=400 if errors else 200)


@staff_required
def holiday_list(request: HttpRequest) -> HttpResponse:
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else clock.now().year
    errors: dict[str, Any] = {}
    if request.method == "POST":
        if not access.is_manager_or_admin(request.user):
            raise Http404
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(_("请选择文件"), details={"file": [_("请上传 CSV 或 .ics 文件。")]})
            result = holidays_import_file(actor=request.user, filename=upload.name or "upload",  # type: ignore[arg-type]
                                          data=upload.read()[:2_000_001])
        except DomainError as exc:
            errors = {"message": exc.message, "details": exc.details}
        else:
            messages.success(request, _("已导入：新增 %(c)d 条，更新 %(u)d 条。") % {"c": result.created, "u": result.updated})
            return redirect(f"{request.path}?year={result.years[0] if result.years else year}")
    rows = HolidayDate.objects.filter(region="CN", date__year=year)
    return render(request, "staff/sla/holidays.html", {
        "rows": rows, "year": year, "years": [year - 1, year, year + 1], "errors": errors,
        "coverage": holiday_coverage(), "can_edit": access.is_manager_or_admin(request.user),
    }, status=400 if errors else 200)


@staff_required
def report(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from weibao.sla.reports import DIMENSIONS, report_query, sla_attainment, sla_breaches

    try:
        query = report_query(request.GET.get("from"), request.GET.get("to"), request.GET.get("by"),
                             today=timezone.localdate())
    except DomainError as exc:
        return render(request, "staff/sla/report.html", {"errors": {"message": exc.message, "details": exc.details},
                                                         "dimensions": list(DIMENSIONS)}, status=400)
    return render(request, "staff/sla/report.html", {
        "query": query, "rows": sla_attainment(request.user, query), "breaches": sla_breaches(request.user, query),
        "dimensions": list(DIMENSIONS), "querystring": request.GET.urlencode(),
    })
