"""Staff pages for monitoring's settings: monitored items, on-call rotas, paging and alarm-handling policies,
inspection plans.

Parse → call weibao.monitoring.config (or probing.probe_create) → render. Every staff member may read
these pages (engineers need to know who is on call); only managers and administrators change them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, Organisation, Team, User
from weibao.core import clock
from weibao.core.errors import DomainError, NotFound
from weibao.customers.selectors import system_get_for, system_list_for
from weibao.monitoring import config, policy, selectors
from weibao.monitoring.models import (
    InspectionPlan,
    NotificationPolicy,
    ProbeKind,
    ProbeState,
    Rota,
    RotaOverride,
    Severity,
)
from weibao.monitoring.oncall import on_call
from weibao.monitoring.probing import probe_create
from weibao.staff.access import staff_required
from weibao.tickets.models import Level

PROBE_FIELDS = ("interval_seconds", "timeout_seconds", "failures_before_alarm", "severity", "expected_status",
                "max_response_ms", "keyword", "tls_warn_days", "dns_expect")
PAGE_SIZE = 200


def _manager(request: HttpRequest) -> User:
    if not access.is_manager_or_admin(request.user):
        raise Http404
    return request.user  # type: ignore[return-value]


def _errors(exc: DomainError) -> dict[str, Any]:
    return {"message": exc.message, "details": exc.details}


def _probe_options(post: Any) -> dict[str, Any]:
    options = {f: post.get(f, "") for f in PROBE_FIELDS if f in post}
    options["enabled"] = post.get("enabled") == "on"
    return options


# --- monitored items --------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def probe_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    created_url = ""
    if request.method == "POST":
        actor = _manager(request)
        try:
            system = system_get_for(actor, request.POST.get("system", ""))
            new = probe_create(actor=actor, system=system, name=request.POST.get("name", ""), kind=request.POST.get("kind", ""),
                               target=request.POST.get("target", ""), **_probe_options(request.POST))
        except NotFound:
            errors = {"message": _("监控项有误，未保存。"), "details": {"system": [_("不存在。")]}}
        except DomainError as exc:
            errors = _errors(exc)
        else:
            if not new.heartbeat_token:
                messages.success(request, _("监控项已添加。"))
                return redirect("staff:monitoring-probes")
            # The heartbeat URL carries its secret: shown this once, never again.
            created_url = request.build_absolute_uri(f"/api/v1/heartbeats/{new.heartbeat_token}")
    qs = selectors.probe_list_for(request.user).order_by("system__organisation__name", "system__name", "name", "id")
    state = request.GET.get("state", "")
    if state in ProbeState.values:
        qs = qs.filter(state=state)
    system_id = request.GET.get("system", "")
    if system_id:
        qs = qs.filter(system__public_id=system_id)
    page = max(1, int(request.GET["page"])) if request.GET.get("page", "").isdigit() else 1
    rows = list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])  # one extra row says whether a next page exists
    return render(request, "staff/monitoring/probes.html", {
        "probes": rows[:PAGE_SIZE], "has_next": len(rows) > PAGE_SIZE, "page": page, "state": state, "system_id": system_id,
        "states": ProbeState.choices, "kinds": ProbeKind.choices, "severities": Severity.choices,
        "systems": system_list_for(request.user).order_by("organisation__name", "name")[:1000],
        "can_edit": access.is_manager_or_admin(request.user), "errors": errors, "form": request.POST if errors else {},
        "created_url": created_url,
    }, status=400 if errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def probe_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        probe = selectors.probe_get_for(request.user, public_id)
    except NotFound:
        raise Http404 from None
    errors: dict[str, Any] = {}
    if request.method == "POST":
        actor = _manager(request)
        try:
            config.probe_update(actor=actor, probe=probe, name=request.POST.get("name", ""),
                                target=request.POST.get("target", ""), **_probe_options(request.POST))
        except DomainError as exc:
            errors = _errors(exc)
            probe.refresh_from_db()
        else:
            messages.success(request, _("监控项已保存。"))
            return redirect("staff:monitoring-probe", public_id=probe.public_id)
    return render(request, "staff/monitoring/probe_detail.html", {
        "probe": probe, "severities": Severity.choices, "can_edit": access.is_manager_or_admin(request.user),
        "errors": errors, "is_heartbeat": probe.kind == ProbeKind.HEARTBEAT,
    }, status=400 if errors else 200)


@staff_required
@require_POST
def probe_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        probe = selectors.probe_get_for(actor, public_id)
    except NotFound:
        raise Http404 from None
    config.probe_delete(actor=actor, probe=probe)
    messages.success(request, _("监控项已删除。"))
    return redirect("staff:monitoring-probes")


# --- rotas ------------------------------------------------------------------------------------


def _staff_people() -> list[User]:
    return list(User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("username"))


def _slots(member_ids: list[int]) -> list[int | None]:
    """One select per turn: the current members in order, then a few empty ones to add people."""
    return [*member_ids, *([None] * 4)]


def _rota_args(post: Any) -> dict[str, Any]:
    return {"name": post.get("name", ""), "team": post.get("team", ""), "start_date": post.get("start_date", ""),
            "handover_time": post.get("handover_time", ""), "shift_days": post.get("shift_days", ""),
            "timezone": post.get("timezone", ""), "members": post.getlist("members")}


@staff_required
@require_http_methods(["GET", "POST"])
def rota_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    if request.method == "POST":
        actor = _manager(request)
        try:
            rota = config.rota_save(actor=actor, **_rota_args(request.POST))
        except DomainError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("值班表已保存。"))
            return redirect("staff:monitoring-rota", rota_id=rota.pk)
    now = clock.now()
    rotas = list(Rota.objects.select_related("team").prefetch_related("members__user").order_by("name"))
    rows = [(r, on_call(r, now)) for r in rotas]
    return render(request, "staff/monitoring/rotas.html", {
        "rows": rows, "teams": Team.objects.order_by("name"), "people": _staff_people(),
        "slots": _slots([int(m) for m in request.POST.getlist("members") if m.isdigit()] if errors else []),
        "can_edit": access.is_manager_or_admin(request.user), "errors": errors, "form": request.POST if errors else {},
        "today": timezone.localdate(),
    }, status=400 if errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def rota_detail(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = Rota.objects.filter(pk=rota_id).select_related("team").first()
    if rota is None:
        raise Http404
    errors: dict[str, Any] = {}
    if request.method == "POST":
        actor = _manager(request)
        try:
            if request.POST.get("delete") == "1":
                config.rota_delete(actor=actor, rota=rota)
                messages.success(request, _("值班表已删除。"))
                return redirect("staff:monitoring-rotas")
            config.rota_save(actor=actor, rota=rota, **_rota_args(request.POST))
        except DomainError as exc:
            errors = _errors(exc)
            rota.refresh_from_db()
        else:
            messages.success(request, _("值班表已保存。"))
            return redirect("staff:monitoring-rota", rota_id=rota.pk)
    members = [m.user for m in rota.members.select_related("user").order_by("position", "id")]
    now = clock.now()
    overrides = RotaOverride.objects.filter(rota=rota, ends_at__gt=now).select_related("user").order_by("starts_at")
    return render(request, "staff/monitoring/rota_detail.html", {
        "rota": rota, "members": members, "slots": _slots([u.id for u in members]), "on_call": on_call(rota, now),
        "overrides": overrides, "teams": Team.objects.order_by("name"), "people": _staff_people(),
        "can_edit": access.is_manager_or_admin(request.user), "errors": errors,
    }, status=400 if errors else 200)


def _aware(text: str) -> Any:
    value = parse_datetime(text or "")
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@staff_required
@require_POST
def rota_override_add(request: HttpRequest, rota_id: int) -> HttpResponse:
    actor = _manager(request)
    rota = Rota.objects.filter(pk=rota_id).first()
    if rota is None:
        raise Http404
    try:
        config.rota_override_add(actor=actor, rota=rota, user=request.POST.get("user", ""),
                                 starts_at=_aware(request.POST.get("starts_at", "")),
                                 ends_at=_aware(request.POST.get("ends_at", "")), reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message + " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.details or {}).items()))
        return redirect("staff:monitoring-rota", rota_id=rota.pk)
    messages.success(request, _("代班安排已添加。"))
    return redirect("staff:monitoring-rota", rota_id=rota.pk)


@staff_required
@require_POST
def rota_override_delete(request: HttpRequest, rota_id: int, override_id: int) -> HttpResponse:
    actor = _manager(request)
    rota = Rota.objects.filter(pk=rota_id).first()
    if rota is None:
        raise Http404
    try:
        config.rota_override_delete(actor=actor, rota=rota, override_id=override_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("代班安排已删除。"))
    return redirect("staff:monitoring-rota", rota_id=rota.pk)


# --- paging policies --------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def policy_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    failed = ""
    if request.method == "POST":
        actor = _manager(request)
        failed = request.POST.get("severity", "")
        try:
            config.notification_policy_save(
                actor=actor, severity=failed, rota=request.POST.get("rota", ""), channels=request.POST.getlist("channels"),
                chat_url=request.POST.get("chat_url", ""), phone_webhook=request.POST.get("phone_webhook", ""),
                escalate_after_minutes=request.POST.get("escalate_after_minutes", ""), max_steps=request.POST.get("max_steps", ""))
        except DomainError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("通知策略已保存。"))
            return redirect("staff:monitoring-policies")
    return _policies_page(request, errors, failed)


@staff_required
@require_POST
def severity_policy_save(request: HttpRequest) -> HttpResponse:
    """What a severity does to incidents: open one or not, its urgency and impact, the recovery hold and flap window."""
    actor = _manager(request)
    severity = request.POST.get("severity", "")
    post = request.POST
    try:
        policy.severity_policy_set(
            actor=actor, severity=severity, opens_incident=post.get("opens_incident") == "on",
            resolve_incident=post.get("resolve_incident") == "on", urgency=post.get("urgency", ""),
            impact=post.get("impact", ""), recovery_hold_minutes=post.get("recovery_hold_minutes", ""),
            flap_window_minutes=post.get("flap_window_minutes", ""))
    except DomainError as exc:
        return _policies_page(request, _errors(exc), f"handling-{severity}")
    messages.success(request, _("告警处理策略已保存。"))
    return redirect("staff:monitoring-policies")


def _policies_page(request: HttpRequest, errors: dict[str, Any], failed: str) -> HttpResponse:
    stored = {p.severity: p for p in NotificationPolicy.objects.select_related("rota")}
    handling = policy.severity_policies()
    rows = [(value, label, stored.get(value) or NotificationPolicy(severity=value), handling[value],
             int(handling[value].recovery_hold.total_seconds() // 60), int(handling[value].flap_window.total_seconds() // 60))
            for value, label in Severity.choices]
    return render(request, "staff/monitoring/policies.html", {
        "rows": rows, "rotas": Rota.objects.order_by("name"), "channels": config.PAGING_CHANNELS, "levels": Level.choices,
        "can_edit": access.is_manager_or_admin(request.user), "errors": errors, "failed": failed,
    }, status=400 if errors else 200)


# --- inspection plans -------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_plan_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    if request.method == "POST":
        actor = _manager(request)
        organisation = Organisation.objects.filter(pk=request.POST.get("organisation", "0") or "0").first() \
            if request.POST.get("organisation", "").isdigit() else None
        try:
            if organisation is None:
                raise NotFound(_("不存在。"))
            config.inspection_plan_save(actor=actor, organisation=organisation, name=request.POST.get("name", ""),
                                        probe_ids=request.POST.getlist("probes"),
                                        interval_days=request.POST.get("interval_days", ""))
        except NotFound:
            errors = {"message": _("巡检计划有误，未保存。"), "details": {"organisation": [_("不存在。")]}}
        except DomainError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("巡检计划已保存。"))
            return redirect("staff:monitoring-inspection-plans")
    plans = InspectionPlan.objects.select_related("organisation").prefetch_related("probes").order_by("organisation__name", "name")
    probes = selectors.probe_list_for(request.user).order_by("system__organisation__name", "system__name", "name")[:1000]
    return render(request, "staff/monitoring/inspection_plans.html", {
        "plans": plans, "probes": probes, "organisations": Organisation.objects.order_by("name"),
        "can_edit": access.is_manager_or_admin(request.user), "errors": errors,
    }, status=400 if errors else 200)


@staff_required
@require_POST
def inspection_plan_run(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    plan = InspectionPlan.objects.filter(public_id=public_id).first()
    if plan is None:
        raise Http404
    config.inspection_plan_run_soon(actor=actor, plan=plan)
    messages.success(request, _("巡检已排队，一分钟内开始；完成后报告出现在运行状态页。"))
    return redirect("staff:monitoring-inspection-plans")
