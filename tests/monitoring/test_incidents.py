from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.monitoring.factories import make_source, payload, post_webhook, with_label
from tests.personas import World
from weibao.core import clock
from weibao.monitoring.incidents import recoveries_run_due
from weibao.monitoring.models import Alarm, SeverityPolicy
from weibao.monitoring.sweeps import monitoring_sweep
from weibao.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _attached(incident: Ticket) -> int:
    """Alarms attached to the incident: one timeline entry per group, counting its alarms."""
    return sum(int(e.data["count"]) for e in TicketEvent.objects.filter(ticket=incident, kind="alarm_attached"))


def _post(capture: Any, src: Any, body: bytes) -> Any:
    with capture(execute=True):  # run the outbox after commit, as the worker does
        return post_webhook(src, body)


def test_critical_alarm_opens_a_p1_incident_linked_to_it(world: World, shared_data_dir: Path,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    src = make_source()
    body = with_label(payload(shared_data_dir, "003_alertmanager_ticketing.json"), weibao_system=world.system_a.public_id)
    _post(django_capture_on_commit_callbacks, src, body)
    alarm = Alarm.objects.get()
    incident = Ticket.objects.get()
    assert alarm.incident == incident
    assert incident.channel == "monitoring" and incident.type == "fault" and incident.priority == "p1"
    assert incident.organisation == world.org_a and incident.system == world.system_a
    assert "无法访问" in incident.subject
    assert _attached(incident) == 1
    assert list(alarm.events.values_list("kind", flat=True)) == ["fired", "incident_opened"]


def test_further_alarms_on_the_same_system_attach_instead_of_opening_new_incidents(
        world: World, shared_data_dir: Path, django_capture_on_commit_callbacks: Any, api: Any) -> None:
    src = make_source(system=world.system_a)
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    assert Ticket.objects.count() == 1
    incident = Ticket.objects.get()
    assert set(Alarm.objects.values_list("incident", flat=True)) == {incident.id}
    assert _attached(incident) == 4
    # the second delivery's three alarms are one timeline entry (one chat message), not three
    assert TicketEvent.objects.filter(ticket=incident, kind="alarm_attached").count() == 2
    rows = api(world.users["engineer"]).get("/api/v1/alarms").json()["results"]
    assert {r["incident"] for r in rows} == {incident.number}
    # a repeated delivery attaches nothing more
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    assert _attached(incident) == 4


def _recovered(incident: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=incident, kind="alarm_recovered").order_by("id"))


def test_recovery_is_recorded_on_the_incident_once_it_held(
        world: World, shared_data_dir: Path, django_capture_on_commit_callbacks: Any) -> None:
    src = make_source(system=world.system_b)
    with time_machine.travel("2026-11-22 03:00:00Z", tick=False) as traveller:
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
        incident = Ticket.objects.get()
        assert _recovered(incident) == []  # held: the default recovery hold is 5 minutes
        traveller.shift(timedelta(minutes=4))
        assert recoveries_run_due() == 0
        traveller.shift(timedelta(minutes=2))
        assert recoveries_run_due() == 1
        assert recoveries_run_due() == 0  # each recovery is told once
        (first,) = _recovered(incident)
        assert first.data["all_recovered"] is False and first.data["count"] == 1
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "005_alertmanager_ticketing.json"))
        traveller.shift(timedelta(minutes=6))
        monitoring_sweep()
    recovered = _recovered(incident)
    assert len(recovered) == 2 and recovered[-1].data["count"] == 2 and recovered[-1].data["all_recovered"] is True
    incident.refresh_from_db()
    # a new, unworked ticket is not resolved by the machine (the ticket rules decide); the recovery is on its timeline
    assert incident.status == "new"


def test_a_refire_inside_the_recovery_hold_cancels_the_recovery(
        world: World, shared_data_dir: Path, django_capture_on_commit_callbacks: Any) -> None:
    src = make_source(system=world.system_b)
    with time_machine.travel("2026-11-22 03:00:00Z", tick=False) as traveller:
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
        resolved = Alarm.objects.get(status="resolved")
        assert resolved.recovery_due_at is not None
        traveller.shift(timedelta(minutes=2))
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
        resolved.refresh_from_db()
        assert resolved.status == "firing" and resolved.recovery_due_at is None and resolved.fire_count == 2
        traveller.shift(timedelta(minutes=10))
        assert recoveries_run_due() == 0
    incident = Ticket.objects.get()
    assert _recovered(incident) == []
    assert TicketEvent.objects.filter(ticket=incident, kind="alarm_refired").exists()


def test_without_a_hold_the_recovery_is_told_at_once(world: World, shared_data_dir: Path,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    for severity in ("critical", "high", "warning", "info"):
        SeverityPolicy.objects.create(severity=severity, urgency="high", impact="high", recovery_hold_minutes=0)
    src = make_source(system=world.system_b)
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
    assert Alarm.objects.get(status="resolved").recovery_due_at is None
    (entry,) = _recovered(Ticket.objects.get())
    assert entry.data["all_recovered"] is False


def test_info_alarms_and_unmapped_alarms_open_no_incident(world: World, shared_data_dir: Path,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    SeverityPolicy.objects.create(severity="warning", opens_incident=False, urgency="low", impact="low")
    src = make_source(system=world.system_a)
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    unmapped = make_source(name="unmapped")
    _post(django_capture_on_commit_callbacks, unmapped, payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    assert Ticket.objects.count() == 0
    assert Alarm.objects.count() == 4


def test_recovered_incident_in_progress_is_resolved_when_the_policy_says_so(
        world: World, shared_data_dir: Path, django_capture_on_commit_callbacks: Any) -> None:
    from weibao.tickets.services import ticket_transition

    src = make_source(system=world.system_b)
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    incident = Ticket.objects.get()
    for severity in set(Alarm.objects.values_list("severity", flat=True)):
        SeverityPolicy.objects.update_or_create(severity=severity, defaults={"resolve_incident": True})
    incident = ticket_transition(actor=world.users["manager"], ticket=incident, transition="assign",
                                 assignee=world.users["engineer"], team=world.team)
    ticket_transition(actor=world.users["engineer"], ticket=incident, transition="start")
    with time_machine.travel(clock.now(), tick=False) as traveller:
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
        traveller.shift(timedelta(minutes=6))
        recoveries_run_due()
        incident.refresh_from_db()
        assert incident.status == "in_progress"  # one alarm still firing: nothing is resolved yet
        _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "005_alertmanager_ticketing.json"))
        incident.refresh_from_db()
        assert incident.status == "in_progress"  # held
        traveller.shift(timedelta(minutes=6))
        recoveries_run_due()
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolution_method == "workaround" and "自动" in incident.resolution_text
    last = TicketEvent.objects.filter(ticket=incident, kind="transitioned").latest("id")
    assert last.actor is None and last.data["transition"] == "propose_resolution"
