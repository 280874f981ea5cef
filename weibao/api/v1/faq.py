"""API for FAQ mining: the groups of a period, an FAQ draft from a group, an article from a request, digests."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.base import actor_of
from weibao.api.serializers import ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.api.v1.knowledge import ArticleSerializer
from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.knowledge import faq_services
from weibao.knowledge.deflection import deflection_stats


def _date(value: str | None, name: str, default: date) -> date:
    if not value:
        return default
    parsed = parse_date(value) if len(value) <= 10 else None
    if parsed is None:
        raise ValidationFailed("日期格式不正确", details={name: ["应为 YYYY-MM-DD。"]})
    return parsed


def period_of(request: Request) -> tuple[date, date]:
    today = timezone.localdate(clock.now())
    end = _date(request.query_params.get("to"), "to", today)
    start = _date(request.query_params.get("from"), "from", end - timedelta(days=30))
    if (end - start).days > 366:
        raise ValidationFailed("日期范围过大", details={"from": ["最长一年。"]})
    return start, end


class FaqGroupSerializer(ApiSerializer):
    size = serializers.IntegerField()
    terms = serializers.ListField(child=serializers.CharField())
    representative = serializers.DictField()
    tickets = serializers.ListField(child=serializers.DictField())
    covered_by = serializers.DictField(allow_null=True)


class FaqGroupsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE),
                    OpenApiParameter("organisation", OpenApiTypes.STR), OpenApiParameter("limit", OpenApiTypes.INT)],
        responses={200: inline_serializer("FaqGroups", {"from": serializers.DateField(), "to": serializers.DateField(),
                                                        "groups": FaqGroupSerializer(many=True)}),
                   400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        """Requests of the period grouped by what they ask, largest first (managers)."""
        access.require(access.is_manager_or_admin(request.user), "只有服务管理人员可以查看常见问题分组。")
        start, end = period_of(request)
        org_id = None
        if request.query_params.get("organisation"):
            org = access.organisations_for(request.user).filter(public_id=request.query_params["organisation"]).first()
            org_id = org.id if org else -1
        limit = request.query_params.get("limit", "20")
        groups = faq_services.faq_groups(actor=request.user, start=start, end=end, organisation_id=org_id,
                                         limit=int(limit) if limit.isdigit() else 20)
        return Response({"from": start, "to": end, "groups": [asdict(g) for g in groups]})


class FaqDraftSerializer(ApiSerializer):
    tickets = serializers.ListField(child=serializers.CharField(max_length=24), min_length=1, max_length=200)


class FaqDraftView(APIView):
    @extend_schema(request=FaqDraftSerializer, responses={201: ArticleSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                          404: ErrorSerializer})
    def post(self, request: Request) -> Response:
        """One click: an FAQ article draft from a group's requests."""
        access.require(access.is_manager_or_admin(request.user), "只有服务管理人员可以从分组生成常见问题。")
        data = FaqDraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = faq_services.faq_draft_from_group(actor=actor_of(request), ticket_public_ids=data.validated_data["tickets"])
        return Response(ArticleSerializer(article, context={"actor": request.user}).data, status=201)


class ArticleFromTicketView(APIView):
    @extend_schema(request=None, responses={201: ArticleSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                            404: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        """Draft an article from a resolved request's question and resolution."""
        access.require(access.is_staff(request.user), "只有内部人员可以编写知识文章。")
        article = faq_services.article_draft_from_ticket(actor=actor_of(request), ticket_public_id=public_id)
        return Response(ArticleSerializer(article, context={"actor": request.user}).data, status=201)


class DigestSubscriptionView(APIView):
    @extend_schema(request=inline_serializer("DigestSubscription", {"active": serializers.BooleanField()}),
                   responses={200: inline_serializer("DigestSubscriptionState", {"active": serializers.BooleanField()}),
                              400: ErrorSerializer})
    def put(self, request: Request) -> Response:
        """Subscribe to (or leave) the monthly FAQ digest mail."""
        active = request.data.get("active") if hasattr(request.data, "get") else None
        if not isinstance(active, bool):
            raise ValidationFailed("active 应为 true 或 false", details={"active": ["布尔值。"]})
        sub = faq_services.faq_subscribe(actor=request.user, active=active)
        return Response({"active": sub.active})


class DeflectionView(APIView):
    @extend_schema(parameters=[OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE)],
                   responses={200: inline_serializer("Deflection", {"opened": serializers.IntegerField(),
                                                                    "submitted": serializers.IntegerField(),
                                                                    "deflected": serializers.IntegerField()}),
                              403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        """Requests abandoned after a suggestion was opened (deflected), for managers."""
        access.require(access.is_manager_or_admin(request.user), "只有服务管理人员可以查看。")
        start, end = period_of(request)
        from weibao.knowledge.faq_services import day_start

        stats = deflection_stats(start=day_start(start), end=day_start(end + timedelta(days=1)))
        return Response(stats.as_dict())
