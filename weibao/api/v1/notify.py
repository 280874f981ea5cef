"""API for the signed-in user's in-app notifications."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.api.base import actor_of
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.notify.channels.inapp import (
    notification_get_for,
    notification_list_for,
    notification_mark_all_read,
    notification_mark_read,
    notification_text,
)
from weibao.notify.models import Notification


class NotificationSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    ticket = serializers.CharField(source="ticket_public_id", read_only=True)
    text = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "ticket", "ticket_number", "subject", "text", "created_at", "read_at"]

    def get_text(self, obj: Notification) -> str:
        return notification_text(obj.kind, obj.ticket_number, obj.subject, obj.data)


class NotificationListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("all", OpenApiTypes.BOOL, description="include read notifications (default: unread only)")],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        unread_only = request.query_params.get("all", "").lower() not in ("1", "true", "yes")
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(notification_list_for(request.user, unread_only=unread_only), request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadView(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer, 404: ErrorSerializer})
    def post(self, request: Request, public_id: str) -> Response:
        notification = notification_get_for(request.user, public_id)
        return Response(NotificationSerializer(notification_mark_read(actor=actor_of(request), notification=notification)).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses={200: inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})})
    def post(self, request: Request) -> Response:
        marked: Any = notification_mark_all_read(actor=actor_of(request))
        return Response({"marked": marked})
