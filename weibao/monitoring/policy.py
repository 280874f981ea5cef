"""What an alarm's severity means for incidents: data (SeverityPolicy rows) over built-in defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from weibao.monitoring.models import SeverityPolicy

# Built-in defaults: critical and high open P1/P2-class incidents, warning a P3, info none.
_DEFAULTS: dict[str, tuple[bool, str, str]] = {
    "critical": (True, "high", "high"),
    "high": (True, "high", "medium"),
    "warning": (True, "medium", "medium"),
    "info": (False, "low", "low"),
}
FLAP_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Policy:
    severity: str
    opens_incident: bool
    urgency: str
    impact: str
    resolve_incident: bool
    recovery_hold: timedelta


def _from_row(row: SeverityPolicy) -> Policy:
    return Policy(row.severity, row.opens_incident, row.urgency, row.impact, row.resolve_incident,
                  timedelta(minutes=row.recovery_hold_minutes))


def _default(severity: str) -> Policy:
    opens, urgency, impact = _DEFAULTS.get(severity, _DEFAULTS["warning"])
    return Policy(severity, opens, urgency, impact, True, timedelta(minutes=5))


def severity_policy(severity: str) -> Policy:
    row = SeverityPolicy.objects.filter(severity=severity).first()
    return _from_row(row) if row is not None else _default(severity)


class _Policies(dict[str, Policy]):
    def __missing__(self, severity: str) -> Policy:
        return _default(severity)


def severity_policies() -> dict[str, Policy]:
    """Every severity's policy in one query (for set-based work over many alarms)."""
    return _Policies({row.severity: _from_row(row) for row in SeverityPolicy.objects.all()})


def flap_window() -> timedelta:
    """A resolved alarm firing again within this window is the same alarm coming back (flapping)."""
    return FLAP_WINDOW
