"""API for the work around a request: time, visits, survey, links, consent, follow-ups, quality, canned replies."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, User
from weibao.api.base import actor_of
from weibao.api.serializers import ApiModelSerializer, ApiSerializer
from weibao.api.v1.accounts import ErrorSerializer
from weibao.api.v1.tickets import ERRORS, TicketDetailSerializer, TicketSerializer, _ticket
from weibao.core.errors import NotFound, ValidationFailed
from weibao.tickets import selectors, services, services_work
from weibao.tickets.models import CannedReply, FollowUpResult, LinkKind, Survey, Visit, WorkMode


class TimeEntrySerializer(ApiSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    mode = serializers.ChoiceField(choices=WorkMode.choices)
    started_at = serializers.DateTimeField(required=False)
    minutes = serializers.IntegerField(min_value=1, max_value=1440)
    billable = serializers.BooleanField(default=True)
    note = serializers.CharField(allow_blank=True, default="", max_length=5000)
    prepaid_drawn = serializers.BooleanField(read_only=True)


class TimeEntriesView(APIView):
    @extend_schema(responses={200: TimeEntrySerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        return Response(TimeEntrySerializer(selectors.time_entries_for(request.user, ticket), many=True).data)

    @extend_schema(request=TimeEntrySerializer, responses={201: TimeEntrySerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = TimeEntrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services_work.ticket_log_time(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(TimeEntrySerializer(entry).data, status=201)


class VisitSerializer(ApiSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    date = serializers.DateField()
    engineers = serializers.ListField(child=serializers.CharField(), required=False, default=list, help_text="usernames",
                                      source="engineer_names")
    arrived_at = serializers.DateTimeField(required=False, allow_null=True)
    departed_at = serializers.DateTimeField(required=False, allow_null=True)
    customer_signatory = serializers.CharField(allow_blank=True, default="", max_length=100)
    summary = serializers.CharField(allow_blank=True, default="", max_length=10_000)

    def to_representation(self, instance: Visit) -> dict[str, object]:
        instance.engineer_names = [u.username for u in instance.engineers.all()]  # type: ignore[attr-defined]
        return super().to_representation(instance)  # type: ignore[no-any-return]


class VisitsView(APIView):
    @extend_schema(responses={200: VisitSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        visits = Visit.objects.filter(ticket=ticket).prefetch_related("engineers").order_by("date", "id")
        return Response(VisitSerializer(visits, many=True).data)

    @extend_schema(request=VisitSerializer, responses={201: VisitSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = VisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        names = v.pop("engineer_names")
        engineers = list(User.objects.filter(username__in=names, role__in=STAFF_ROLES))
        if len(engineers) != len(set(names)):
            raise ValidationFailed("Invalid visit", details={"engineers": ["Unknown engineer."]})
        visit = services_work.ticket_record_visit(actor=actor_of(request), ticket=ticket, engineers=engineers, **v)
        return Response(VisitSerializer(visit).data, status=201)


class SurveySerializer(ApiSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, default="", max_length=5000)


class SurveyStateSerializer(ApiSerializer):
    ticket = serializers.CharField(source="ticket.number")
    subject = serializers.CharField(source="ticket.subject")
    rating = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class TicketSurveyView(APIView):
    @extend_schema(responses={200: SurveyStateSerializer, 404: ErrorSerializer})
    def get(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        survey = Survey.objects.filter(ticket=ticket).first() or Survey(ticket=ticket)
        return Response(SurveyStateSerializer(survey).data)

    @extend_schema(request=SurveySerializer, responses={201: SurveyStateSerializer, 409: ErrorSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        data = SurveySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survey = services_work.ticket_survey_answer(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(SurveyStateSerializer(survey).data, status=201)


class SurveyByTokenView(APIView):
    """The one-time link from the closing mail: no sign-in, the token is the only key."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: SurveyStateSerializer, 404: ErrorSerializer}, auth=[])
    def get(self, request: Request, token: str) -> Response:
        survey = services_work.survey_for_token(token)
        if survey is None:
            raise NotFound("评价链接无效或已过期。")
        return Response(SurveyStateSerializer(survey).data)

    @extend_schema(request=SurveySerializer, responses={201: SurveyStateSerializer, 400: ErrorSerializer,
                                                        404: ErrorSerializer, 409: ErrorSerializer}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        data = SurveySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survey = services_work.ticket_survey_answer_by_token(token=token, **data.validated_data)
        return Response(SurveyStateSerializer(survey).data, status=201)


class LinkSerializer(ApiSerializer):
    other = serializers.CharField(help_text="the other ticket's id")
    kind = serializers.ChoiceField(choices=LinkKind.choices)


class TicketLinksView(APIView):
    @extend_schema(request=LinkSerializer, responses={201: LinkSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = LinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = selectors.ticket_get_for(request.user, data.validated_data["other"])
        services.ticket_link(actor=actor_of(request), ticket=ticket, other=other, kind=data.validated_data["kind"])
        return Response(data.validated_data, status=201)


class ConsentSerializer(ApiSerializer):
    note = serializers.CharField(max_length=5000, help_text="how and when the customer agreed to a back-end data fix")


class TicketConsentView(APIView):
    @extend_schema(request=ConsentSerializer, responses={200: TicketDetailSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = ConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_record_consent(actor=actor_of(request), ticket=ticket, note=data.validated_data["note"])
        return Response(TicketDetailSerializer(ticket, context={"actor": request.user}).data)


class SolutionPlanSerializer(ApiSerializer):
    plan = serializers.CharField(max_length=services_work.PLAN_MAX_CHARS, help_text="the detailed solution plan and its steps")
    due_date = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="when the plan will have removed the fault")
    tell_customer = serializers.BooleanField(default=True, help_text="also send the plan to the customer as a reply")
    revision = serializers.IntegerField(read_only=True)
    presented_at = serializers.DateTimeField(read_only=True)


class TicketSolutionPlanView(APIView):
    """Present a solution plan and schedule (stops the request's solution-plan SLA clock)."""

    @extend_schema(request=SolutionPlanSerializer, responses={201: SolutionPlanSerializer, 409: ErrorSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = SolutionPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services_work.ticket_present_solution_plan(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(SolutionPlanSerializer({**data.validated_data, "plan": event.data["plan"],
                                                "revision": event.data["revision"],
                                                "presented_at": event.created_at}).data, status=201)


class FollowUpSerializer(ApiSerializer):
    result = serializers.ChoiceField(choices=FollowUpResult.choices)
    note = serializers.CharField(allow_blank=True, default="", max_length=5000)


class TicketFollowUpView(APIView):
    @extend_schema(request=FollowUpSerializer, responses={201: FollowUpSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        data = FollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services_work.ticket_follow_up(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(FollowUpSerializer(record).data, status=201)


class FollowUpQueueView(APIView):
    @extend_schema(parameters=[OpenApiParameter("days", int)], responses={200: TicketSerializer(many=True), 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        access.require(access.is_manager_or_admin(request.user))
        days = _int(request, "days", 30, 1, 366)
        rows = selectors.followup_queue_for(request.user, days=days)[:500]
        return Response(TicketSerializer(rows, many=True).data)


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValidationFailed("Invalid parameter", details={name: [f"Expected {low}–{high}."]})
    return value


class QualityReviewSerializer(ApiSerializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    findings = serializers.CharField(allow_blank=True, default="", max_length=10_000)


class TicketQualityReviewView(APIView):
    @extend_schema(request=QualityReviewSerializer, responses={201: QualityReviewSerializer, 409: ErrorSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        data = QualityReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services_work.ticket_quality_review(actor=actor_of(request), ticket=ticket, **data.validated_data)
        return Response(QualityReviewSerializer(review).data, status=201)


class QualitySampleView(APIView):
    @extend_schema(parameters=[OpenApiParameter("size", int), OpenApiParameter("days", int)],
                   responses={200: TicketSerializer(many=True), 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        access.require(access.is_manager_or_admin(request.user))
        sample = selectors.quality_sample_for(request.user, size=_int(request, "size", 10, 1, 200),
                                              days=_int(request, "days", 30, 1, 366))
        return Response(TicketSerializer(sample, many=True).data)


class CannedReplySerializer(ApiModelSerializer):
    class Meta:
        model = CannedReply
        fields = ["id", "title", "body", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, dict[str, list[object]]] = {"title": {"validators": []}}


class CannedReplyListView(APIView):
    @extend_schema(responses={200: CannedReplySerializer(many=True), 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        access.require(access.is_staff(request.user))
        return Response(CannedReplySerializer(selectors.canned_replies_for(request.user), many=True).data)

    @extend_schema(request=CannedReplySerializer, responses={201: CannedReplySerializer, 409: ErrorSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = CannedReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services_work.canned_reply_save(actor=actor_of(request), **data.validated_data)
        return Response(CannedReplySerializer(reply).data, status=201)


class WatchSerializer(ApiSerializer):
    username = serializers.CharField(required=False, help_text="default: yourself")
    watching = serializers.BooleanField(default=True)


class TicketWatchersView(APIView):
    @extend_schema(request=WatchSerializer, responses={200: WatchSerializer, **ERRORS})
    def post(self, request: Request, public_id: str) -> Response:
        ticket = _ticket(request, public_id)
        access.require(access.is_staff(request.user))
        data = WatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = User.objects.filter(username=v["username"]).first() if v.get("username") else actor_of(request)
        if user is None:
            raise ValidationFailed("Invalid user", details={"username": ["Unknown user."]})
        services.ticket_watch(actor=actor_of(request), ticket=ticket, user=user, watching=v["watching"])
        return Response({"username": user.username, "watching": v["watching"]})
