"""What an alarm's severity means for incidents: data (SeverityPolicy rows) over built-in defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core.errors import ValidationFailed
from weibao.monitoring.models import AlarmSource, Severity, SeverityPolicy

# Built-in defaults: critical and high open P1/P2-class incidents, warning a P3, info none.
_DEFAULTS: dict[str, tuple[bool, str, str]] = {
    "critical": (True, "high", "high"),
    "high": (True, "high", "medium"),
    "warning": (True, "medium", "medium"),
    "info": (False, "low", "low"),
}
# the defaults of a severity without a SeverityPolicy row (the same as the model's field defaults)
FLAP_WINDOW = timedelta(minutes=10)
RECOVERY_HOLD = timedelta(minutes=5)


@dataclass(frozen=True)
class Policy:
    severity: str
    opens_incident: bool
    urgency: str
    impact: str
    resolve_incident: bool
    recovery_hold: timedelta
    flap_window: timedelta


def _from_row(row: SeverityPolicy) -> Policy:
    return Policy(row.severity, row.opens_incident, row.urgency, row.impact, row.resolve_incident,
                  timedelta(minutes=row.recovery_hold_minutes), timedelta(minutes=row.flap_window_minutes))


def _default(severity: str) -> Policy:
    opens, urgency, impact = _DEFAULTS.get(severity, _DEFAULTS["warning"])
    return Policy(severity, opens, urgency, impact, True, RECOVERY_HOLD, FLAP_WINDOW)


def severity_policy(severity: str) -> Policy:
    row = SeverityPolicy.objects.filter(severity=severity).first()
    return _from_row(row) if row is not None else _default(severity)


class _Policies(dict[str, Policy]):
    def __missing__(self, severity: str) -> Policy:
        return _default(severity)


def severity_policies() -> dict[str, Policy]:
    """Every severity's policy in one query (for set-based work over many alarms)."""
    return _Policies({row.severity: _from_row(row) for row in SeverityPolicy.objects.all()})


def flap_window(policies: dict[str, Policy], severity: str, source: AlarmSource | None) -> timedelta:
    """A resolved alarm firing again within this window is the same alarm coming back (flapping): the source's
    own window when it has one, else its severity's."""
    if source is not None and source.flap_window_minutes is not None:
        return timedelta(minutes=source.flap_window_minutes)
    return policies[severity].flap_window


LEVELS = ("high", "medium", "low")
POLICY_FIELDS = {"opens_incident", "urgency", "impact", "resolve_incident", "recovery_hold_minutes", "flap_window_minutes"}
MAX_MINUTES = 7 * 24 * 60


def _minutes(errors: dict[str, list[str]], name: str, value: object, *, allow_none: bool = False) -> int | None:
    """A whole number of minutes; a form's digits count (a blank field is None where None is allowed)."""
    if isinstance(value, str):
        value = value.strip()
        value = None if value == "" else int(value) if value.isdigit() else value
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        errors[name] = [_("应为 %(low)s 到 %(high)s 之间的整数（分钟）。") % {"low": 0, "high": MAX_MINUTES}]
        return None
    return value


@transaction.atomic
def severity_policy_set(*, actor: User | None, severity: str, **fields: Any) -> SeverityPolicy:
    """Create or change what a severity does (incidents, recovery hold, flap window). `actor` None is the command line."""
    if actor is not None:
        access.require(access.is_manager_or_admin(actor), _("只有服务经理或管理员可以修改告警处理策略。"))
    errors: dict[str, list[str]] = {}
    if severity not in Severity.values:
        errors["severity"] = [_("取值应为：%(values)s") % {"values": ", ".join(Severity.values)}]
    for name in set(fields) - POLICY_FIELDS:
        errors[name] = [_("未知字段。")]
    for name in ("recovery_hold_minutes", "flap_window_minutes"):
        if name in fields:
            fields[name] = _minutes(errors, name, fields[name])
    for name in ("urgency", "impact"):
        if name in fields and fields[name] not in LEVELS:
            errors[name] = [_("取值应为：%(values)s") % {"values": ", ".join(LEVELS)}]
    for name in ("opens_incident", "resolve_incident"):
        if name in fields and not isinstance(fields[name], bool):
            errors[name] = [_("应为是或否。")]
    if errors:
        raise ValidationFailed(_("告警处理策略有误，未保存。"), details=errors)
    current = severity_policy(severity)
    defaults = {"opens_incident": current.opens_incident, "urgency": current.urgency, "impact": current.impact,
                "resolve_incident": current.resolve_incident,
                "recovery_hold_minutes": int(current.recovery_hold.total_seconds() // 60),
                "flap_window_minutes": int(current.flap_window.total_seconds() // 60)} | fields
    row, _created = SeverityPolicy.objects.update_or_create(severity=severity, defaults=defaults)
    return row


@transaction.atomic
def alarm_source_set_flap_window(*, actor: User | None, source: AlarmSource, minutes: int | str | None) -> AlarmSource:
    """The source's own flap window (None: its alarms follow their severity's policy)."""
    if actor is not None:
        access.require(access.has_role(actor, "admin"), _("只有管理员可以修改告警来源。"))
    errors: dict[str, list[str]] = {}
    value = _minutes(errors, "flap_window_minutes", minutes, allow_none=True)
    if errors:
        raise ValidationFailed(_("抖动窗口有误，未保存。"), details=errors)
    AlarmSource.objects.filter(id=source.id).update(flap_window_minutes=value)
    source.flap_window_minutes = value
    return source
