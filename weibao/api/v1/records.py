"""API for the seven service records of a request: PDFs, the facts they need, acceptance, archiving."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts.models import User
from weibao.api.base import actor_of
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.core.errors import ValidationFailed
from weibao.records import selectors, services
from weibao.records.kinds import ORDER, RecordKind, number_of
from weibao.records.models import Acceptance, Archive, Assessment, Decision, WorkOrder
from weibao.tickets.selectors import ticket_get_for

KIND_PARAM = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=RecordKind.values,
                              description="; ".join(f"{k.value}: {number_of(k)} {k.label}" for k in ORDER))
LANG_PARAM = OpenApiParameter("lang", OpenApiTypes.STR, enum=["zh-hans", "en"],
                              description="language of a live record (default: the user's); archived records are frozen")


class ArchivedDocumentSerializer(ApiSerializer):
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class ArchiveSerializer(ApiModelSerializer):
    archived_by = serializers.CharField(source="archived_by.__str__")
    documents = ArchivedDocumentSerializer(many=True)

    class Meta:
        model = Archive
        fields = ["archived_at", "archived_by", "language", "documents"]


class RecordRowSerializer(ApiSerializer):
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    number = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    archived = serializers.BooleanField()
    sha256 = serializers.CharField(allow_null=True)


class RecordIndexSerializer(ApiSerializer):
    records = RecordRowSerializer(many=True)
    archive = ArchiveSerializer(allow_null=True)


class RecordListView(APIView):
    @extend_schema(operation_id="ticket_records_list", responses={200: RecordIndexSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        archive = selectors.archive_for(request.user, public_id)
        hashes = {d.kind: d.sha256 for d in archive.documents.all()} if archive else {}
        rows = [{"kind": k.value, "number": number_of(k), "title": str(k.label),
                 "url": f"/api/v1/tickets/{public_id}/records/{k.value}", "archived": k.value in hashes,
                 "sha256": hashes.get(k.value)} for k in ORDER]
        return Response({"records": rows, "archive": ArchiveSerializer(archive).data if archive else None})


def language_of(request: Request) -> str:
    lang = request.query_params.get("lang") or getattr(request.user, "language", "") or "zh-hans"
    if lang not in ("zh-hans", "en"):
        raise ValidationFailed("Invalid language", details={"lang": ["Expected zh-hans or en."]})
    return lang


class RecordFileView(APIView):
    @extend_schema(
        operation_id="ticket_record_download",
        parameters=[KIND_PARAM, LANG_PARAM],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the record as an A4 PDF"),
            400: ErrorSerializer, 404: OpenApiResponse(ErrorSerializer, description="no such request for you, or unknown kind"),
            500: OpenApiResponse(ErrorSerializer, description="archive_damaged: a frozen file no longer matches its SHA-256"),
            503: OpenApiResponse(ErrorSerializer, description="cjk_font_missing: no CJK font is installed"),
        },
    )
    def get(self, request: Request, public_id: str, kind: str) -> HttpResponse:
        record = selectors.record_file_for(request.user, public_id, kind, language=language_of(request))
        response = HttpResponse(record.content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{record.filename}"'
        response["X-Content-SHA256"] = record.sha256
        response["X-Record-Archived"] = "true" if record.archived else "false"
        response["Cache-Control"] = "private, no-store"
        return response


class AssessmentSerializer(ApiModelSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reviewer = serializers.CharField(required=False, allow_null=True, help_text="reviewer's username",
                                     source="reviewer.username", default=None)

    class Meta:
        model = Assessment
        fields = ["decision", "maintenance_mode", "plan", "reviewer", "reviewer_opinion", "updated_at"]
        read_only_fields = ["updated_at"]


class WorkOrderSerializer(ApiModelSerializer):
    tasks = serializers.ListField(child=serializers.CharField(max_length=500), max_length=100)
    engineers = serializers.ListField(child=serializers.CharField(), help_text="engineers' usernames", max_length=20)

    class Meta:
        model = WorkOrder
        fields = ["tasks", "engineers", "planned_start", "planned_end", "notes", "updated_at"]
        read_only_fields = ["updated_at"]

    def to_representation(self, instance: WorkOrder) -> dict[str, Any]:
        return {"tasks": instance.tasks, "engineers": [u.username for u in instance.engineers.all()],
                "planned_start": instance.planned_start, "planned_end": instance.planned_end, "notes": instance.notes,
                "updated_at": instance.updated_at}


class AcceptanceSerializer(ApiModelSerializer):
    engineer = serializers.CharField(source="engineer.username", allow_null=True, default=None)
    lead = serializers.CharField(source="lead.username", allow_null=True, default=None)

    class Meta:
        model = Acceptance
        fields = ["passed", "verification", "engineer", "engineer_signed_at", "lead", "lead_signed_at"]


class SignSerializer(ApiSerializer):
    passed = serializers.BooleanField(default=True)
    verification = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)


def _users(usernames: list[str], field: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [n for n in usernames if n not in found]
    if missing:
        raise ValidationFailed("Unknown user", details={field: [f"Unknown user(s): {', '.join(missing)}"]})
    return [found[n] for n in usernames]


class AssessmentRecordView(APIView):
    @extend_schema(request=AssessmentSerializer, responses={200: AssessmentSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                            404: ErrorSerializer, 409: ErrorSerializer})
    def put(self, request: Request, public_id: str) -> Response:
        ticket = ticket_get_for(request.user, public_id)
        data = AssessmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        reviewer_name = (v.pop("reviewer", None) or {}).get("username")
        reviewer = _users([reviewer_name], "reviewer")[0] if reviewer_name else None
        row = services.assessment_record(actor=actor_of(request), ticket=ticket, reviewer=reviewer, **v)
        return Response(AssessmentSerializer(row).data)


class WorkOrderRecordView(APIView):
    @extend_schema(request=WorkOrderSerializer, responses={200: WorkOrderSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                           404: ErrorSerializer, 409: ErrorSerializer})
    def put(self, request: Request, public_id: str) -> Response:
        ticket = ticket_get_for(request.user, public_id)
        data = WorkOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        engineers = _users(v.pop("engineers"), "engineers")
        row = services.work_order_record(actor=actor_of(request), ticket=ticket, engineers=engineers, **v)
        return Response(WorkOrderSerializer(row).data)


class AcceptanceSignView(APIView):
    @extend_schema(request=SignSerializer, responses={200: AcceptanceSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                      404: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = ticket_get_for(request.user, public_id)
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.acceptance_sign(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(AcceptanceSerializer(row).data)


class ArchiveView(APIView):
    @extend_schema(request=None, responses={201: ArchiveSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                                            409: OpenApiResponse(ErrorSerializer, description="already archived, or not closed"),
                                            503: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = ticket_get_for(request.user, public_id)
        archive = services.ticket_archive(actor=actor_of(request), ticket=ticket)
        return Response(ArchiveSerializer(archive).data, status=201)
