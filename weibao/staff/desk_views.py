"""Service-desk settings for managers: the priority matrix, assignment rules and who is on duty.

Parse → call the service (weibao.tickets.services_config) → render. Engineers may read the page (it
explains where new requests go); only managers and administrators see the editing controls.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weibao.accounts import access
from weibao.accounts.models import Organisation, Team, TeamMembership, User
from weibao.core.errors import DomainError
from weibao.customers.models import Component, System
from weibao.staff.access import staff_required
from weibao.tickets.models import AssignmentRule, AssignmentStrategy, Level, Priority, TicketType
from weibao.tickets.services_config import (
    assignment_rule_delete,
    assignment_rule_save,
    priority_matrix,
    priority_matrix_set,
    team_duty_set,
)


def _levels() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in Level.choices]


def _page(request: HttpRequest, *, errors: dict[str, Any] | None = None, form: dict[str, Any] | None = None,
          editing: AssignmentRule | None = None, status: int = 200) -> HttpResponse:
    grid = priority_matrix()
    if errors and errors.get("matrix"):
        grid = {**grid, **errors["matrix"]}
    levels = _levels()
    matrix_rows = [(u, ul, [(i, grid[(u, i)]) for i, _il in levels]) for u, ul in levels]
    rules = AssignmentRule.objects.select_related("organisation", "system", "component", "team", "last_assignee")
    teams = Team.objects.select_related("lead").prefetch_related(
        Prefetch("teammembership_set", queryset=TeamMembership.objects.select_related("user").order_by("user__username"))
    )
    user: User = request.user  # type: ignore[assignment]
    context = {
        "levels": levels,
        "matrix_rows": matrix_rows,
        "priorities": Priority.choices,
        "rules": rules,
        "teams": teams,
        "organisations": Organisation.objects.order_by("name").only("id", "name"),
        "systems": System.objects.select_related("organisation").order_by("organisation__name", "name"),
        "components": Component.objects.select_related("system").order_by("system__name", "name"),
        "types": TicketType.choices,
        "strategies": AssignmentStrategy.choices,
        "can_edit": access.is_manager_or_admin(user),
        "errors": errors or {},
        "form": form or {},
        "editing": editing,
    }
    return render(request, "staff/desk/settings.html", context, status=status)


@staff_required
def desk_settings(request: HttpRequest) -> HttpResponse:
    editing = None
    form: dict[str, Any] = {}
    rule_id = request.GET.get("rule", "")
    if rule_id.isdigit():
        editing = AssignmentRule.objects.filter(pk=rule_id).select_related("system", "team").first()
        if editing is not None:
            form = {"position": editing.position, "organisation": editing.organisation_id or "",
                    "system": editing.system.public_id if editing.system else "",
                    "component": editing.component_id or "", "type": editing.type, "team": editing.team_id,
                    "strategy": editing.strategy, "is_active": editing.is_active}
    return _page(request, form=form, editing=editing)


def _manager(request: HttpRequest) -> User:
    if not access.is_manager_or_admin(request.user):
        raise Http404
    return request.user  # type: ignore[return-value]


@staff_required
@require_POST
def matrix_save(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    cells = {(u, i): request.POST.get(f"m_{u}__{i}", "") for u, _ul in _levels() for i, _il in _levels()}
    try:
        priority_matrix_set(actor=actor, cells=cells)
    except DomainError as exc:
        return _page(request, errors={"message": exc.message, "details": exc.details, "matrix": cells}, status=400)
    messages.success(request, _("优先级矩阵已保存。"))
    return redirect("staff:desk-settings")


@staff_required
@require_POST
def rule_save(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    rule = None
    rule_id = request.POST.get("rule", "")
    if rule_id:
        rule = AssignmentRule.objects.filter(pk=rule_id).first() if rule_id.isdigit() else None
        if rule is None:
            raise Http404
    data = {key: request.POST.get(key, "") for key in ("position", "organisation", "system", "component", "type", "team", "strategy")}
    try:
        assignment_rule_save(actor=actor, rule=rule, is_active=request.POST.get("is_active") == "on", **data)
    except DomainError as exc:
        form = {**data, "is_active": request.POST.get("is_active") == "on"}
        return _page(request, errors={"message": exc.message, "details": exc.details}, form=form, editing=rule, status=400)
    messages.success(request, _("分派规则已保存。"))
    return redirect("staff:desk-settings")


@staff_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    actor = _manager(request)
    try:
        assignment_rule_delete(actor=actor, rule_id=rule_id)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("分派规则已删除。"))
    return redirect("staff:desk-settings")


@staff_required
@require_POST
def duty_set(request: HttpRequest, team_id: int) -> HttpResponse:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404
    try:
        team_duty_set(actor=request.user, team=team, user_id=request.POST.get("user", "0") or "0",  # type: ignore[arg-type]
                      on_duty=request.POST.get("on_duty") == "1")
    except DomainError as exc:
        if exc.status == 403:
            raise Http404 from None
        messages.error(request, exc.message)
        return redirect("staff:desk-settings")
    messages.success(request, _("在岗状态已更新。"))
    return redirect("staff:desk-settings")
