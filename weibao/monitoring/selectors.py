"""Reads on a user's path: always through accounts.access (customers see only their organisation)."""

from __future__ import annotations

from django.db.models import QuerySet

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core.errors import NotFound
from weibao.monitoring.models import Alarm, AlarmEvent, AlarmSource, Delivery, MaintenanceWindow, Probe


def alarm_list_for(actor: Actor | None, *, status: str | None = None, system: str | None = None,
                   severity: str | None = None) -> QuerySet[Alarm]:
    qs = access.scope(actor, Alarm.objects.select_related("system", "source", "incident"))
    if status:
        qs = qs.filter(status=status)
    if system:
        qs = qs.filter(system__public_id=system)
    if severity:
        qs = qs.filter(severity=severity)
    return qs


def alarm_get_for(actor: Actor | None, public_id: str) -> Alarm:
    return access.get_for(actor, Alarm.objects.select_related("system", "source", "acknowledged_by", "incident"), public_id=public_id)


def alarm_events_for(actor: Actor | None, alarm: Alarm) -> QuerySet[AlarmEvent]:
    # the alarm was fetched through access already; events carry no other organisation's data
    return AlarmEvent.objects.filter(alarm=alarm).select_related("actor")


def source_list_for(actor: Actor | None) -> QuerySet[AlarmSource]:
    if not access.is_manager_or_admin(actor):
        return AlarmSource.objects.none()
    return AlarmSource.objects.select_related("default_system")


def source_get_for(actor: Actor | None, public_id: str) -> AlarmSource:
    source = source_list_for(actor).filter(public_id=public_id).first()
    if source is None:
        raise NotFound("Alarm source not found")
    return source


def delivery_list_for(actor: Actor | None, source: AlarmSource) -> QuerySet[Delivery]:
    if not access.is_manager_or_admin(actor):
        return Delivery.objects.none()
    return Delivery.objects.filter(source=source).defer("body")


def probe_list_for(actor: Actor | None) -> QuerySet[Probe]:
    return access.scope(actor, Probe.objects.select_related("system", "system__organisation"), "system__organisation")


def probe_get_for(actor: Actor | None, public_id: str) -> Probe:
    return access.get_for(actor, Probe.objects.select_related("system"), "system__organisation", public_id=public_id)


def maintenance_list_for(actor: Actor | None) -> QuerySet[MaintenanceWindow]:
    return access.scope(actor, MaintenanceWindow.objects.select_related("system", "system__organisation"), "system__organisation")
