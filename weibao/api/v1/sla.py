"""API for calendars, due-time previews and holiday data (thin: parse → call → render)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.base import actor_of
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.core.errors import NotFound, ValidationFailed
from weibao.sla.calendars import parse_due_request, sla_due_at
from weibao.sla.models import Calendar, HolidayDate
from weibao.sla.services import holidays_import_file


class CalendarSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "always_open", "holiday_region"]


class CalendarPagination(DefaultCursorPagination):
    ordering = "name"


class CalendarListView(APIView):
    @extend_schema(responses=CalendarSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = CalendarPagination()
        page = paginator.paginate_queryset(Calendar.objects.all(), request, view=self)
        return paginator.get_paginated_response(CalendarSerializer(page, many=True).data)


class DueSerializer(ApiSerializer):
    calendar = serializers.CharField()
    start = serializers.DateTimeField()
    minutes = serializers.FloatField()
    due = serializers.CharField(help_text="in the calendar's time zone")
    due_utc = serializers.CharField()


class CalendarDueView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, required=True,
                             description="ISO 8601 date-time; without an offset it is read in the calendar's zone"),
            OpenApiParameter("minutes", OpenApiTypes.NUMBER, description="working minutes (or give hours)"),
            OpenApiParameter("hours", OpenApiTypes.NUMBER, description="working hours (or give minutes)"),
        ],
        responses={200: DueSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, public_id: str) -> Response:
        calendar = Calendar.objects.filter(public_id=public_id).first()
        if calendar is None:
            raise NotFound("日历不存在")
        q = request.query_params
        start, minutes = parse_due_request(calendar, q.get("start"), q.get("minutes"), q.get("hours"))
        due = sla_due_at(calendar, start, minutes)
        return Response({
            "calendar": calendar.public_id, "start": start.isoformat(), "minutes": minutes,
            "due": due.astimezone(ZoneInfo(calendar.time_zone)).isoformat(), "due_utc": due.isoformat(),
        })


class HolidaySerializer(ApiModelSerializer):
    class Meta:
        model = HolidayDate
        fields = ["region", "date", "kind", "name", "in_lieu", "source"]


class HolidayPagination(DefaultCursorPagination):
    ordering = "date"
    page_size = 200


class HolidayListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT), OpenApiParameter("region", OpenApiTypes.STR)],
        responses=HolidaySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = HolidayDate.objects.filter(region=request.query_params.get("region", "CN"))
        year = request.query_params.get("year")
        if year:
            if not year.isdigit():
                raise ValidationFailed("参数无效", details={"year": ["应为四位年份。"]})
            qs = qs.filter(date__year=int(year))
        paginator = HolidayPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(HolidaySerializer(page, many=True).data)


class ImportResultSerializer(ApiSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    years = serializers.ListField(child=serializers.IntegerField())


class HolidayImportView(APIView):
    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "region": {"type": "string"}}}},
        responses={200: ImportResultSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        access.require(access.is_manager_or_admin(request.user))
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("缺少文件", details={"file": ["请上传 CSV 或 .ics 文件。"]})
        if upload.size and upload.size > 2_000_000:
            raise ValidationFailed("文件过大", details={"file": ["最大 2 MB。"]})
        result = holidays_import_file(actor=actor_of(request), filename=upload.name or "upload",
                                      data=upload.read(), region=str(request.POST.get("region") or "CN"))
        return Response({"created": result.created, "updated": result.updated, "years": result.years})


class TicketSlaView(APIView):
    @extend_schema(
        summary="SLA targets of a request, with how each due time was reached",
        responses={200: OpenApiTypes.OBJECT, 404: ErrorSerializer},
    )
    def get(self, request: Request, public_id: str) -> Response:
        from weibao.sla.selectors import sla_explain
        from weibao.tickets.selectors import ticket_get_for

        ticket = ticket_get_for(request.user, public_id)
        return Response({"ticket": ticket.public_id, "number": ticket.number,
                         "targets": sla_explain(ticket, internal=access.is_staff(request.user))})


class SlaReportView(APIView):
    @extend_schema(
        summary="SLA attainment (first response, resolution) grouped by organisation/contract/priority/engineer/month",
        parameters=[OpenApiParameter("from", OpenApiTypes.STR, description="YYYY-MM (default: January this year)"),
                    OpenApiParameter("to", OpenApiTypes.STR, description="YYYY-MM inclusive (default: this month)"),
                    OpenApiParameter("by", OpenApiTypes.STR,
                                     description="comma-separated: organisation, contract, priority, engineer, month, metric")],
        responses={200: OpenApiTypes.OBJECT, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        from django.utils import timezone

        from weibao.sla.reports import report_query, sla_attainment, sla_breaches

        q = request.query_params
        query = report_query(q.get("from"), q.get("to"), q.get("by"), today=timezone.localdate())
        return Response({"from": query.start.isoformat(), "to_exclusive": query.end.isoformat(), "by": list(query.group_by),
                         "rows": sla_attainment(request.user, query), "breached": sla_breaches(request.user, query)})


class SlaReportExportView(APIView):
    @extend_schema(
        summary="The SLA report as an Excel workbook",
        parameters=[OpenApiParameter("from", OpenApiTypes.STR), OpenApiParameter("to", OpenApiTypes.STR),
                    OpenApiParameter("by", OpenApiTypes.STR)],
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
                   400: ErrorSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        from django.utils import timezone

        from weibao.sla.reports import report_query, sla_report_xlsx

        q = request.query_params
        query = report_query(q.get("from"), q.get("to"), q.get("by"), today=timezone.localdate())
        response = HttpResponse(sla_report_xlsx(request.user, query),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="sla-{query.start:%Y%m}.xlsx"'
        return response
