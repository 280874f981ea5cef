"""Staff pages that fill the records' facts: thin, every write goes through weibao.records.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weibao.accounts.models import User
from weibao.core.errors import DomainError, NotFound, ValidationFailed
from weibao.records import selectors, services
from weibao.records.selectors import RecordFacts
from weibao.staff.access import staff_required
from weibao.staff.records_forms import AcceptanceSignForm, AssessmentForm, WorkOrderForm
from weibao.tickets.models import Ticket

TEMPLATE = "staff/records/form.html"


def _load(request: HttpRequest, public_id: str) -> tuple[User, Ticket, RecordFacts]:
    user = request.user
    assert isinstance(user, User)
    try:
        ticket, facts = selectors.record_facts_for(user, public_id)
    except NotFound:
        raise Http404 from None
    return user, ticket, facts


def _put_back(form: forms.Form, exc: DomainError) -> None:
    """The service's field errors go next to their fields; the rest above the form."""
    if isinstance(exc, ValidationFailed) and exc.details:
        for field, problems in exc.details.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(field if field in form.fields else None, str(problem))
    else:
        form.add_error(None, exc.message)


def _page(request: HttpRequest, ticket: Ticket, title: str, form: forms.Form | None, *, status: int = 200,
          **extra: Any) -> HttpResponse:
    return render(request, TEMPLATE, {"ticket": ticket, "title": title, "form": form, **extra}, status=status)


def _done(request: HttpRequest, ticket: Ticket, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(f"/staff/tickets/{ticket.public_id}/#records")


@staff_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user, ticket, facts = _load(request, public_id)
    title = _("需求评估记录")
    if facts.archived:
        return _page(request, ticket, title, None, archived=True)
    row = facts.assessment
    if request.method != "POST":
        initial = {"decision": row.decision, "maintenance_mode": row.maintenance_mode, "plan": row.plan,
                   "reviewer": row.reviewer_id, "reviewer_opinion": row.reviewer_opinion} if row else {}
        return _page(request, ticket, title, AssessmentForm(initial=initial))
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_record(actor=user, ticket=ticket, **form.cleaned_data)
        except DomainError as exc:
            _put_back(form, exc)
            return _page(request, ticket, title, form, status=exc.status)
        return _done(request, ticket, _("需求评估记录已保存。"))
    return _page(request, ticket, title, form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def work_order_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user, ticket, facts = _load(request, public_id)
    title = _("维护任务单")
    if facts.archived:
        return _page(request, ticket, title, None, archived=True)
    row = facts.work_order
    if request.method != "POST":
        initial: dict[str, Any] = {"engineers": [ticket.assignee_id] if ticket.assignee_id else []}
        if row:
            initial = {"tasks": "\n".join(row.tasks), "engineers": [e.pk for e in row.engineers.all()],
                       "planned_start": row.planned_start, "planned_end": row.planned_end, "notes": row.notes}
        return _page(request, ticket, title, WorkOrderForm(initial=initial))
    form = WorkOrderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.work_order_record(actor=user, ticket=ticket, tasks=form.task_lines(), engineers=list(data["engineers"]),
                                       planned_start=data["planned_start"], planned_end=data["planned_end"],
                                       notes=data["notes"])
        except DomainError as exc:
            _put_back(form, exc)
            return _page(request, ticket, title, form, status=exc.status)
        return _done(request, ticket, _("维护任务单已保存。"))
    return _page(request, ticket, title, form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def acceptance_sign(request: HttpRequest, public_id: str) -> HttpResponse:
    user, ticket, facts = _load(request, public_id)
    title = _("维护验收")
    row = facts.acceptance
    may_sign = not facts.archived and services.acceptance_can_sign(user, ticket, row)
    first = row is None or row.engineer_signed_at is None
    context: dict[str, Any] = {"acceptance": row, "archived": facts.archived, "first_signature": first, "acceptance_page": True}
    if request.method != "POST":
        return _page(request, ticket, title, AcceptanceSignForm() if may_sign else None, **context)
    form = AcceptanceSignForm(request.POST)
    if form.is_valid():
        try:
            # The countersignature confirms what the engineer wrote; only the first signature carries the verification.
            services.acceptance_sign(actor=user, ticket=ticket, passed=form.cleaned_data["passed"],
                                     verification=form.cleaned_data["verification"])
        except DomainError as exc:
            _put_back(form, exc)
            return _page(request, ticket, title, form, status=exc.status, **context)
        return _done(request, ticket, _("已签字。") if first else _("已会签，验收完成。"))
    return _page(request, ticket, title, form, status=400, **context)
