"""Writes on the service desk's own settings: the priority matrix, assignment rules and who is on duty.

These are data the service manager edits (DESIGN: policies are data), so they go through services with
the same validation the API and the staff pages share. Only managers and administrators may change them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import Organisation, Team, TeamMembership, User
from weibao.core.config_cache import bump
from weibao.core.errors import NotFound, PermissionDenied, ValidationFailed
from weibao.customers.models import Component, System
from weibao.tickets import caches
from weibao.tickets.models import (
    AssignmentRule,
    AssignmentStrategy,
    Level,
    Priority,
    PriorityMatrixEntry,
    TicketType,
)


def _require_manager(actor: User | None) -> None:
    if not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理或管理员可以修改服务台设置。"))


def priority_matrix() -> dict[tuple[str, str], str]:
    """The effective matrix: stored cells over the built-in default, every urgency × impact present."""
    from weibao.tickets.services import DEFAULT_MATRIX

    grid = dict(DEFAULT_MATRIX)
    for urgency, impact, priority in PriorityMatrixEntry.objects.values_list("urgency", "impact", "priority"):
        grid[(urgency, impact)] = priority
    return grid


@transaction.atomic
def priority_matrix_set(*, actor: User, cells: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Replace the whole matrix at once; one bad cell and nothing is saved."""
    _require_manager(actor)
    levels = [value for value, _label in Level.choices]
    errors: dict[str, list[str]] = {}
    clean: dict[tuple[str, str], str] = {}
    for urgency in levels:
        for impact in levels:
            value = (cells.get((urgency, impact)) or "").strip()
            if value not in Priority.values:
                errors[f"{urgency}__{impact}"] = [_("取值应为：%(values)s") % {"values": ", ".join(Priority.values)}]
            clean[(urgency, impact)] = value
    unknown = [f"{u}__{i}" for (u, i) in cells if u not in levels or i not in levels]
    for key in unknown:
        errors[key] = [_("未知的紧急程度或影响范围。")]
    if errors:
        raise ValidationFailed(_("优先级矩阵有误，未保存。"), details=errors)
    existing = {(e.urgency, e.impact): e for e in PriorityMatrixEntry.objects.select_for_update()}
    changed: list[PriorityMatrixEntry] = []
    created: list[PriorityMatrixEntry] = []
    for (urgency, impact), priority in clean.items():
        entry = existing.get((urgency, impact))
        if entry is None:
            created.append(PriorityMatrixEntry(urgency=urgency, impact=impact, priority=priority))
        elif entry.priority != priority:
            entry.priority = priority
            changed.append(entry)
    PriorityMatrixEntry.objects.bulk_create(created)
    PriorityMatrixEntry.objects.bulk_update(changed, ["priority"])
    bump(caches.MATRIX)  # bulk writes send no signals
    return clean


def _optional(model: Any, value: Any, field: str, name: str, errors: dict[str, list[str]]) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    found = None
    if field != "id" or str(value).isdigit():
        found = model.objects.filter(**{field: value}).first()
    if found is None:
        errors.setdefault(name, []).append(_("不存在。"))
    return found


@transaction.atomic
def assignment_rule_save(
    *,
    actor: User,
    team: Team | int | str | None,
    rule: AssignmentRule | None = None,
    position: int | str = 100,
    organisation: Organisation | int | str | None = None,
    system: System | str | None = None,
    component: Component | int | str | None = None,
    type: str = "",
    strategy: str = AssignmentStrategy.ROUND_ROBIN,
    is_active: bool = True,
) -> AssignmentRule:
    """Create or change a rule. Criteria left blank match anything; the lowest position wins."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    try:
        pos = int(position)
        if pos < 0 or pos > 1_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["position"] = [_("顺序应为 0 到 1000000 之间的整数。")]
        pos = 100
    org = _optional(Organisation, organisation, "id", "organisation", errors)
    sys_ = _optional(System, system, "public_id", "system", errors)
    comp = _optional(Component, component, "id", "component", errors)
    the_team = _optional(Team, team, "id", "team", errors)
    if team in (None, ""):
        errors["team"] = [_("此项为必填项。")]
    if type and type not in TicketType.values:
        errors["type"] = [_("取值应为：%(values)s") % {"values": ", ".join(TicketType.values)}]
    if strategy not in AssignmentStrategy.values:
        errors["strategy"] = [_("取值应为：%(values)s") % {"values": ", ".join(AssignmentStrategy.values)}]
    if sys_ is not None and org is not None and sys_.organisation_id != org.id:
        errors["system"] = [_("该系统不属于所选客户。")]
    if comp is not None and (sys_ is None or comp.system_id != sys_.id):
        errors["component"] = [_("组件必须属于所选系统。")]
    if errors:
        raise ValidationFailed(_("分派规则有误，未保存。"), details=errors)
    target = rule if rule is not None else AssignmentRule()
    target.position = pos
    target.organisation = org if org is not None else (sys_.organisation if sys_ is not None else None)
    target.system = sys_
    target.component = comp
    target.type = type
    target.team = the_team
    target.strategy = strategy
    target.is_active = bool(is_active)
    if rule is not None and rule.team_id != the_team.id:
        target.last_assignee = None  # the round-robin pointer belongs to the old team
    target.save()
    return target


@transaction.atomic
def assignment_rule_delete(*, actor: User, rule_id: int | str) -> None:
    _require_manager(actor)
    deleted, _rows = AssignmentRule.objects.filter(pk=rule_id).delete()
    if not deleted:
        raise NotFound(_("分派规则不存在。"))


@transaction.atomic
def team_duty_set(*, actor: User, team: Team, user_id: int | str, on_duty: bool) -> TeamMembership:
    """Who is on duty decides who automatic assignment may pick; the team lead may change it too."""
    if not (access.is_manager_or_admin(actor) or team.lead_id == getattr(actor, "id", None)):
        raise PermissionDenied(_("只有服务经理、管理员或团队负责人可以调整在岗状态。"))
    membership = TeamMembership.objects.select_for_update().filter(team=team, user_id=user_id).first()
    if membership is None:
        raise NotFound(_("该成员不在此团队。"))
    if membership.on_duty != on_duty:
        membership.on_duty = on_duty
        membership.save(update_fields=["on_duty"])
    return membership
