"""API for monitoring: alarm sources and their webhooks, alarms, acknowledgement."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.base import actor_of
from weibao.api.errors import error_body
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.customers.selectors import system_get_for
from weibao.monitoring import intake, selectors, services, sources
from weibao.monitoring.models import Alarm, AlarmEvent, AlarmSource, SourceKind
from weibao.monitoring.states import AlarmStatus, allowed_transitions


class AlarmSourceSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    webhook_url = serializers.SerializerMethodField()
    default_system = serializers.CharField(source="default_system.public_id", read_only=True, default=None)

    class Meta:
        model = AlarmSource
        fields = ["id", "kind", "name", "token_prefix", "system_label", "default_system", "is_active", "last_delivery_at",
                  "webhook_url", "created_at"]

    def get_webhook_url(self, obj: AlarmSource) -> str:
        return sources.webhook_url(obj)


class AlarmSourceCreateSerializer(ApiSerializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    name = serializers.CharField(max_length=100)
    default_system = serializers.CharField(required=False, allow_blank=True, help_text="system id")


class AlarmSourceListView(APIView):
    @extend_schema(responses=AlarmSourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        access.require(access.is_manager_or_admin(request.user))
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.source_list_for(request.user), request, view=self)
        return paginator.get_paginated_response(AlarmSourceSerializer(page, many=True).data)

    @extend_schema(
        request=AlarmSourceCreateSerializer,
        responses={201: inline_serializer("AlarmSourceCreated", {"source": AlarmSourceSerializer(), "token": serializers.CharField(),
                                                                 "webhook_url": serializers.CharField()}),
                   400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        access.require(access.has_role(request.user, "admin"), "Only an administrator adds alarm sources")
        data = AlarmSourceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        system = system_get_for(request.user, v["default_system"]) if v.get("default_system") else None
        new = sources.alarm_source_create(actor=actor_of(request), kind=v["kind"], name=v["name"], system=system)
        return Response({"source": AlarmSourceSerializer(new.source).data, "token": new.token, "webhook_url": new.webhook_url},
                        status=201)


class WebhookView(APIView):
    """Alarm webhook for Alertmanager, Grafana or Zabbix. Authenticated by the source's token only:
    `Authorization: Bearer <token>` (or Basic with the token as password, or `X-Weibao-Token`)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: inline_serializer("WebhookAccepted", {"status": serializers.CharField(), "alerts": serializers.IntegerField(),
                                                               "changed": serializers.IntegerField()}),
                   400: ErrorSerializer, 401: ErrorSerializer, 413: ErrorSerializer},
        auth=[],
    )
    def post(self, request: Request, public_id: str) -> Response:
        raw = request._request
        token = sources.presented_token(raw.headers.get("Authorization", ""), raw.headers.get("X-Weibao-Token", ""))
        result = intake.delivery_receive(source_public_id=public_id, token=token, body=raw.body,
                                         remote_addr=raw.META.get("REMOTE_ADDR", ""))
        if result.http_status != 200:
            headers = {"WWW-Authenticate": 'Bearer realm="alarm-source"'} if result.http_status == 401 else {}
            return Response(error_body(result.code, result.message), status=result.http_status, headers=headers)
        return Response({"status": "ok", "alerts": result.alerts, "changed": result.changed})


class AlarmSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    system = serializers.CharField(source="system.public_id", read_only=True, default=None)
    system_name = serializers.CharField(source="system.name", read_only=True, default=None)
    source_name = serializers.CharField(source="source.name", read_only=True, default=None)
    incident = serializers.CharField(source="incident.number", read_only=True, default=None)
    incident_id = serializers.CharField(source="incident.public_id", read_only=True, default=None)

    class Meta:
        model = Alarm
        fields = ["id", "status", "severity", "fingerprint", "name", "summary", "description", "labels", "annotations",
                  "system", "system_name", "source_name", "incident", "incident_id", "starts_at", "ends_at", "last_seen_at", "resolved_at",
                  "acknowledged_at", "fire_count", "flapping", "generator_url"]


class AlarmEventSerializer(ApiModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = AlarmEvent
        fields = ["kind", "actor", "before", "after", "data", "created_at"]


class AlarmListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in AlarmStatus]),
                    OpenApiParameter("system", OpenApiTypes.STR, description="system id"),
                    OpenApiParameter("severity", OpenApiTypes.STR)],
        responses=AlarmSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        qs = selectors.alarm_list_for(request.user, status=q.get("status"), system=q.get("system"), severity=q.get("severity"))
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(AlarmSerializer(page, many=True).data)


class AlarmDetailView(APIView):
    @extend_schema(responses={200: AlarmSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        alarm = selectors.alarm_get_for(request.user, public_id)
        data = AlarmSerializer(alarm).data
        data["events"] = AlarmEventSerializer(selectors.alarm_events_for(request.user, alarm), many=True).data
        if access.is_staff(request.user):
            data["allowed_transitions"] = allowed_transitions(alarm.status, by_person=True)
        return Response(data)


class AlarmTransitionSerializer(ApiSerializer):
    transition = serializers.ChoiceField(choices=["acknowledge", "unacknowledge", "silence", "unsilence", "resolve"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class AlarmTransitionView(APIView):
    @extend_schema(request=AlarmTransitionSerializer,
                   responses={200: AlarmSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        alarm = selectors.alarm_get_for(request.user, public_id)
        access.require(access.is_staff(request.user), "Only staff change alarms")
        data = AlarmTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["transition"] == "acknowledge":
            alarm = services.alarm_acknowledge(actor=actor_of(request), alarm=alarm, note=v["note"])
        else:
            alarm = services.alarm_transition(actor=actor_of(request), alarm=alarm, transition=v["transition"], note=v["note"])
        return Response(AlarmSerializer(alarm).data)
