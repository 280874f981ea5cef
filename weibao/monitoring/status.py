"""The status overview per system: up, degraded, down, or in maintenance — with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.customers.models import System
from weibao.customers.selectors import system_list_for
from weibao.monitoring.models import Alarm, MaintenanceWindow, Probe

DOWN_SEVERITIES = {"critical", "high"}


@dataclass
class SystemStatus:
    system: System
    state: str  # up, degraded, down, maintenance
    open_alarms: int = 0
    probes: dict[str, int] = field(default_factory=dict)
    window: MaintenanceWindow | None = None


def status_overview_for(actor: Actor | None, *, now: datetime | None = None, organisation_id: int | None = None) -> list[SystemStatus]:
    now = now or clock.now()
    systems = system_list_for(actor).select_related("organisation")
    if organisation_id is not None:
        systems = systems.filter(organisation_id=organisation_id)
    systems_list = list(systems[:1000])
    ids = [s.id for s in systems_list]
    windows = {w.system_id: w for w in MaintenanceWindow.objects.filter(system_id__in=ids, starts_at__lte=now, ends_at__gt=now)}
    alarms: dict[int, dict[str, int]] = {}
    for row in (Alarm.objects.filter(system_id__in=ids, status__in=["firing", "acknowledged"])
                .values("system_id", "severity").annotate(n=Count("id"))):
        alarms.setdefault(row["system_id"], {})[row["severity"]] = row["n"]
    probes: dict[int, dict[str, int]] = {}
    for prow in Probe.objects.filter(system_id__in=ids, enabled=True).values("system_id", "state").annotate(n=Count("id")):
        probes.setdefault(prow["system_id"], {})[prow["state"]] = prow["n"]
    out = []
    for system in systems_list:
        by_severity = alarms.get(system.id, {})
        by_state = probes.get(system.id, {})
        if system.id in windows:
            state = "maintenance"
        elif DOWN_SEVERITIES & set(by_severity) or by_state.get("down"):
            state = "down"
        elif by_severity or by_state.get("slow"):
            state = "degraded"
        else:
            state = "up"
        out.append(SystemStatus(system, state, sum(by_severity.values()), by_state, windows.get(system.id)))
    return out


@transaction.atomic
def maintenance_window_create(*, actor: User | None, system: System, starts_at: datetime, ends_at: datetime,
                              reason: str) -> MaintenanceWindow:
    if actor is not None:
        access.require(access.is_staff(actor), "Only staff plan maintenance windows")
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after the start."]
    if not (reason or "").strip():
        errors["reason"] = ["This field is required."]
    if errors:
        raise ValidationFailed("Invalid maintenance window", details=errors)
    return MaintenanceWindow.objects.create(system=system, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:300],
                                            created_by=actor)
