from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.factories import make_source, payload, post_webhook, with_label
from tests.personas import World
from weibao.monitoring.models import Alarm, SeverityPolicy
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


def test_recovery_is_recorded_on_the_incident_when_every_alarm_recovered(
        world: World, shared_data_dir: Path, django_capture_on_commit_callbacks: Any) -> None:
    src = make_source(system=world.system_b)
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
    incident = Ticket.objects.get()
    first = TicketEvent.objects.get(ticket=incident, kind="alarm_recovered")
    assert first.data["all_recovered"] is False
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "005_alertmanager_ticketing.json"))
    recovered = list(TicketEvent.objects.filter(ticket=incident, kind="alarm_recovered").order_by("id"))
    assert len(recovered) == 3 and recovered[-1].data["all_recovered"] is True
    incident.refresh_from_db()
    # a new, unworked ticket is not resolved by the machine (the ticket rules decide); the recovery is on its timeline
    assert incident.status == "new"


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
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
    incident.refresh_from_db()
    assert incident.status == "in_progress"  # one alarm still firing: nothing is resolved yet
    _post(django_capture_on_commit_callbacks, src, payload(shared_data_dir, "005_alertmanager_ticketing.json"))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolution_method == "workaround" and "自动" in incident.resolution_text
    last = TicketEvent.objects.filter(ticket=incident, kind="transitioned").latest("id")
    assert last.actor is None and last.data["transition"] == "propose_resolution"
