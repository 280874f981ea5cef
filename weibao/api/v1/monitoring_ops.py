"""API for monitored items (probes), heartbeat check-ins, maintenance windows and the status overview."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.base import actor_of
from weibao.api.errors import error_body
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.customers.selectors import system_get_for
from weibao.monitoring import probing, selectors, status
from weibao.monitoring.models import MaintenanceWindow, Probe, ProbeKind, Severity


class ProbeSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    system = serializers.CharField(source="system.public_id", read_only=True)

    class Meta:
        model = Probe
        fields = ["id", "system", "name", "kind", "target", "expected_status", "keyword", "max_response_ms", "tls_warn_days",
                  "dns_expect", "interval_seconds", "timeout_seconds", "failures_before_alarm", "severity", "enabled", "state",
                  "consecutive_failures", "last_checked_at", "last_response_ms", "last_error", "last_heartbeat_at",
                  "cert_expires_at"]
        read_only_fields = ["state", "consecutive_failures", "last_checked_at", "last_response_ms", "last_error",
                            "last_heartbeat_at", "cert_expires_at"]


class ProbeCreateSerializer(ProbeSerializer):
    system = serializers.CharField(write_only=True, help_text="system id")  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=ProbeKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.HIGH)


class ProbeListView(APIView):
    @extend_schema(responses=ProbeSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.probe_list_for(request.user), request, view=self)
        return paginator.get_paginated_response(ProbeSerializer(page, many=True).data)

    @extend_schema(request=ProbeCreateSerializer,
                   responses={201: inline_serializer("ProbeCreated", {"probe": ProbeSerializer(), "heartbeat_url": serializers.CharField()}),
                              400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.is_manager_or_admin(request.user), "Only a manager or administrator adds monitored items")
        data = ProbeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        system = system_get_for(request.user, v.pop("system"))
        new = probing.probe_create(actor=actor_of(request), system=system, name=v.pop("name"), kind=v.pop("kind"),
                                   target=v.pop("target", ""), **v)
        url = request.build_absolute_uri(f"/api/v1/heartbeats/{new.heartbeat_token}") if new.heartbeat_token else ""
        return Response({"probe": ProbeSerializer(new.probe).data, "heartbeat_url": url}, status=201)


class HeartbeatView(APIView):
    """Called by the customer's scheduled job (`curl -fsS -X POST <url>`); the token in the URL is the credential."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def _checkin(self, token: str) -> Response:
        probe = probing.heartbeat_checkin(token=token)
        if probe is None:
            return Response(error_body("not_found", "Unknown heartbeat URL."), status=404)
        return Response({"status": "ok", "received_at": probe.last_heartbeat_at})

    @extend_schema(request=None, responses={200: inline_serializer("HeartbeatOk", {"status": serializers.CharField()}),
                                            404: ErrorSerializer}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        return self._checkin(token)

    @extend_schema(responses={200: inline_serializer("HeartbeatOkGet", {"status": serializers.CharField()}), 404: ErrorSerializer},
                   auth=[])
    def get(self, request: Request, token: str) -> Response:
        # Some schedulers can only GET a URL; a check-in is idempotent, so GET is accepted too.
        return self._checkin(token)


class MaintenanceWindowSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    system = serializers.CharField(source="system.public_id", read_only=True)
    system_name = serializers.CharField(source="system.name", read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "system", "system_name", "starts_at", "ends_at", "reason"]


class MaintenanceWindowCreateSerializer(MaintenanceWindowSerializer):
    system = serializers.CharField(write_only=True, help_text="system id")  # type: ignore[assignment]


class MaintenanceWindowListView(APIView):
    @extend_schema(responses=MaintenanceWindowSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.maintenance_list_for(request.user), request, view=self)
        return paginator.get_paginated_response(MaintenanceWindowSerializer(page, many=True).data)

    @extend_schema(request=MaintenanceWindowCreateSerializer,
                   responses={201: MaintenanceWindowSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.is_staff(request.user), "Only staff plan maintenance windows")
        data = MaintenanceWindowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        window = status.maintenance_window_create(actor=actor_of(request), system=system_get_for(request.user, v["system"]),
                                                  starts_at=v["starts_at"], ends_at=v["ends_at"], reason=v["reason"])
        return Response(MaintenanceWindowSerializer(window).data, status=201)


class StatusView(APIView):
    @extend_schema(responses=inline_serializer("SystemStatus", {
        "system": serializers.CharField(), "system_name": serializers.CharField(), "organisation": serializers.CharField(),
        "state": serializers.ChoiceField(choices=["up", "degraded", "down", "maintenance"]),
        "open_alarms": serializers.IntegerField(), "maintenance_until": serializers.DateTimeField(allow_null=True)}, many=True))
    def get(self, request: Request) -> Response:
        rows = status.status_overview_for(request.user)
        return Response([{"system": r.system.public_id, "system_name": r.system.name, "organisation": r.system.organisation.public_id,
                          "state": r.state, "open_alarms": r.open_alarms,
                          "maintenance_until": r.window.ends_at if r.window else None} for r in rows])
