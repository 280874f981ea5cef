"""API for contracts, systems and entitlement."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
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
from weibao.api.v1.accounts import ErrorSerializer, _org_for
from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.customers import selectors, services
from weibao.customers.entitlement import EntitlementBasis, EntitlementKind, entitlement_for
from weibao.customers.models import Contract, LifecycleStage, ServiceLevel, System


class ContractSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    organisation = serializers.CharField(source="organisation.public_id", read_only=True)
    service_level = serializers.ChoiceField(choices=ServiceLevel.choices, default=ServiceLevel.STANDARD)

    class Meta:
        model = Contract
        fields = ["id", "number", "title", "organisation", "start_date", "end_date", "warranty_end",
                  "free_maintenance_end", "free_upgrade_end", "service_level", "prepaid_hours", "hourly_rate",
                  "onsite_day_rate", "notes"]


class ContractCreateSerializer(ContractSerializer):
    organisation = serializers.CharField(write_only=True, help_text="organisation id")  # type: ignore[assignment]

    class Meta(ContractSerializer.Meta):
        validators: list[object] = []
        # A taken number is a conflict (409) the service reports, not a malformed request (400).
        extra_kwargs: dict[str, dict[str, object]] = {"number": {"validators": []}}


class ContractListView(APIView):
    @extend_schema(responses=ContractSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.contract_list_for(request.user), request, view=self)
        return paginator.get_paginated_response(ContractSerializer(page, many=True).data)

    @extend_schema(request=ContractCreateSerializer, responses={201: ContractSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.can_manage_contracts(request.user))
        data = ContractCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        org = _org_for(request, v.pop("organisation"))
        contract = services.contract_create(actor=actor_of(request), organisation=org, **v)
        return Response(ContractSerializer(contract).data, status=201)


class ContractDetailView(APIView):
    @extend_schema(responses={200: ContractSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        return Response(ContractSerializer(selectors.contract_get_for(request.user, public_id)).data)

    @extend_schema(request=ContractSerializer, responses={200: ContractSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def patch(self, request: Request, public_id: str) -> Response:
        contract = selectors.contract_get_for(request.user, public_id)
        data = ContractSerializer(contract, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = {k: val for k, val in data.validated_data.items() if k != "number"}
        contract = services.contract_update(actor=actor_of(request), contract=contract, **v)
        return Response(ContractSerializer(contract).data)


class SystemSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    organisation = serializers.CharField(source="organisation.public_id", read_only=True)
    stage = serializers.ChoiceField(choices=LifecycleStage.choices, default=LifecycleStage.OPERATION)
    responsible_team = serializers.CharField(source="responsible_team.name", read_only=True, default=None)

    class Meta:
        model = System
        fields = ["id", "organisation", "name", "code", "version", "description", "stage", "development_started_on",
                  "deployed_on", "operation_started_on", "retired_on", "responsible_team"]


class SystemCreateSerializer(SystemSerializer):
    organisation = serializers.CharField(write_only=True, help_text="organisation id")  # type: ignore[assignment]
    contracts = serializers.ListField(child=serializers.CharField(), required=False, help_text="contract ids")

    class Meta(SystemSerializer.Meta):
        fields = [*SystemSerializer.Meta.fields, "contracts"]


class SystemListView(APIView):
    @extend_schema(responses=SystemSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.system_list_for(request.user), request, view=self)
        return paginator.get_paginated_response(SystemSerializer(page, many=True).data)

    @extend_schema(request=SystemCreateSerializer, responses={201: SystemSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.can_manage_systems(request.user))
        data = SystemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        org = _org_for(request, v.pop("organisation"))
        ids = v.pop("contracts", [])
        contracts = list(Contract.objects.filter(public_id__in=ids, organisation=org))
        if len(contracts) != len(set(ids)):
            raise ValidationFailed(_("系统信息无效。"), details={"contracts": [_("该客户没有这个合同。")]})
        system = services.system_create(actor=actor_of(request), organisation=org, contracts=contracts, **v)
        return Response(SystemSerializer(system).data, status=201)


class SystemDetailView(APIView):
    @extend_schema(responses={200: SystemSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        return Response(SystemSerializer(selectors.system_get_for(request.user, public_id)).data)

    @extend_schema(request=SystemSerializer, responses={200: SystemSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def patch(self, request: Request, public_id: str) -> Response:
        system = selectors.system_get_for(request.user, public_id)
        data = SystemSerializer(system, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        system = services.system_update(actor=actor_of(request), system=system, **data.validated_data)
        return Response(SystemSerializer(system).data)


class EntitlementSerializer(ApiSerializer):
    kind = serializers.ChoiceField(choices=[k.value for k in EntitlementKind])
    basis = serializers.ChoiceField(choices=[b.value for b in EntitlementBasis])
    reason = serializers.CharField()
    contract_number = serializers.CharField(allow_null=True)
    contract_id = serializers.CharField(allow_null=True, source="contract_public_id")
    valid_until = serializers.DateField(allow_null=True)
    prepaid_balance_hours = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    free_upgrade = serializers.BooleanField()
    on_date = serializers.DateField()


def parse_moment(value: str | None) -> datetime:
    if not value:
        return clock.now()
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValidationFailed(_("参数 at 无效。"), details={"at": [_("应为 ISO 8601 日期或日期时间。")]})
        parsed = datetime(day.year, day.month, day.day, 12)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class EntitlementView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("at", OpenApiTypes.STR, description="ISO 8601 date or date-time; default now")],
        responses={200: EntitlementSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, public_id: str) -> Response:
        system = selectors.system_get_for(request.user, public_id)
        result = entitlement_for(system=system, at=parse_moment(request.query_params.get("at")))
        return Response(EntitlementSerializer(result).data)
