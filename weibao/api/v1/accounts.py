"""API for sign-in tokens, organisations and contacts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access, services
from weibao.accounts.models import ApiToken, Contact, Organisation, TokenScope
from weibao.api.base import actor_of
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.core.errors import NotFound


class ErrorSerializer(ApiSerializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class TokenRequestSerializer(ApiSerializer):
    username = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, default="script")
    scope = serializers.ChoiceField(choices=TokenScope.choices, required=False, default=TokenScope.WRITE)


class AuthTokenView(APIView):
    """Exchange a username (or e-mail) and password for a personal API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: inline_serializer("TokenResponse", {"token": serializers.CharField(), "scope": serializers.CharField()}),
                   400: ErrorSerializer, 401: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = services.password_authenticate(username=v["username"], password=v["password"], request=request._request)
        if user is None:
            return Response({"code": "authentication_failed", "message": _("用户名或密码不正确。"), "details": {}}, status=401)
        if user.totp_enabled or user.mfa_required:
            # A password alone must not mint a credential for an account that needs a second factor.
            return Response({"code": "second_factor_required", "message": _("此账户需要两步验证：请在网页上的“我的账户”中创建令牌。"), "details": {}}, status=401)
        new = services.api_token_create(actor=user, name=v["name"], scope=v["scope"])
        return Response({"token": new.raw, "scope": new.token.scope}, status=status.HTTP_201_CREATED)


class ApiTokenSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "last_used_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at"]


class TokenListView(APIView):
    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = actor_of(request).api_tokens.filter(revoked_at__isnull=True)
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(request=ApiTokenSerializer, responses={201: inline_serializer(
        "NewToken", {"token": serializers.CharField(), "id": serializers.CharField(), "scope": serializers.CharField()})})
    def post(self, request: Request) -> Response:
        data = ApiTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.api_token_create(actor=actor_of(request), **data.validated_data)
        return Response({"token": new.raw, "id": new.token.public_id, "scope": new.token.scope}, status=201)


class TokenDetailView(APIView):
    @extend_schema(responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, public_id: str) -> Response:
        services.api_token_revoke(actor=actor_of(request), public_id=public_id)
        return Response(status=204)


class OrganisationSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "code", "phone", "address", "email_domains", "is_active"]


class OrganisationListView(APIView):
    pagination_class = DefaultCursorPagination

    @extend_schema(responses=OrganisationSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(access.organisations_for(request.user), request, view=self)
        return paginator.get_paginated_response(OrganisationSerializer(page, many=True).data)


class OrganisationDetailView(APIView):
    @extend_schema(responses={200: OrganisationSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        org = access.organisations_for(request.user).filter(public_id=public_id).first()
        if org is None:
            raise NotFound(_("组织不存在。"))
        return Response(OrganisationSerializer(org).data)


class ContactSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    organisation = serializers.CharField(source="organisation.public_id", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "organisation", "name", "phone", "email", "position", "language", "is_active"]


class ContactCreateSerializer(ContactSerializer):
    organisation = serializers.CharField(write_only=True, help_text="organisation id")  # type: ignore[assignment]

    class Meta(ContactSerializer.Meta):
        pass


def _org_for(request: Request, public_id: str) -> Organisation:
    org = access.organisations_for(request.user).filter(public_id=public_id).first()
    if org is None:
        raise NotFound(_("组织不存在。"))
    return org


class ContactListView(APIView):
    @extend_schema(responses=ContactSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = DefaultCursorPagination()
        qs = access.scope(request.user, Contact.objects.select_related("organisation"))
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ContactSerializer(page, many=True).data)

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    def post(self, request: Request) -> Response:
        data = ContactCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        org = _org_for(request, v.pop("organisation"))
        contact = services.contact_create(actor=actor_of(request), organisation=org, **v)
        return Response(ContactSerializer(contact).data, status=201)


class ContactDetailView(APIView):
    def _get(self, request: Request, public_id: str) -> Contact:
        return access.get_for(request.user, Contact.objects.select_related("organisation"), public_id=public_id)

    @extend_schema(responses={200: ContactSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        return Response(ContactSerializer(self._get(request, public_id)).data)

    @extend_schema(request=ContactSerializer, responses={200: ContactSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def patch(self, request: Request, public_id: str) -> Response:
        contact = self._get(request, public_id)
        data = ContactSerializer(contact, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contact = services.contact_update(actor=actor_of(request), contact=contact, **data.validated_data)
        return Response(ContactSerializer(contact).data)

    @extend_schema(responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, public_id: str) -> Response:
        services.contact_delete(actor=actor_of(request), contact=self._get(request, public_id))
        return Response(status=204)
