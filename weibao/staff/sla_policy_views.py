"""Staff pages for SLA policies: every staff member reads the targets, managers and administrators change them.

Saving goes through `weibao.sla.policies.policy_targets_set`, which replaces the targets all or nothing and
re-targets the open clocks under the policy in the worker (paused time stays excluded).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weibao.accounts import access
from weibao.core.errors import DomainError
from weibao.sla.models import Metric, Policy
from weibao.sla.policies import policy_pause_statuses_set, policy_targets_set
from weibao.staff.access import staff_required
from weibao.tickets.models import Priority, TicketType
from weibao.tickets.states import ACTIVE_VALUES, Status

EMPTY_ROWS = 4


@staff_required
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = Policy.objects.select_related("calendar", "contract").annotate(n_targets=Count("targets")).order_by("-is_default", "name")
    return render(request, "staff/sla/policies.html", {"policies": policies})


def _rows_from_post(post: Any) -> list[dict[str, str]]:
    """The table's rows; a row whose time limit is empty is not kept (that is how a target is removed)."""
    count = int(post["rows"]) if str(post.get("rows", "")).isdigit() else 0
    rows = []
    for i in range(min(count, 500)):
        row = {"metric": post.get(f"metric_{i}", ""), "priority": post.get(f"priority_{i}", ""),
               "request_type": post.get(f"type_{i}", ""), "minutes": post.get(f"minutes_{i}", "").strip()}
        if row["minutes"]:
            rows.append(row)
    return rows


@staff_required
@require_http_methods(["GET", "POST"])
def policy_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    policy = Policy.objects.select_related("calendar", "contract").filter(public_id=public_id).first()
    if policy is None:
        raise Http404
    errors: dict[str, Any] = {}
    rows: list[dict[str, str]] = [
        {"metric": t.metric, "priority": t.priority, "request_type": t.request_type, "minutes": str(t.minutes)}
        for t in policy.targets.order_by("metric", "priority", "request_type")
    ]
    if request.method == "POST":
        if not access.is_manager_or_admin(request.user):
            raise Http404
        rows = _rows_from_post(request.POST)
        try:
            policy_targets_set(actor=request.user, policy=policy, targets=rows)  # type: ignore[arg-type]
        except DomainError as exc:
            errors = {"message": exc.message, "details": exc.details}
        else:
            messages.success(request, _("时限目标已保存；未结束的请求将按新目标重新计算到期时间。"))
            return redirect("staff:sla-policy", public_id=policy.public_id)
    for row in rows:
        minutes = row.get("minutes", "")
        row["hours"] = f"{int(minutes) / 60:g}" if minutes.isdigit() else ""
    if access.is_manager_or_admin(request.user):
        blank = {"metric": "", "priority": "", "request_type": "", "minutes": "", "hours": ""}
        rows = rows + [dict(blank) for _ in range(EMPTY_ROWS)]
    pausing = set(policy.pause_statuses or [])
    statuses = [(value, Status(value).label, value in pausing) for value in ACTIVE_VALUES]
    return render(request, "staff/sla/policy.html", {
        "policy": policy, "rows": rows, "metrics": Metric.choices, "priorities": Priority.choices,
        "types": TicketType.choices, "errors": errors, "can_edit": access.is_manager_or_admin(request.user),
        "statuses": statuses,
    }, status=400 if errors else 200)


@staff_required
@require_POST
def policy_pause_statuses(request: HttpRequest, public_id: str) -> HttpResponse:
    """Managers choose the statuses that pause the resolution clock; open requests follow in the worker."""
    if not access.is_manager_or_admin(request.user):
        raise Http404
    policy = Policy.objects.filter(public_id=public_id).first()
    if policy is None:
        raise Http404
    try:
        policy_pause_statuses_set(actor=request.user, policy=policy,  # type: ignore[arg-type]
                                  statuses=request.POST.getlist("pause_statuses"))
    except DomainError as exc:
        messages.error(request, f"{exc.message} {' '.join(m for msgs in exc.details.values() for m in msgs)}")
        return redirect("staff:sla-policy", public_id=policy.public_id)
    messages.success(request, _("暂停计时的状态已保存；未结束的请求将随之暂停或恢复计时。"))
    return redirect("staff:sla-policy", public_id=policy.public_id)
