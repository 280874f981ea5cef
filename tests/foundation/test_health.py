"""/healthz is alive; /readyz needs the database, the queue and a fresh worker heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from weibao.core.heartbeat import heartbeat_record
from weibao.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 8, 0, 30, tzinfo=UTC)


def test_healthz_is_always_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_503_without_a_heartbeat() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["level"] == "OK" and body["checks"]["queue"]["level"] == "OK"
    assert body["checks"]["worker heartbeat"]["level"] != "OK"


def test_readyz_is_200_with_a_fresh_heartbeat_and_503_when_it_goes_stale(settings) -> None:
    settings.HEARTBEAT_MAX_AGE_SECONDS = 180
    with time_machine.travel(T0, tick=False) as traveller:
        heartbeat_record()
        response = Client().get("/readyz")
        assert response.status_code == 200 and response.json()["status"] == "ok"
        traveller.shift(timedelta(seconds=179))
        assert Client().get("/readyz").status_code == 200
        traveller.shift(timedelta(seconds=2))
        stale = Client().get("/readyz")
        assert stale.status_code == 503 and stale.json()["checks"]["worker heartbeat"]["level"] == "FAIL"


def test_heartbeat_is_one_row_per_period_however_many_schedulers() -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        assert heartbeat_record() is True
        assert heartbeat_record() is False  # a second scheduler in the same minute
        traveller.shift(timedelta(seconds=45))
        assert heartbeat_record() is True
    assert WorkerHeartbeat.objects.count() == 2


def test_old_heartbeats_are_pruned() -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        heartbeat_record()
        traveller.shift(timedelta(days=3))
        heartbeat_record()
    assert WorkerHeartbeat.objects.count() == 1
