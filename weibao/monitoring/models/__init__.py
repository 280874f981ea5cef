"""Monitoring models: alarm sources and alarms, probes, on-call, maintenance and inspections."""

from weibao.monitoring.models.alarms import (
    Alarm,
    AlarmEvent,
    AlarmSource,
    Delivery,
    DeliveryOutcome,
    MappingRule,
    Severity,
    SeverityPolicy,
    SourceKind,
)
from weibao.monitoring.models.operations import (
    InspectionPlan,
    InspectionReport,
    MaintenanceWindow,
    NotificationPolicy,
    Page,
    Rota,
    RotaLeave,
    RotaMember,
    RotaOverride,
)
from weibao.monitoring.models.probes import Probe, ProbeKind, ProbeResult, ProbeState

__all__ = [
    "Alarm", "AlarmEvent", "AlarmSource", "Delivery", "DeliveryOutcome", "InspectionPlan", "InspectionReport",
    "MaintenanceWindow", "MappingRule", "NotificationPolicy", "Page", "Probe", "ProbeKind", "ProbeResult", "ProbeState", "Rota",
    "RotaLeave", "RotaMember", "RotaOverride", "Severity", "SeverityPolicy", "SourceKind",
]
