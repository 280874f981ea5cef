"""API for service requests: parse → call a tickets service or selector → render. No domain logic here."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, Contact, Team, User
from weibao.api.base import actor_of
from weibao.api.pagination import DefaultCursorPagination
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer, _org_for
from weibao.core.errors import ValidationFailed
from weibao.customers.models import Component, Environment, System
from weibao.tickets import selectors, services, services_work
from weibao.tickets.models import (
    Channel,
    EntitlementKindChoice,
    Level,
    MaintenanceCategory,
    Message,
    Priority,
    ResolutionMethod,
    Ticket,
    TicketType,
)
from weibao.tickets.states import STATUS_CHOICES, TRANSITION_CHOICES, Status, allowed_transitions

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


_DATETIME = serializers.DateTimeField()


class PersonSerializer(ApiSerializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class TicketSerializer(ApiModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    organisation = serializers.CharField(source="organisation.public_id")
    organisation_name = serializers.CharField(source="organisation.name")
    requester = serializers.CharField(source="requester.public_id", default=None)
    requester_name = serializers.CharField(source="requester.name", default=None)
    system = serializers.CharField(source="system.public_id", default=None)
    system_name = serializers.CharField(source="system.name", default=None)
    team = serializers.CharField(source="team.name", default=None)
    assignee = PersonSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
    channel = serializers.ChoiceField(choices=Channel.choices)
    type = serializers.ChoiceField(choices=TicketType.choices)
    maintenance_category = serializers.ChoiceField(choices=MaintenanceCategory.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)
    impact = serializers.ChoiceField(choices=Level.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    entitlement_kind = serializers.ChoiceField(choices=EntitlementKindChoice.choices)
    resolution_method = serializers.ChoiceField(choices=ResolutionMethod.choices)
    tags = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Ticket
        fields = ["id", "number", "organisation", "organisation_name", "requester", "requester_name", "system",
                  "system_name", "channel", "type", "maintenance_category", "urgency", "impact", "priority", "status",
                  "subject", "team", "assignee", "tags", "entitlement_kind", "reopen_count", "unverified_requester",
                  "resolution_method", "first_response_at", "resolved_at", "closed_at", "created_at", "updated_at"]
        read_only_fields = fields

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        """The fields above, written out: DRF's generic walk (attribute lookups, a field object per value) cost
        most of a list page's CPU. The declared fields stay for the OpenAPI schema and the datetime format;
        tests/tickets/test_api.py compares this with DRF's own output."""
        t = instance
        org, requester, system, team, assignee = t.organisation, t.requester, t.system, t.team, t.assignee
        when = self._when()
        return {
            "id": t.public_id, "number": t.number, "organisation": org.public_id, "organisation_name": org.name,
            "requester": requester.public_id if requester else None, "requester_name": requester.name if requester else None,
            "system": system.public_id if system else None, "system_name": system.name if system else None,
            "channel": t.channel, "type": t.type, "maintenance_category": t.maintenance_category, "urgency": t.urgency,
            "impact": t.impact, "priority": t.priority, "status": t.status, "subject": t.subject,
            "team": team.name if team else None,
            "assignee": {"username": assignee.username, "name": str(assignee)} if assignee else None,
            "tags": [str(tag) for tag in t.tags], "entitlement_kind": t.entitlement_kind,
            "reopen_count": int(t.reopen_count), "unverified_requester": bool(t.unverified_requester),
            "resolution_method": t.resolution_method, "first_response_at": when(t.first_response_at),
            "resolved_at": when(t.resolved_at), "closed_at": when(t.closed_at), "created_at": when(t.created_at),
            "updated_at": when(t.updated_at),
        }

    def _when(self) -> Any:
        # DRF's DateTimeField formats in the current time zone, "Z" for UTC. One unbound field serves every
        # serializer: `self.fields` would give this instance a clone of every declared field, to format five values.
        return lambda value: _DATETIME.to_representation(value) if value else None


class TicketDetailSerializer(TicketSerializer):
    description = serializers.CharField()
    component = serializers.CharField(source="component.name", default=None)
    environment = serializers.CharField(source="environment.name", default=None)
    parent = serializers.CharField(source="parent.public_id", default=None)  # type: ignore[assignment]
    merged_into = serializers.CharField(source="merged_into.public_id", default=None)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "description", "component", "environment", "parent", "merged_into",
                  "entitlement_reason", "resolution_root_cause", "resolution_text", "decline_reason",
                  "closed_automatically", "allowed_transitions"]
        read_only_fields = fields

    def get_allowed_transitions(self, obj: Ticket) -> list[str]:
        return allowed_transitions(obj, self.context["actor"])

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        t = instance
        component, environment, parent, merged = t.component, t.environment, t.parent, t.merged_into
        return {
            **super().to_representation(t), "description": str(t.description),
            "component": component.name if component else None,
            "environment": environment.name if environment else None,
            "parent": parent.public_id if parent else None, "merged_into": merged.public_id if merged else None,
            "entitlement_reason": t.entitlement_reason, "resolution_root_cause": t.resolution_root_cause,
            "resolution_text": t.resolution_text, "decline_reason": t.decline_reason,
            "closed_automatically": bool(t.closed_automatically),
            "allowed_transitions": self.get_allowed_transitions(t),
        }


class TicketCreateSerializer(ApiSerializer):
    organisation = serializers.CharField(required=False, help_text="organisation id; customers default to their own")
    subject = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, default="", max_length=100_000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    type = serializers.ChoiceField(choices=TicketType.choices, default=TicketType.FAULT)
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    requester = serializers.CharField(required=False, help_text="contact id")
    system = serializers.CharField(required=False, help_text="system id")
    component = serializers.CharField(required=False, help_text="component name within the system")
    environment = serializers.CharField(required=False, help_text="environment name within the system")
    parent = serializers.CharField(required=False, help_text="parent ticket id (child work order)")  # type: ignore[assignment]
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)


class TicketUpdateSerializer(ApiSerializer):
    subject = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(allow_blank=True, required=False, max_length=100_000)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    maintenance_category = serializers.ChoiceField(choices=MaintenanceCategory.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


def _system(org_id: int, public_id: str | None) -> System | None:
    if not public_id:
        return None
    system = System.objects.filter(public_id=public_id, organisation_id=org_id).first()
    if system is None:
        raise ValidationFailed("Invalid ticket", details={"system": ["Unknown system for this customer."]})
    return system


def _named(model: Any, system: System | None, name: str | None, field: str) -> Any:
    if not name:
        return None
    obj = model.objects.filter(system=system, name=name).first() if system else None
    if obj is None:
        raise ValidationFailed("Invalid ticket", details={field: ["Unknown for the chosen system."]})
    return obj


def _ticket(request: Request, public_id: str) -> Ticket:
    return selectors.ticket_get_for(request.user, public_id)


LIST_FILTERS = [
    OpenApiParameter("queue", OpenApiTypes.STR, enum=list(selectors.QUEUES)),
    OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in Status], many=True),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=Priority.values),
    OpenApiParameter("type", OpenApiTypes.STR, enum=TicketType.values),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
    OpenApiParameter("organisation", OpenApiTypes.STR, description="organisation id"),
    OpenApiParameter("system", OpenApiTypes.STR, description="system id"),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="username"),
    OpenApiParameter("team", OpenApiTypes.STR, description="team name"),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter("q", OpenApiTypes.STR, description="number or words of the subject"),
]


class TicketListView(APIView):
    @extend_schema(parameters=LIST_FILTERS, responses={200: TicketSerializer(many=True), 400: ErrorSerializer})
    def get(self, request: Request) -> Response:
        p = request.query_params
        filters: dict[str, Any] = {"queue": p.get("queue") or "all", "status": p.getlist("status") or None,
                                   "priority": p.get("priority"), "type": p.get("type"), "channel": p.get("channel"),
                                   "tag": p.get("tag"), "q": p.get("q")}
        if p.get("organisation"):
            filters["organisation"] = _org_for(request, p["organisation"])
        if p.get("system"):
            filters["system"] = System.objects.filter(public_id=p["system"]).first() or 0
        if p.get("assignee"):
            filters["assignee"] = User.objects.filter(username=p["assignee"]).first() or 0
        if p.get("team"):
            filters["team"] = Team.objects.filter(name=p["team"]).first() or 0
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.ticket_list_for(request.user, **filters), request, view=self)
        return paginator.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if v.get("organisation"):
            org = _org_for(request, v["organisation"])
        elif actor.organisation_id and access.is_customer(actor):
            org = actor.organisation  # type: ignore[assignment]
        else:
            raise ValidationFailed("Invalid ticket", details={"organisation": ["This field is required."]})
        system = _system(org.id, v.get("system"))
        requester = None
        if v.get("requester"):
            requester = Contact.objects.filter(public_id=v["requester"], organisation=org).first()
            if requester is None:
                raise ValidationFailed("Invalid ticket", details={"requester": ["Unknown contact for this customer."]})
        parent = None
        if v.get("parent"):
            parent = selectors.ticket_get_for(actor, v["parent"])
        ticket = services.ticket_create(
            actor=actor, organisation=org, subject=v["subject"], description=v["description"], channel=v["channel"],
            type=v["type"], urgency=v["urgency"], impact=v["impact"], requester=requester, system=system,
            component=_named(Component, system, v.get("component"), "component"),
            environment=_named(Environment, system, v.get("environment"), "environment"), parent=parent, tags=v["tags"],
        )
        return Response(TicketDetailSerializer(ticket, context={"actor": actor}).data, status=201)


class TicketDetailView(APIView):
    @extend_schema(responses={200: TicketDetailSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        return Response(TicketDetailSerializer(_ticket(request, public_id), context={"actor": request.user}).data)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def patch(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_update(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(TicketDetailSerializer(ticket, context={"actor": request.user}).data)


class TransitionSerializer(ApiSerializer):
    transition = serializers.ChoiceField(choices=TRANSITION_CHOICES)
    expected_status = serializers.ChoiceField(choices=STATUS_CHOICES, required=False,
                                              help_text="refuse with 409 if the ticket is no longer in this status")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                   help_text="decline (required), reject, reopen")
    resolution_method = serializers.ChoiceField(choices=ResolutionMethod.choices, required=False)
    resolution_root_cause = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    resolution_text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    maintenance_category = serializers.ChoiceField(choices=MaintenanceCategory.choices, required=False)
    assessment_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    entitlement_kind = serializers.ChoiceField(choices=EntitlementKindChoice.choices, required=False,
                                               help_text="manager override at assessment")
    entitlement_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    assignee = serializers.CharField(required=False, help_text="username (assign)")
    team = serializers.CharField(required=False, help_text="team name (assign)")
    into = serializers.CharField(required=False, help_text="ticket id to merge into (merge)")


class TransitionConflictSerializer(ApiSerializer):
    code = serializers.ChoiceField(choices=["transition_not_allowed"])
    message = serializers.CharField()
    details = inline_serializer("TransitionConflictDetails", {
        "status": serializers.ChoiceField(choices=STATUS_CHOICES),
        "allowed": serializers.ListField(child=serializers.ChoiceField(choices=TRANSITION_CHOICES)),
    })


def _staff_user(username: str) -> User:
    user = User.objects.filter(username=username, role__in=STAFF_ROLES, is_active=True).first()
    if user is None:
        raise ValidationFailed("Invalid assignee", details={"assignee": ["Unknown engineer."]})
    return user


def _team(name: str) -> Team:
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise ValidationFailed("Invalid team", details={"team": ["Unknown team."]})
    return team


class TicketTransitionView(APIView):
    @extend_schema(request=TransitionSerializer,
                   responses={200: TicketDetailSerializer, 409: TransitionConflictSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        name = params.pop("transition")
        if "assignee" in params:
            params["assignee"] = _staff_user(params["assignee"])
        if "team" in params:
            params["team"] = _team(params["team"])
        if "into" in params:
            params["into"] = selectors.ticket_get_for(request.user, params["into"])
        ticket = services.ticket_transition(actor=actor_of(request), ticket=ticket, transition=name, **params)
        return Response(TicketDetailSerializer(ticket, context={"actor": request.user}).data)


class AssignmentSerializer(ApiSerializer):
    assignee = serializers.CharField(required=False, allow_null=True, help_text="username; null to unassign")
    team = serializers.CharField(required=False, allow_null=True, help_text="team name")
    auto = serializers.BooleanField(required=False, default=False,
                                    help_text="apply the assignment rules: team, then round-robin or least-loaded engineer")


class TicketAssignmentView(APIView):
    @extend_schema(request=AssignmentSerializer,
                   responses={200: TicketDetailSerializer, 409: TransitionConflictSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = AssignmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if v.pop("auto"):
            ticket = services_work.ticket_auto_assign(actor=actor_of(request), ticket=ticket)
            return Response(TicketDetailSerializer(ticket, context={"actor": request.user}).data)
        if not v:
            raise ValidationFailed("Invalid assignment", details={"assignee": ["Give an assignee or a team."]})
        assignee = _staff_user(v["assignee"]) if v.get("assignee") else (None if "assignee" in v else ticket.assignee)
        team = _team(v["team"]) if v.get("team") else (None if "team" in v else ticket.team)
        ticket = services.ticket_assign(actor=actor_of(request), ticket=ticket, assignee=assignee, team=team)
        return Response(TicketDetailSerializer(ticket, context={"actor": request.user}).data)


class AttachmentSerializer(ApiSerializer):
    id = serializers.CharField(source="public_id")
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    internal = serializers.BooleanField()


class MessageSerializer(ApiModelSerializer):
    author = serializers.SerializerMethodField()
    by_staff = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = Message
        fields = ["id", "author", "by_staff", "body", "body_html", "internal", "channel", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, obj: Message) -> str:
        if obj.author_user is not None:
            return str(obj.author_user)
        return obj.author_contact.name if obj.author_contact else ""

    def get_by_staff(self, obj: Message) -> bool:
        return obj.author_user is not None and obj.author_user.role in STAFF_ROLES


class ReplySerializer(ApiSerializer):
    body = serializers.CharField(max_length=100_000, allow_blank=True, default="")
    internal = serializers.BooleanField(default=False, help_text="an internal note, never shown to the customer")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class TicketMessagesView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses={200: MessageSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        paginator = DefaultCursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(selectors.messages_for(request.user, ticket), request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request={"application/json": ReplySerializer, "multipart/form-data": ReplySerializer},
                   responses={201: MessageSerializer, 413: ErrorSerializer, 415: ErrorSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        message = services.ticket_reply(actor=actor_of(request), ticket=ticket, body=v["body"], internal=v["internal"],
                                        channel="api" if request.auth is not None else "portal", attachments=v["files"])
        return Response(MessageSerializer(message).data, status=201)


class UploadSerializer(ApiSerializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(default=False)


class TicketAttachmentsView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: AttachmentSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        return Response(AttachmentSerializer(selectors.attachments_for(request.user, ticket), many=True).data)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: AttachmentSerializer(many=True), 413: ErrorSerializer, 415: ErrorSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        files = request.FILES.getlist("file")
        if not files:
            raise ValidationFailed("No file", details={"file": ["This field is required."]})
        internal = str(request.POST.get("internal", "")).lower() in ("1", "true", "yes", "on")
        stored = services.ticket_attach(actor=actor_of(request), ticket=ticket, attachments=files, internal=internal)
        return Response(AttachmentSerializer(stored, many=True).data, status=201)


class TicketAttachmentDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str, attachment_id: str) -> FileResponse:
        ticket = _ticket(request, public_id)
        att = selectors.attachment_get_for(request.user, ticket, attachment_id)
        response = FileResponse(att.file.open("rb"), as_attachment=True, filename=att.filename, content_type=att.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class EventSerializer(ApiSerializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor.username", default=None)
    before = serializers.DictField()
    after = serializers.DictField()
    data = serializers.DictField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()


class TicketEventsView(APIView):
    @extend_schema(responses={200: EventSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        return Response(EventSerializer(selectors.events_for(request.user, ticket), many=True).data)
