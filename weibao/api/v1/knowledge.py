"""API for knowledge articles: list, create, read, edit, transitions, revisions, feedback."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.api.base import actor_of
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.core.errors import ValidationFailed
from weibao.customers.models import System
from weibao.knowledge import selectors, services
from weibao.knowledge.models import Article, Audience, Category
from weibao.knowledge.states import TRANSITIONS, allowed_transitions


class ArticleSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.INTERNAL)
    systems = serializers.ListField(child=serializers.CharField(), required=False, write_only=True, help_text="system ids")
    organisations = serializers.ListField(child=serializers.CharField(), required=False, write_only=True,
                                          help_text="organisation ids (audience 'orgs')")
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["id", "title", "summary", "body", "category", "tags", "systems", "versions", "audience", "organisations",
                  "status", "is_faq", "revision", "published_at", "view_count", "helpful_count", "unhelpful_count",
                  "created_at", "updated_at", "allowed_transitions"]
        read_only_fields = ["status", "revision", "published_at", "view_count", "helpful_count", "unhelpful_count",
                            "created_at", "updated_at"]

    def to_representation(self, instance: Article) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["systems"] = [s.public_id for s in instance.systems.all()]
        staff = access.is_staff(self.context.get("actor"))
        data["organisations"] = [o.public_id for o in instance.organisations.all()] if staff else []
        return data

    def get_allowed_transitions(self, instance: Article) -> list[str]:
        return allowed_transitions(instance, self.context.get("actor"))


def _relations(actor: Any, v: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "systems" in v:
        ids = list(dict.fromkeys(v.pop("systems")))
        systems = list(access.scope(actor, System.objects.all()).filter(public_id__in=ids))
        if len(systems) != len(ids):
            raise ValidationFailed("系统不存在", details={"systems": ["未知的系统。"]})
        out["systems"] = systems
    if "organisations" in v:
        out["organisations"] = services.organisations_by_public_id(v.pop("organisations"))
    return out


class ArticleListView(APIView):
    @extend_schema(responses=ArticleSerializer(many=True))
    def get(self, request: Request) -> Response:
        qs = selectors.article_list_for(request.user, status=request.query_params.get("status", ""))
        qs = qs.prefetch_related("systems", "organisations")
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ArticleSerializer(page, many=True, context={"actor": request.user}).data)

    @extend_schema(request=ArticleSerializer, responses={201: ArticleSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.is_staff(request.user), "只有内部人员可以编写知识文章。")
        data = ArticleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        article = services.article_create(actor=actor_of(request), **v, **_relations(request.user, v))
        return Response(ArticleSerializer(article, context={"actor": request.user}).data, status=201)


class ArticleDetailView(APIView):
    @extend_schema(responses={200: ArticleSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        article = selectors.article_get_for(request.user, public_id)
        if not access.is_staff(request.user):
            services.article_viewed(article=article)
        return Response(ArticleSerializer(article, context={"actor": request.user}).data)

    @extend_schema(request=ArticleSerializer, responses={200: ArticleSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                         404: ErrorSerializer, 409: ErrorSerializer})
    def patch(self, request: Request, public_id: str) -> Response:
        article = selectors.article_get_for(request.user, public_id)
        access.require(access.is_staff(request.user), "只有内部人员可以修改知识文章。")
        data = ArticleSerializer(article, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        relations = _relations(request.user, v)
        article = services.article_update(actor=actor_of(request), article=article, note=str(getattr(request.data, "get", lambda *_: "")("note", "")),
                                          **relations, **v)
        return Response(ArticleSerializer(article, context={"actor": request.user}).data)


class ArticleTransitionSerializer(ApiSerializer):
    transition = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ArticleTransitionView(APIView):
    @extend_schema(request=ArticleTransitionSerializer, responses={200: ArticleSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                                                            404: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        article = selectors.article_get_for(request.user, public_id)
        access.require(access.is_staff(request.user), "只有内部人员可以审核知识文章。")
        data = ArticleTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_transition(actor=actor_of(request), article=article, **data.validated_data)
        return Response(ArticleSerializer(article, context={"actor": request.user}).data)


class ArticleRevisionsView(APIView):
    @extend_schema(responses={200: inline_serializer("ArticleRevisions", {
        "revisions": serializers.ListField(child=serializers.DictField()),
        "diff": serializers.ListField(child=serializers.ListField(child=serializers.CharField()))}), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        """The revisions; with ?old=N&new=M also the line diff between them (op is ' ', '+' or '-')."""
        article = selectors.article_get_for(request.user, public_id)
        access.require(access.is_staff(request.user), "只有内部人员可以查看修订历史。")
        revisions = [{"number": r.number, "title": r.title, "note": r.note, "created_at": r.created_at,
                      "author": str(r.author) if r.author else None} for r in article.revisions.select_related("author")]
        diff: list[list[str]] = []
        old, new = request.query_params.get("old"), request.query_params.get("new")
        if old and new:
            if not (old.isdigit() and new.isdigit()):
                raise ValidationFailed("版本号不正确", details={"old": ["应为整数。"]})
            diff = [[op, line] for op, line in selectors.revision_diff(article, int(old), int(new))]
        return Response({"revisions": revisions, "diff": diff})


class FeedbackSerializer(ApiSerializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ArticleFeedbackView(APIView):
    @extend_schema(request=FeedbackSerializer, responses={201: FeedbackSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        article = selectors.article_get_for(request.user, public_id)
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.article_feedback_add(actor=actor_of(request), article=article, **data.validated_data)
        return Response(data.validated_data, status=201)
