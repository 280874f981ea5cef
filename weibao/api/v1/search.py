"""GET /api/v1/search: full-text search over what the caller may read, with highlighted snippets."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.serializers import ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.core.errors import ValidationFailed
from weibao.customers.models import System
from weibao.search.query import MAX_LIMIT, Filters, Hit, search

KINDS = ("article", "ticket")


class HitSerializer(ApiSerializer):
    type = serializers.CharField(source="kind")
    id = serializers.CharField(source="public_id")
    title = serializers.CharField()
    title_html = serializers.CharField(help_text="HTML-escaped title with <mark> around matched words")
    snippet_html = serializers.CharField(help_text="HTML-escaped excerpt with <mark> around matched words")
    number = serializers.CharField(source="label")
    status = serializers.CharField()
    subtype = serializers.CharField()
    created_at = serializers.DateTimeField()
    score = serializers.FloatField()
    url = serializers.SerializerMethodField()

    def get_url(self, hit: Hit) -> str:
        return hit_url(hit, staff=bool(self.context.get("staff")))


def hit_url(hit: Hit, *, staff: bool) -> str:
    if hit.kind == "article":
        return f"/staff/kb/articles/{hit.public_id}" if staff else f"/kb/{hit.public_id}"
    return f"/staff/tickets/{hit.public_id}/" if staff else f"/portal/tickets/{hit.public_id}/"


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    day = parse_date(value) if len(value) <= 10 else None
    if day is None:
        raise ValidationFailed("日期格式不正确", details={name: ["应为 YYYY-MM-DD。"]})
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if end else moment


def filters_from(request: Request) -> Filters:
    """Filters from the query string; ids are public ids, and a customer's organisation filter is implied."""
    p = request.query_params
    kind = p.get("type", "")
    if kind and kind not in KINDS:
        raise ValidationFailed("type 不正确", details={"type": [f"可选值：{', '.join(KINDS)}。"]})
    org_id = None
    if p.get("organisation"):
        org = access.organisations_for(request.user).filter(public_id=p["organisation"]).first()
        # An organisation the caller may not see filters to nothing, exactly like an unknown one.
        org_id = org.id if org else -1
    system_id = None
    if p.get("system"):
        system = access.scope(request.user, System.objects.all()).filter(public_id=p["system"]).first()
        system_id = system.id if system else -1
    return Filters(kinds=(kind,) if kind else (), organisation_id=org_id, system_id=system_id,
                   status=p.get("status", "")[:30], created_from=_day(p.get("from"), "from"),
                   created_to=_day(p.get("to"), "to", end=True))


def _limit(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit", 20)), MAX_LIMIT))
    except ValueError:
        raise ValidationFailed("limit 不正确", details={"limit": ["应为整数。"]}) from None


class SearchView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="words to find (Chinese or English)"),
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(KINDS)),
            OpenApiParameter("organisation", OpenApiTypes.STR, description="organisation id"),
            OpenApiParameter("system", OpenApiTypes.STR, description="system id"),
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{MAX_LIMIT}, default 20"),
        ],
        responses={200: inline_serializer("SearchResponse", {"query": serializers.CharField(),
                                                              "words": serializers.ListField(child=serializers.CharField()),
                                                              "results": HitSerializer(many=True)}),
                   400: ErrorSerializer, 401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        result = search(actor=request.user, q=request.query_params.get("q", ""), filters=filters_from(request),
                        limit=_limit(request))
        context: dict[str, Any] = {"staff": access.is_staff(request.user)}
        return Response({"query": result.query, "words": result.words,
                         "results": HitSerializer(result.hits, many=True, context=context).data})



SOLVED = ("resolved", "closed")


class SuggestionsView(APIView):
    """While a request is written: matching articles and similar solved requests the caller may read."""

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="subject and description typed so far"),
                    OpenApiParameter("limit", OpenApiTypes.INT, description="per list, 1..10, default 5")],
        responses={200: inline_serializer("Suggestions", {"articles": HitSerializer(many=True),
                                                          "tickets": HitSerializer(many=True)}),
                   401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")[:1000]
        try:
            limit = max(1, min(int(request.query_params.get("limit", 5)), 10))
        except ValueError:
            limit = 5
        context: dict[str, Any] = {"staff": access.is_staff(request.user)}
        articles = search(actor=request.user, q=q, filters=Filters(kinds=("article",)), limit=limit).hits
        tickets = search(actor=request.user, q=q, filters=Filters(kinds=("ticket",), statuses=SOLVED), limit=limit).hits
        exclude = request.query_params.get("exclude", "")
        tickets = [t for t in tickets if t.public_id != exclude]
        return Response({"articles": HitSerializer(articles, many=True, context=context).data,
                         "tickets": HitSerializer(tickets, many=True, context=context).data})


class SuggestionEventSerializer(ApiSerializer):
    token = serializers.CharField(max_length=40)
    event = serializers.ChoiceField(choices=["opened", "submitted"])
    type = serializers.ChoiceField(choices=list(KINDS), required=False)
    id = serializers.CharField(max_length=24, required=False, default="")
    q = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SuggestionEventView(APIView):
    """Records that a suggestion was opened, or that the request was sent after all (for deflection)."""

    @extend_schema(request=SuggestionEventSerializer, responses={204: None, 400: ErrorSerializer, 401: ErrorSerializer})
    def post(self, request: Request) -> Response:
        from weibao.knowledge.deflection import suggestion_opened, suggestion_submitted

        data = SuggestionEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["event"] == "opened":
            if not v.get("type") or not v["id"]:
                raise ValidationFailed("缺少 type 或 id", details={"type": ["必填。"], "id": ["必填。"]})
            suggestion_opened(actor=request.user, token=v["token"], kind=v["type"], public_id=v["id"], query=v["q"])
        else:
            suggestion_submitted(actor=request.user, token=v["token"])
        return Response(status=204)
