"""A real Prometheus Alertmanager posts to a live Weibao server on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.alertmanager import alertmanager_binary, running_alertmanager, wait_for
from tests.monitoring.factories import make_source
from tests.personas import build_world
from weibao.core.models import OutboxMessage
from weibao.monitoring.models import Alarm, Delivery

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(alertmanager_binary() is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"),
]


def _alert(name: str, instance: str, severity: str, system: str, ends: datetime | None = None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {"alertname": name, "instance": instance, "severity": severity, "weibao_system": system},
        "annotations": {"summary": f"{instance} 无响应", "description": "来自真实 Alertmanager 的测试告警"},
        "generatorURL": "http://prometheus.invalid/graph",
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    return alert


def _settle() -> None:
    """Let the live server finish the last delivery Alertmanager sent before it stopped: the flush at the end
    of a transactional test deadlocks on PostgreSQL against a request still writing."""
    seen: tuple[int, int] | None = None
    stable_since = time.monotonic()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = (Delivery.objects.count(), OutboxMessage.objects.filter(delivered_at__isnull=True).count())
        if now != seen:
            seen, stable_since = now, time.monotonic()
        elif now[1] == 0 and time.monotonic() - stable_since >= 1.5:
            return
        time.sleep(0.2)


def test_real_alertmanager_delivers_firing_and_resolved_alarms(live_server: Any, tmp_path: Path) -> None:
    world = build_world()
    src = make_source(name="real-am")
    webhook = f"{live_server.url}/api/v1/alarm-sources/{src.source.public_id}/webhook"
    system = world.system_a.public_id
    alerts = [_alert("HostDown", "db01:9100", "critical", system), _alert("HostDown", "db02:9100", "critical", system)]
    with running_alertmanager(tmp_path, webhook, src.token) as am:
        am.post_alerts(alerts)
        wait_for(lambda: Alarm.objects.filter(status="firing").count() == 2, what="two firing alarms")
        alarms = list(Alarm.objects.order_by("fingerprint"))
        assert {a.system_id for a in alarms} == {world.system_a.id}
        assert all(a.severity == "critical" and a.summary.endswith("无响应") for a in alarms)
        assert len({a.fingerprint for a in alarms}) == 2 and all(len(a.fingerprint) == 16 for a in alarms)

        past = datetime.now(UTC) - timedelta(seconds=1)
        am.post_alerts([_alert("HostDown", "db01:9100", "critical", system, ends=past)])
        wait_for(lambda: Alarm.objects.filter(status="resolved").count() == 1, what="one resolved alarm")
        assert Alarm.objects.get(labels__instance="db01:9100").status == "resolved"
        assert Alarm.objects.get(labels__instance="db02:9100").status == "firing"

    _settle()
    deliveries = list(Delivery.objects.all())
    assert deliveries and all(d.outcome in ("accepted", "duplicate") for d in deliveries)
    assert Alarm.objects.count() == 2  # re-sent groups never duplicated an alarm


def test_real_alertmanager_with_a_wrong_token_stores_nothing(live_server: Any, tmp_path: Path) -> None:
    build_world()
    src = make_source(name="wrong-token")
    webhook = f"{live_server.url}/api/v1/alarm-sources/{src.source.public_id}/webhook"
    with running_alertmanager(tmp_path, webhook, "wbm_not-the-token") as am:
        am.post_alerts([_alert("HostDown", "db01:9100", "critical", "x")])
        wait_for(lambda: Delivery.objects.filter(http_status=401).exists(), what="a rejected delivery")
    _settle()
    assert Alarm.objects.count() == 0
