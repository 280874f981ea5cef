"""Work around a request: time and visits, routing, closing automatically, surveys, follow-ups, quality review.

Same rules as services.py: keyword-only, one transaction, an event per change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, User
from weibao.core import clock
from weibao.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from weibao.customers.entitlement import EntitlementBasis, entitlement_for
from weibao.customers.models import Contract
from weibao.customers.services import prepaid_hours_draw
from weibao.tickets.assignment import pick_engineer, rule_for
from weibao.tickets.events import event_append
from weibao.tickets.models import (
    AssignmentRule,
    AssignmentStrategy,
    CannedReply,
    FollowUp,
    FollowUpResult,
    QualityReview,
    Survey,
    Ticket,
    TicketEvent,
    TimeEntry,
    Visit,
    WorkMode,
)
from weibao.tickets.services import (
    _lock,
    _require_staff,
    _require_visible,
    ticket_assign,
    ticket_reply,
    ticket_transition,
)
from weibao.tickets.states import DONE, Status

PLAN_MAX_CHARS = 20_000


def _require_manager(actor: User | None) -> None:
    if not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理可以执行此操作。"))


# --- time and visits --------------------------------------------------------------------------------
@transaction.atomic
def ticket_log_time(*, actor: User, ticket: Ticket, mode: str, minutes: int, started_at: datetime | None = None,
                    billable: bool = True, note: str = "", user: User | None = None) -> TimeEntry:
    """Record work; billable time on a prepaid request draws the contract's prepaid hours down once."""
    _require_staff(actor)
    worker = user or actor
    errors: dict[str, list[str]] = {}
    if mode not in WorkMode.values:
        errors["mode"] = [", ".join(WorkMode.values)]
    if not isinstance(minutes, int) or not 0 < minutes <= 24 * 60:
        errors["minutes"] = [_("须为 1–1440 分钟。")]
    if worker.role not in STAFF_ROLES:
        errors["user"] = [_("须为服务人员。")]
    if errors:
        raise ValidationFailed(_("工时记录无效。"), details=errors)
    t = _lock(ticket)
    at = started_at or clock.now()
    entry = TimeEntry.objects.create(ticket=t, user=worker, mode=mode, started_at=at, minutes=minutes, billable=billable,
                                     note=(note or "").strip())
    drawn: Decimal | None = None
    if billable and t.entitlement_kind == "prepaid" and t.system_id is not None:
        decision = entitlement_for(system=t.system, at=at)  # type: ignore[arg-type]
        if decision.basis == EntitlementBasis.PREPAID_HOURS and decision.contract_public_id:
            contract = Contract.objects.get(public_id=decision.contract_public_id)
            drawn = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))
            if prepaid_hours_draw(contract=contract, hours=drawn, reason=f"{t.number} {entry.get_mode_display()}",
                                  reference=f"time:{entry.public_id}"):
                entry.prepaid_drawn = True
                entry.save(update_fields=["prepaid_drawn"])
    event_append(ticket=t, actor=actor, kind="time_logged",
                 data={"time_entry_id": entry.id, "minutes": minutes, "mode": mode, "billable": billable,
                       "user_id": worker.id, "prepaid_hours_drawn": str(drawn) if entry.prepaid_drawn else None})
    return entry


@transaction.atomic
def ticket_record_visit(*, actor: User, ticket: Ticket, date: date, engineers: Iterable[User],
                        arrived_at: datetime | None = None, departed_at: datetime | None = None,
                        customer_signatory: str = "", summary: str = "") -> Visit:
    _require_staff(actor)
    people = list(engineers) or [actor]
    errors: dict[str, list[str]] = {}
    if any(p.role not in STAFF_ROLES for p in people):
        errors["engineers"] = [_("须为服务人员。")]
    if arrived_at and departed_at and departed_at < arrived_at:
        errors["departed_at"] = [_("离开时间早于到达时间。")]
    if errors:
        raise ValidationFailed(_("现场服务记录无效。"), details=errors)
    t = _lock(ticket)
    visit = Visit.objects.create(ticket=t, date=date, arrived_at=arrived_at, departed_at=departed_at,
                                 customer_signatory=(customer_signatory or "").strip()[:100], summary=summary or "")
    visit.engineers.set(people)
    event_append(ticket=t, actor=actor, kind="visit_recorded",
                 data={"visit_id": visit.id, "date": date.isoformat(), "engineer_ids": [p.id for p in people]})
    return visit


# --- solution plan (解决方案与计划) ------------------------------------------------------------------
@transaction.atomic
def ticket_present_solution_plan(*, actor: User, ticket: Ticket, plan: str, due_date: date | None = None,
                                 tell_customer: bool = True) -> TicketEvent:
    """The engineer presents a detailed solution plan and its schedule: event `solution_plan_presented`.

    The SLA app stops the request's solution-plan clock on that event. Unless the plan was handed over
    another way (a meeting, a signed document), it also goes to the customer as a reply, so they get it
    by mail and on the portal. A revised plan is a new event (revision 2, 3…); the clock stopped at the first.
    """
    if actor is None:
        raise PermissionDenied(_("只有服务人员可以执行此操作。"))
    _require_staff(actor)
    _require_visible(actor, ticket)
    text = (plan or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["plan"] = [_("必填。")]
    elif len(text) > PLAN_MAX_CHARS:
        errors["plan"] = [_("不能超过 %(n)d 个字符。") % {"n": PLAN_MAX_CHARS}]
    if due_date is not None and due_date < timezone.localdate(clock.now()):
        errors["due_date"] = [_("计划完成日期不能早于今天。")]
    if errors:
        raise ValidationFailed(_("解决方案无效。"), details=errors)
    t = _lock(ticket)
    if t.status in DONE:
        raise Conflict(_("请求已解决或关闭，不能再提交解决方案。"), details={"status": [t.status]})
    revision = TicketEvent.objects.filter(ticket=t, kind="solution_plan_presented").count() + 1
    message_id = None
    if tell_customer:
        body = _("解决方案与计划") + f"\n\n{text}"
        if due_date is not None:
            body += "\n\n" + _("计划完成日期：%(date)s") % {"date": due_date.isoformat()}
        message_id = ticket_reply(actor=actor, ticket=t, body=body).id
    return event_append(ticket=t, actor=actor, kind="solution_plan_presented",
                        data={"plan": text, "due_date": due_date.isoformat() if due_date else None,
                              "revision": revision, "message_id": message_id})


# --- routing ----------------------------------------------------------------------------------------
@transaction.atomic
def ticket_auto_assign(*, actor: User | None, ticket: Ticket) -> Ticket:
    """Apply the first matching rule: its team, then round-robin or least-loaded among engineers on duty."""
    _require_staff(actor)
    rule = rule_for(ticket)
    if rule is None:
        if ticket.team_id is None:
            raise ValidationFailed(_("没有匹配的分派规则，请手工分派。"), details={"rule": [_("无匹配规则。")]})
        team, strategy, last = ticket.team, str(AssignmentStrategy.LEAST_LOADED), None
    else:
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)  # one round-robin pointer at a time
        team, strategy, last = rule.team, rule.strategy, rule.last_assignee
    engineer = pick_engineer(team, strategy, last)  # type: ignore[arg-type]
    done = ticket_assign(actor=actor, ticket=ticket, assignee=engineer, team=team)
    if rule is not None and engineer is not None:
        rule.last_assignee = engineer
        rule.save(update_fields=["last_assignee", "updated_at"])
    return done


# --- closing without an answer ----------------------------------------------------------------------
def ticket_auto_close_due(*, limit: int = 500) -> int:
    """Close resolved requests the customer left unanswered for the organisation's N working days."""
    now = clock.now()
    # Working days are never fewer than calendar days, so this prefilter misses nothing the guard would allow.
    candidates = list(Ticket.objects.filter(status=Status.RESOLVED.value, resolved_at__lte=now - timedelta(days=1))
                      .order_by("resolved_at").values_list("id", flat=True)[:limit])
    closed = 0
    for ticket_id in candidates:
        try:
            ticket_transition(actor=None, ticket=Ticket.objects.get(pk=ticket_id), transition="auto_close")
            closed += 1
        except TransitionNotAllowed:
            continue  # not yet due, or the customer answered meanwhile
    return closed


# --- satisfaction survey ----------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def ticket_survey_link(*, ticket: Ticket) -> str:
    """Issue a one-time, expiring survey token (only its hash is stored); a new one replaces the old."""
    if ticket.status != Status.CLOSED:
        raise ValidationFailed(_("请求关闭后才能评价。"), details={"status": [ticket.status]})
    survey, _created = Survey.objects.select_for_update().get_or_create(ticket=ticket)
    if survey.answered_at is not None:
        raise Conflict(_("该请求已评价。"))
    token = secrets.token_urlsafe(24)
    survey.token_hash = _hash(token)
    survey.token_expires_at = clock.now() + timedelta(days=int(settings.SURVEY_LINK_DAYS))
    survey.save()
    return token


def _answer(survey: Survey, actor: User | None, rating: int, comment: str, via: str) -> Survey:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(_("评分须为 1–5。"), details={"rating": [_("须为 1–5。")]})
    if len(comment or "") > 5000:
        raise ValidationFailed(_("意见过长。"), details={"comment": [_("不能超过 5000 个字符。")]})
    if survey.answered_at is not None:
        raise Conflict(_("该请求已评价。"))
    survey.rating, survey.comment, survey.answered_at, survey.answered_by = rating, (comment or "").strip(), clock.now(), actor
    survey.token_hash = None  # one time: the link is spent
    survey.save()
    event_append(ticket=survey.ticket, actor=actor, kind="surveyed", data={"rating": rating, "via": via})
    return survey


@transaction.atomic
def ticket_survey_answer(*, actor: User, ticket: Ticket, rating: int, comment: str = "") -> Survey:
    """The customer rates a closed request in the portal."""
    _require_visible(actor, ticket)
    if not access.is_customer(actor):
        raise PermissionDenied(_("只有客户可以评价。"))
    if ticket.status != Status.CLOSED:
        raise ValidationFailed(_("请求关闭后才能评价。"), details={"status": [ticket.status]})
    survey, _created = Survey.objects.select_for_update().get_or_create(ticket=ticket)
    return _answer(survey, actor, rating, comment, "portal")


@transaction.atomic
def ticket_survey_answer_by_token(*, token: str, rating: int, comment: str = "") -> Survey:
    """Answer through the no-login link; unknown, used and expired tokens are all simply not found."""
    survey = Survey.objects.select_for_update().select_related("ticket").filter(token_hash=_hash(token or "")).first()
    if survey is None or survey.token_expires_at is None or survey.token_expires_at < clock.now():
        raise NotFound(_("评价链接无效或已过期。"))
    return _answer(survey, None, rating, comment, "link")


def survey_for_token(token: str) -> Survey | None:
    survey = Survey.objects.select_related("ticket", "ticket__organisation").filter(token_hash=_hash(token or "")).first()
    if survey is None or survey.token_expires_at is None or survey.token_expires_at < clock.now():
        return None
    return survey


# --- follow-up visits (回访) and quality review ------------------------------------------------------
@transaction.atomic
def ticket_follow_up(*, actor: User, ticket: Ticket, result: str, note: str = "") -> FollowUp:
    _require_manager(actor)
    if result not in FollowUpResult.values:
        raise ValidationFailed(_("回访结果无效。"), details={"result": FollowUpResult.values})
    if ticket.status != Status.CLOSED:
        raise ValidationFailed(_("只能回访已关闭的请求。"), details={"status": [ticket.status]})
    record = FollowUp.objects.create(ticket=ticket, by=actor, result=result, note=(note or "").strip())
    event_append(ticket=ticket, actor=actor, kind="followed_up", data={"result": result, "follow_up_id": record.id})
    return record


@transaction.atomic
def ticket_quality_review(*, actor: User, ticket: Ticket, score: int, findings: str = "") -> QualityReview:
    _require_manager(actor)
    if not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationFailed(_("评分须为 0–100。"), details={"score": [_("须为 0–100。")]})
    if ticket.status != Status.CLOSED:
        raise ValidationFailed(_("只能评估已关闭的请求。"), details={"status": [ticket.status]})
    if QualityReview.objects.filter(ticket=ticket).exists():
        raise Conflict(_("该请求已做过质量评估。"))
    review = QualityReview.objects.create(ticket=ticket, reviewer=actor, score=score, findings=(findings or "").strip())
    event_append(ticket=ticket, actor=actor, kind="quality_reviewed", data={"score": score})
    return review


# --- canned replies ---------------------------------------------------------------------------------
@transaction.atomic
def canned_reply_save(*, actor: User, title: str, body: str, reply: CannedReply | None = None,
                      is_active: bool = True) -> CannedReply:
    _require_manager(actor)
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body or len(title) > 200:
        raise ValidationFailed(_("请填写标题与内容。"), details={"title": [_("必填，最多 200 字。")], "body": [_("必填。")]})
    same = CannedReply.objects.filter(title=title)
    if reply is not None:
        same = same.exclude(pk=reply.pk)
    if same.exists():
        raise Conflict(_("已有同名的常用回复。"), details={"title": [_("已存在。")]})
    reply = reply or CannedReply()
    reply.title, reply.body, reply.is_active = title, body, is_active
    reply.save()
    return reply


def canned_reply_render(reply: CannedReply, ticket: Ticket) -> str:
    """Fill {number}, {subject} and {requester} so an engineer starts from a personal answer."""
    values = {"number": ticket.number, "subject": ticket.subject,
              "requester": ticket.requester.name if ticket.requester else ""}
    text = reply.body
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


# The names the staff and portal pages call (entity_verb, as DESIGN §5 names them); same functions.
time_entry_add = ticket_log_time
visit_record = ticket_record_visit
follow_up_record = ticket_follow_up
quality_review_record = ticket_quality_review
survey_answer = ticket_survey_answer
survey_answer_by_token = ticket_survey_answer_by_token
