"""Work around a request (time, visits) and after it (follow-up calls, quality review, the overview).

The service functions for this work live in `weibao.tickets.services_work`; the manager pages read
through the tickets selectors only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.staff import ticket_forms as tf
from weibao.staff.access import staff_required
from weibao.staff.ticket_views import _call, _invalid, _ticket
from weibao.tickets import selectors, services_work
from weibao.tickets.states import ACTIVE_VALUES, STATUS_LABELS, Status

FOLLOW_UP_DAYS = 30
QUALITY_SAMPLE = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_manager(request: HttpRequest) -> None:
    if not access.is_manager_or_admin(request.user):
        raise PermissionDenied


def _done(request: HttpRequest, ticket: Any, fn: Any, success: str, **kwargs: Any) -> HttpResponse:
    """`_call`, returning to the follow-up or quality queue when the form came from there."""
    back = {"followup": "staff:followup-queue", "quality": "staff:quality-queue"}.get(request.POST.get("back", ""))
    return _call(request, ticket, fn, success, then=reverse(back) if back else None, **kwargs)


@staff_required
@require_POST
def time_entry_add(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.TimeEntryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, time=form)
    return _done(request, ticket, services_work.ticket_log_time, _("工时已记录。"), **form.cleaned_data)


@staff_required
@require_POST
def visit_add(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.VisitForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, visit=form)
    return _done(request, ticket, services_work.ticket_record_visit, _("现场服务已记录。"), **form.cleaned_data)


@staff_required
@require_POST
def followup_record(request: HttpRequest, public_id: str) -> HttpResponse:
    _require_manager(request)
    ticket = _ticket(request, public_id)
    form = tf.FollowUpForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, followup=form)
    return _done(request, ticket, services_work.ticket_follow_up, _("回访已记录。"), **form.cleaned_data)


@staff_required
@require_POST
def quality_record(request: HttpRequest, public_id: str) -> HttpResponse:
    _require_manager(request)
    ticket = _ticket(request, public_id)
    form = tf.QualityReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, quality=form)
    return _done(request, ticket, services_work.ticket_quality_review, _("质量评估已记录。"), **form.cleaned_data)


@staff_required
@require_GET
def followup_queue(request: HttpRequest) -> HttpResponse:
    """Requests closed in the last N days that nobody has called back yet (回访)."""
    _require_manager(request)
    rows = list(selectors.followup_queue_for(_user(request), days=FOLLOW_UP_DAYS).select_related("survey")[:200])
    return render(request, "staff/tickets/followups.html", {"rows": rows, "days": FOLLOW_UP_DAYS, "form": tf.FollowUpForm()})


@staff_required
@require_GET
def quality_queue(request: HttpRequest) -> HttpResponse:
    """A random sample of recently closed requests not yet reviewed, and the latest reviews."""
    _require_manager(request)
    todo = selectors.quality_sample_for(_user(request), size=QUALITY_SAMPLE, days=FOLLOW_UP_DAYS)
    closed = selectors.ticket_list_for(_user(request), status=Status.CLOSED.value)
    done = list(closed.filter(quality_review__isnull=False).select_related("quality_review", "quality_review__reviewer")
                .order_by("-quality_review__created_at")[:50])
    return render(request, "staff/tickets/quality.html", {"todo": todo, "done": done, "form": tf.QualityReviewForm()})


@staff_required
@require_GET
def ticket_overview(request: HttpRequest) -> HttpResponse:
    """The manager's numbers: requests by status, open ones by team and by priority (one grouped query each)."""
    _require_manager(request)
    visible = selectors.ticket_list_for(_user(request)).order_by()
    active = visible.filter(status__in=list(ACTIVE_VALUES))
    by_status = {row["status"]: row["n"] for row in visible.values("status").annotate(n=Count("id"))}
    statuses = [{"key": s.value, "label": STATUS_LABELS[s], "n": by_status.get(s.value, 0)} for s in Status]
    by_team = list(active.values("team__name").annotate(n=Count("id")).order_by("-n"))
    by_priority = list(active.values("priority").annotate(n=Count("id")).order_by("priority"))
    unassigned = active.filter(assignee__isnull=True).count()
    return render(request, "staff/tickets/overview.html", {
        "statuses": statuses, "by_team": by_team, "by_priority": by_priority, "unassigned": unassigned,
        "open_total": sum(r["n"] for r in by_team),
    })
