"""The intake is set-based: the queries of one delivery do not grow with the alerts it carries, the body
is stored before it is applied, and a delivery that fails to apply is kept and replayed."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.monitoring.factories import make_source
from tests.personas import World
from weibao.core.errors import ValidationFailed
from weibao.monitoring import intake
from weibao.monitoring.incidents import incidents_for_alarms
from weibao.monitoring.models import Alarm, AlarmEvent, Delivery, DeliveryOutcome
from weibao.monitoring.sources import NewSource
from weibao.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _body(first: int, count: int, status: str, systems: list[str]) -> bytes:
    alerts = [{"status": status, "labels": {"alertname": "Down", "instance": f"h{i}", "severity": "critical",
                                            "weibao_system": systems[i % len(systems)]},
               "annotations": {"summary": f"h{i} down"}, "startsAt": "2026-11-22T01:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T01:05:00Z", "fingerprint": f"fp{i:06d}"}
              for i in range(first, first + count)]
    return json.dumps({"version": "4", "status": status, "groupKey": "g", "alerts": alerts}).encode()


def _queries(src: NewSource, body: bytes) -> tuple[int, intake.IntakeResult]:
    with CaptureQueriesContext(connection) as ctx:
        result = intake.delivery_receive(source_public_id=src.source.public_id, token=src.token, body=body)
    assert result.http_status == 200, result.message
    return len(ctx.captured_queries), result


def test_queries_per_delivery_do_not_grow_with_the_alerts_in_it(world: World) -> None:
    src = make_source()
    # two systems, named both ways (public id and customer/system code), so system lookup is exercised too
    systems = [world.system_a.public_id, "orgb/sysb"]
    small_fire, small = _queries(src, _body(0, 3, "firing", systems))
    large_fire, large = _queries(src, _body(100, 300, "firing", systems))
    assert (small.changed, large.changed) == (3, 300)
    assert large_fire == small_fire
    assert set(Alarm.objects.values_list("system", flat=True)) == {world.system_a.id, world.system_b.id}

    small_dup, small = _queries(src, _body(0, 3, "firing", systems))
    large_dup, large = _queries(src, _body(100, 300, "firing", systems))
    assert (small.changed, large.changed) == (0, 0)
    assert large_dup == small_dup

    small_res, small = _queries(src, _body(0, 3, "resolved", systems))
    large_res, large = _queries(src, _body(100, 300, "resolved", systems))
    assert (small.changed, large.changed) == (3, 300)
    assert large_res == small_res
    assert set(Alarm.objects.values_list("status", flat=True)) == {"resolved"}
    assert AlarmEvent.objects.count() == 2 * 303


def test_incident_work_is_one_group_per_system_whatever_the_number_of_alarms(world: World) -> None:
    src = make_source()
    systems = [world.system_a.public_id, world.system_b.public_id]

    def attach(first: int, count: int) -> int:
        _n, result = _queries(src, _body(first, count, "firing", systems))
        with CaptureQueriesContext(connection) as ctx:
            linked = incidents_for_alarms(result.alarm_ids)
        assert len(linked) == count
        return len(ctx.captured_queries)

    small = attach(0, 2)  # opens one incident per system
    assert Ticket.objects.count() == 2
    assert attach(100, 4) == attach(200, 200)  # both attach to the open incidents
    assert Ticket.objects.count() == 2
    entries = TicketEvent.objects.filter(kind="alarm_attached")
    assert entries.count() == 6 and sum(e.data["count"] for e in entries) == 206
    assert small > 0


def test_the_body_is_stored_before_it_is_applied_and_a_failure_is_replayed(world: World) -> None:
    src = make_source(system=world.system_a)
    body = _body(0, 5, "firing", ["nowhere"])
    with mock.patch.object(intake, "alarm_ingest", side_effect=RuntimeError("database went away")):
        result = intake.delivery_receive(source_public_id=src.source.public_id, token=src.token, body=body)
    assert result.http_status == 500 and result.code == "processing_failed"
    assert Alarm.objects.count() == 0
    delivery = Delivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.FAILED and json.loads(delivery.body)["alerts"][0]["fingerprint"] == "fp000000"
    assert "database went away" in delivery.reason

    assert intake.deliveries_replay_failed() == 1
    delivery.refresh_from_db()
    assert delivery.outcome == DeliveryOutcome.ACCEPTED and delivery.changed == 5
    assert Alarm.objects.filter(system=world.system_a).count() == 5
    # replaying an applied delivery changes nothing
    again = intake.delivery_replay(delivery=delivery)
    assert again.changed == 0 and Alarm.objects.count() == 5


def test_a_rejected_delivery_cannot_be_replayed() -> None:
    src = make_source()
    intake.delivery_receive(source_public_id=src.source.public_id, token=src.token, body=b"{")
    rejected: Any = Delivery.objects.get()
    with pytest.raises(ValidationFailed):
        intake.delivery_replay(delivery=rejected)
