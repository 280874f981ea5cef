"""Writes on monitoring's settings: monitored items, on-call rotas and overrides, paging policies, inspection plans.

Managers and administrators edit these from the staff UI. Every write validates all fields first and
saves nothing when one is wrong; error messages are translatable (Chinese first, English in the catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, Organisation, Team, User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, ValidationFailed
from weibao.monitoring.models import (
    InspectionPlan,
    NotificationPolicy,
    Probe,
    ProbeKind,
    Rota,
    RotaMember,
    RotaOverride,
    Severity,
)

PAGING_CHANNELS = ("email", "sms", "dingtalk", "wecom", "feishu", "phone")
# Numeric limits of a monitored item: (lowest, highest) accepted.
PROBE_LIMITS: dict[str, tuple[float, float]] = {
    "interval_seconds": (10, 86_400),
    "timeout_seconds": (0.5, 120),
    "failures_before_alarm": (1, 100),
    "tls_warn_days": (1, 365),
    "expected_status": (100, 599),
    "max_response_ms": (1, 600_000),
}
PROBE_TEXT = ("keyword", "dns_expect")


def _require_manager(actor: User | None) -> None:
    if actor is not None and not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理或管理员可以修改监控设置。"))


# --- monitored items --------------------------------------------------------------------------


def probe_validate(*, kind: str, name: str, target: str, options: dict[str, Any]) -> dict[str, Any]:
    """Check a monitored item's fields; returns the cleaned options or raises with every error at once."""
    errors: dict[str, list[str]] = {}
    if kind not in ProbeKind.values:
        errors["kind"] = [_("取值应为：%(values)s") % {"values": ", ".join(ProbeKind.values)}]
    if not (name or "").strip():
        errors["name"] = [_("此项为必填项。")]
    target = (target or "").strip()
    if kind == ProbeKind.HTTP and not target.startswith(("http://", "https://")):
        errors["target"] = [_("需要 http:// 或 https:// 开头的地址。")]
    elif kind in (ProbeKind.TCP, ProbeKind.TLS) and (":" not in target or not target.rpartition(":")[2].isdigit()):
        errors["target"] = [_("需要“主机:端口”。")]
    elif kind in (ProbeKind.DNS, ProbeKind.PING) and not target:
        errors["target"] = [_("需要主机名。")]
    if kind == ProbeKind.HTTP and target and not urlsplit(target).hostname:
        errors["target"] = [_("需要 http:// 或 https:// 开头的地址。")]
    clean: dict[str, Any] = {}
    for field, (low, high) in PROBE_LIMITS.items():
        if field == "timeout_seconds" and kind == ProbeKind.HEARTBEAT:
            high = 86_400  # a heartbeat's timeout is its grace period after a missed check-in, not a network wait
        if field not in options:
            continue
        raw = options[field]
        if raw in (None, "") and field in ("expected_status", "max_response_ms"):
            clean[field] = None
            continue
        try:
            value = float(raw) if field == "timeout_seconds" else int(str(raw).strip())
        except (TypeError, ValueError):
            errors[field] = [_("应为数字。")]
            continue
        if not low <= value <= high:
            errors[field] = [_("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}]
        clean[field] = value
    if "severity" in options:
        if options["severity"] not in Severity.values:
            errors["severity"] = [_("取值应为：%(values)s") % {"values": ", ".join(Severity.values)}]
        clean["severity"] = options["severity"]
    for field in PROBE_TEXT:
        if field in options:
            clean[field] = str(options[field] or "").strip()[:200]
    if "enabled" in options:
        clean["enabled"] = bool(options["enabled"])
    unknown = set(options) - set(PROBE_LIMITS) - set(PROBE_TEXT) - {"severity", "enabled"}
    for field in unknown:
        errors[field] = [_("未知字段。")]
    if errors:
        raise ValidationFailed(_("监控项有误，未保存。"), details=errors)
    return clean


@transaction.atomic
def probe_update(*, actor: User, probe: Probe, name: str, target: str, **options: Any) -> Probe:
    """Change a monitored item; its kind and heartbeat token stay. The next check runs at once."""
    _require_manager(actor)
    clean = probe_validate(kind=probe.kind, name=name, target=target if probe.kind != ProbeKind.HEARTBEAT else "", options=options)
    probe.name = name.strip()[:200]
    if probe.kind != ProbeKind.HEARTBEAT:
        probe.target = target.strip()
    for field, value in clean.items():
        setattr(probe, field, value)
    probe.next_run_at = clock.now()
    probe.save()
    return probe


@transaction.atomic
def probe_delete(*, actor: User, probe: Probe) -> None:
    _require_manager(actor)
    probe.delete()


# --- rotas ------------------------------------------------------------------------------------


def _members(ids: Iterable[int | str], errors: dict[str, list[str]]) -> list[User]:
    wanted: list[int] = []
    for raw in ids:
        text = str(raw).strip()
        if not text:
            continue
        if not text.isdigit():
            errors["members"] = [_("成员无效。")]
            return []
        if int(text) not in wanted:
            wanted.append(int(text))
    people = {u.id: u for u in User.objects.filter(id__in=wanted, role__in=STAFF_ROLES, is_active=True)}
    if len(people) != len(wanted):
        errors["members"] = [_("值班成员必须是在职的工程师或经理。")]
    return [people[i] for i in wanted if i in people]


@transaction.atomic
def rota_save(*, actor: User | None, name: str, start_date: date | str, members: Iterable[int | str], rota: Rota | None = None,
              team: Team | int | str | None = None, handover_time: time | str = "09:00", shift_days: int | str = 7,
              timezone: str = "Asia/Shanghai") -> Rota:
    """Create or change a rota; the member order given is the turn order."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("此项为必填项。")]
    elif Rota.objects.filter(name=name).exclude(pk=rota.pk if rota is not None else 0).exists():
        errors["name"] = [_("已有同名的值班表。")]
    start = start_date
    if isinstance(start_date, str):
        try:
            start = date.fromisoformat(start_date.strip())
        except ValueError:
            errors["start_date"] = [_("日期格式应为 YYYY-MM-DD。")]
    handover = handover_time
    if isinstance(handover_time, str):
        try:
            handover = time.fromisoformat(handover_time.strip())
        except ValueError:
            errors["handover_time"] = [_("时间格式应为 HH:MM。")]
    try:
        days = int(shift_days)
        if not 1 <= days <= 31:
            raise ValueError
    except (TypeError, ValueError):
        errors["shift_days"] = [_("每班天数应在 1 到 31 之间。")]
        days = 7
    try:
        ZoneInfo((timezone or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("未知的时区。")]
    the_team = None
    if team not in (None, ""):
        the_team = team if isinstance(team, Team) else Team.objects.filter(pk=team).first() if str(team).isdigit() else None
        if the_team is None:
            errors["team"] = [_("不存在。")]
    people = _members(members, errors)
    if not people and "members" not in errors:
        errors["members"] = [_("至少需要一名值班成员。")]
    if errors:
        raise ValidationFailed(_("值班表有误，未保存。"), details=errors)
    target = rota or Rota()
    target.name, target.team, target.start_date = name, the_team, start  # type: ignore[assignment]
    target.handover_time, target.shift_days, target.timezone = handover, days, timezone.strip()  # type: ignore[assignment]
    target.save()
    RotaMember.objects.filter(rota=target).delete()
    RotaMember.objects.bulk_create(RotaMember(rota=target, user=u, position=i) for i, u in enumerate(people))
    return target


@transaction.atomic
def rota_override_add(*, actor: User, rota: Rota, user: User | int | str, starts_at: datetime | None,
                      ends_at: datetime | None, reason: str = "") -> RotaOverride:
    """Someone covers a period (a swap, a holiday shift); it wins over the turn order."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    person = user if isinstance(user, User) else (
        User.objects.filter(pk=user, role__in=STAFF_ROLES, is_active=True).first() if str(user).isdigit() else None)
    if person is None:
        errors["user"] = [_("值班成员必须是在职的工程师或经理。")]
    if starts_at is None:
        errors["starts_at"] = [_("此项为必填项。")]
    if ends_at is None:
        errors["ends_at"] = [_("此项为必填项。")]
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
    if errors or person is None or starts_at is None or ends_at is None:
        raise ValidationFailed(_("代班安排有误，未保存。"), details=errors)
    return RotaOverride.objects.create(rota=rota, user=person, starts_at=starts_at, ends_at=ends_at, reason=(reason or "").strip()[:200])


@transaction.atomic
def rota_override_delete(*, actor: User, rota: Rota, override_id: int) -> None:
    _require_manager(actor)
    deleted, _rows = RotaOverride.objects.filter(rota=rota, pk=override_id).delete()
    if not deleted:
        raise NotFound(_("代班安排不存在。"))


@transaction.atomic
def rota_delete(*, actor: User, rota: Rota) -> None:
    _require_manager(actor)
    rota.delete()


# --- paging policies --------------------------------------------------------------------------


def _url_ok(url: str, schemes: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    return parts.scheme in schemes and bool(parts.netloc)


@transaction.atomic
def notification_policy_save(*, actor: User | None, severity: str, rota: Rota | int | str | None, channels: Iterable[str],
                             chat_url: str = "", phone_webhook: str = "", escalate_after_minutes: int | str = 15,
                             max_steps: int | str = 3) -> NotificationPolicy:
    """Who is paged for an alarm of this severity, on which channels, and when nobody acknowledges."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    if severity not in Severity.values:
        errors["severity"] = [_("取值应为：%(values)s") % {"values": ", ".join(Severity.values)}]
    chosen = [c for c in dict.fromkeys(channels) if c]
    if any(c not in PAGING_CHANNELS for c in chosen):
        errors["channels"] = [_("取值应为：%(values)s") % {"values": ", ".join(PAGING_CHANNELS)}]
    the_rota = None
    if rota not in (None, ""):
        the_rota = rota if isinstance(rota, Rota) else Rota.objects.filter(pk=rota).first() if str(rota).isdigit() else None
        if the_rota is None:
            errors["rota"] = [_("不存在。")]
    chat_url, phone_webhook = (chat_url or "").strip(), (phone_webhook or "").strip()
    if {"dingtalk", "wecom", "feishu"} & set(chosen) and not chat_url:
        errors["chat_url"] = [_("选择了群机器人渠道，需要填写群机器人地址。")]
    if chat_url and "://" not in chat_url:
        errors["chat_url"] = [_("应为 apprise 格式的地址，例如 dingtalk://…")]
    if {"sms", "phone"} & set(chosen) and not phone_webhook:
        errors["phone_webhook"] = [_("选择了短信或电话渠道，需要填写 Webhook 地址。")]
    if phone_webhook and not _url_ok(phone_webhook, ("http", "https")):
        errors["phone_webhook"] = [_("需要 http:// 或 https:// 开头的地址。")]
    numbers: dict[str, int] = {}
    for field, raw, (low, high) in (("escalate_after_minutes", escalate_after_minutes, (1, 1440)), ("max_steps", max_steps, (0, 10))):
        try:
            numbers[field] = int(str(raw).strip())
            if not low <= numbers[field] <= high:
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = [_("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}]
    if errors:
        raise ValidationFailed(_("通知策略有误，未保存。"), details=errors)
    policy, _created = NotificationPolicy.objects.update_or_create(
        severity=severity,
        defaults={"rota": the_rota, "channels": chosen, "chat_url": chat_url, "phone_webhook": phone_webhook, **numbers},
    )
    return policy


# --- inspection plans -------------------------------------------------------------------------


@transaction.atomic
def inspection_plan_save(*, actor: User, organisation: Organisation, name: str, probe_ids: Iterable[str],
                         interval_days: int | str = 30, plan: InspectionPlan | None = None) -> InspectionPlan:
    """Create or change an inspection plan: which of the customer's checks run, and how often."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("此项为必填项。")]
    try:
        days = int(str(interval_days).strip())
        if not 1 <= days <= 366:
            raise ValueError
    except (TypeError, ValueError):
        errors["interval_days"] = [_("应在 %(low)s 到 %(high)s 之间。") % {"low": 1, "high": 366}]
        days = 30
    wanted = [p for p in dict.fromkeys(probe_ids) if p]
    probes = list(Probe.objects.filter(public_id__in=wanted).select_related("system"))
    if len(probes) != len(wanted):
        errors["probes"] = [_("不存在。")]
    if any(p.system.organisation_id != organisation.id for p in probes):
        errors["probes"] = [_("检查项必须属于该客户的系统。")]
    if not probes and "probes" not in errors:
        errors["probes"] = [_("至少选择一个检查项。")]
    if errors:
        raise ValidationFailed(_("巡检计划有误，未保存。"), details=errors)
    target = plan or InspectionPlan(organisation=organisation, next_run_at=clock.now())
    target.name, target.interval_days = name.strip()[:200], days
    target.save()
    target.probes.set(probes)
    return target


@transaction.atomic
def inspection_plan_run_soon(*, actor: User, plan: InspectionPlan) -> InspectionPlan:
    """Make the plan due now: the worker's monitoring sweep (every minute) runs its checks and files the report.

    The checks reach the customer's systems with network timeouts, so they never run inside a web request.
    """
    _require_manager(actor)
    plan.next_run_at = clock.now()
    plan.save(update_fields=["next_run_at"])
    return plan
