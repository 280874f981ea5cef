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


def severity_policy(severity: str) -> Policy:
    row = SeverityPolicy.objects.filter(severity=severity).first()
    if row is not None:
        return Policy(severity, row.opens_incident, row.urgency, row.impact, row.resolve_incident,
                      timedelta(minutes=row.recovery_hold_minutes))
    opens, urgency, impact = _DEFAULTS.get(severity, _DEFAULTS["warning"])
    return Policy(severity, opens, urgency, impact, True, timedelta(minutes=5))


def flap_window() -> timedelta:
    """A resolved alarm firing again within this window is the same alarm coming back (flapping)."""
    return FLAP_WINDOW
