"""Writes for SLA policies and their targets; a change re-targets the open clocks under the policy in the worker.

Re-targeting replays each clock's log with the new target (`clocks.clock_retarget`), so paused time
stays excluded; it runs after commit in `clocks_recompute_policy_task`, in batches of locked clocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock as core_clock
from weibao.core.errors import PermissionDenied, ValidationFailed
from weibao.sla.clocks import clock_follow_pause_statuses, clock_retarget
from weibao.sla.models import Clock, ClockState, Metric, Policy, Target
from weibao.tickets.models import Priority, TicketType
from weibao.tickets.states import ACTIVE_VALUES

RECOMPUTE_BATCH = 200
MAX_TARGET_MINUTES = 366 * 24 * 60


def validate_targets(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, int]]:
    """[(metric, priority, request_type, minutes)] or ValidationFailed naming each bad row (targets[i].field)."""
    errors: dict[str, list[str]] = {}
    out: list[tuple[str, str, str, int]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, row in enumerate(rows):
        where = f"targets[{i}]"
        metric = str(row.get("metric") or "")
        priority = str(row.get("priority") or "")
        request_type = str(row.get("request_type") or "")
        if metric not in Metric.values:
            errors.setdefault(f"{where}.metric", []).append(_("指标应为 %(v)s 之一。") % {"v": ", ".join(Metric.values)})
        if priority not in Priority.values:
            errors.setdefault(f"{where}.priority", []).append(_("优先级应为 %(v)s 之一。") % {"v": ", ".join(Priority.values)})
        if request_type and request_type not in TicketType.values:
            errors.setdefault(f"{where}.request_type", []).append(_("未知的请求类型 %(v)r。") % {"v": request_type})
        try:
            minutes = int(row.get("minutes"))  # type: ignore[arg-type]
            if not 0 < minutes <= MAX_TARGET_MINUTES:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(f"{where}.minutes", []).append(_("时限应为 1 到 %(n)d 之间的工作分钟数。") % {"n": MAX_TARGET_MINUTES})
            continue
        key = (metric, priority, request_type)
        if key in seen:
            errors.setdefault(where, []).append(_("与第 %(j)d 行重复。") % {"j": seen[key]})
            continue
        seen[key] = i
        out.append((metric, priority, request_type, minutes))
    if errors:
        raise ValidationFailed(_("时限目标无效"), details=errors)
    return out


@transaction.atomic
def policy_targets_set(*, actor: User | None, policy: Policy, targets: Sequence[Mapping[str, Any]]) -> Policy:
    """Replace the policy's targets (all or nothing); the open clocks under it are re-targeted after commit."""
    if actor is not None and not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理或管理员可以修改服务级别策略。"))
    parsed = validate_targets(targets)
    Policy.objects.select_for_update().filter(pk=policy.pk).first()
    Target.objects.filter(policy=policy).delete()
    Target.objects.bulk_create(Target(policy=policy, metric=m, priority=p, request_type=rt, minutes=n)
                               for m, p, rt, n in parsed)
    policy_changed(policy.pk)
    return policy


@transaction.atomic
def policy_pause_statuses_set(*, actor: User | None, policy: Policy, statuses: Sequence[str]) -> Policy:
    """The statuses in which the resolution and solution-plan clocks stop counting (typically waiting for the
    customer or a third party). Open requests follow after commit: a clock pauses when its request already sits in
    a newly chosen status and resumes when its status no longer pauses."""
    if actor is not None and not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理或管理员可以修改服务级别策略。"))
    allowed = list(ACTIVE_VALUES)
    unknown = [s for s in statuses if s not in allowed]
    if unknown:
        raise ValidationFailed(_("暂停计时的状态无效，未保存。"), details={
            "pause_statuses": [_("取值应为：%(values)s") % {"values": ", ".join(allowed)}]})
    chosen = [s for s in allowed if s in set(statuses)]
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    if list(locked.pause_statuses or []) != chosen:
        locked.pause_statuses = chosen
        locked.save(update_fields=["pause_statuses", "updated_at"])
        policy_changed(locked.pk)
    policy.pause_statuses = chosen
    return policy


POLICY_CHANGED_TOPIC = "sla.policy_changed"


def policy_changed(policy_id: int) -> None:
    """Call inside the transaction that changed a policy (service, admin): its clocks are recomputed from the
    outbox after commit (`sla/events.py`), so a crash or a lost queue task cannot skip the recompute."""
    from uuid import uuid4

    from weibao.core.outbox import outbox_put

    outbox_put(topic=POLICY_CHANGED_TOPIC, key=f"{policy_id}:{uuid4().hex}", payload={"policy_id": policy_id}, fresh=True)


def clocks_recompute_policy(policy_id: int, batch: int = RECOMPUTE_BATCH) -> int:
    """Re-target every open clock under the policy, a batch of locked clocks per transaction; returns how many."""
    policy = Policy.objects.select_related("calendar").filter(pk=policy_id).first()
    if policy is None:
        return 0
    done, after = 0, 0
    while True:
        with transaction.atomic():
            clocks = list(Clock.objects.select_for_update(of=("self",)).select_related("ticket", "policy", "calendar")
                          .filter(policy_id=policy_id, id__gt=after).exclude(state=ClockState.STOPPED)
                          .order_by("id")[:batch])
            if not clocks:
                return done
            now = core_clock.now()
            for c in clocks:
                clock_retarget(c, now, "policy_changed", ticket=c.ticket, policy=policy)
                clock_follow_pause_statuses(c, now, c.ticket.status)
            done += len(clocks)
            after = clocks[-1].id
