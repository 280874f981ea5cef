from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from tests.monitoring.factories import make_source, payload, post_webhook, with_label
from tests.personas import World
from weibao.core import clock
from weibao.core.models import OutboxMessage
from weibao.monitoring.models import Alarm, AlarmEvent, Delivery, DeliveryOutcome, MaintenanceWindow
from weibao.monitoring.sources import mapping_rule_add

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, list[tuple[str, str]]]:
    return Alarm.objects.count(), AlarmEvent.objects.count(), list(Alarm.objects.order_by("id").values_list("fingerprint", "status"))


def test_grouped_firing_creates_one_alarm_per_fingerprint(shared_data_dir: Path) -> None:
    src = make_source()
    response = post_webhook(src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "alerts": 3, "changed": 3}
    assert sorted(Alarm.objects.values_list("fingerprint", flat=True)) == ["b917ec9fe2a0ccf5", "b936e68cc1b3ff53", "dfb1eae6ee89f28a"]
    assert set(AlarmEvent.objects.values_list("kind", flat=True)) == {"fired"}
    delivery = Delivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.ACCEPTED and "HighCPUUsage" in delivery.body


def test_duplicate_delivery_changes_nothing(shared_data_dir: Path) -> None:
    src = make_source()
    body = payload(shared_data_dir, "001_alertmanager_ticketing.json")
    post_webhook(src, body)
    before = _state()
    outbox_before = OutboxMessage.objects.count()
    again = post_webhook(src, body)
    assert again.status_code == 200 and again.json()["changed"] == 0
    assert _state() == before
    assert OutboxMessage.objects.count() == outbox_before
    assert Delivery.objects.order_by("-id").first().outcome == DeliveryOutcome.DUPLICATE  # type: ignore[union-attr]


def test_resolved_in_a_mixed_group_resolves_only_that_alarm(shared_data_dir: Path) -> None:
    src = make_source()
    post_webhook(src, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    post_webhook(src, payload(shared_data_dir, "004_alertmanager_ticketing.json"))
    statuses = dict(Alarm.objects.values_list("fingerprint", "status"))
    assert sorted(statuses.values()) == ["firing", "firing", "resolved"]
    post_webhook(src, payload(shared_data_dir, "005_alertmanager_ticketing.json"))
    assert set(Alarm.objects.values_list("status", flat=True)) == {"resolved"}
    resolved = Alarm.objects.exclude(resolved_at=None)
    assert resolved.count() == 3 and all(a.ends_at for a in resolved)


def test_missing_or_wrong_token_is_401_and_stores_only_a_rejection(shared_data_dir: Path) -> None:
    src = make_source()
    other = make_source(name="other")
    body = payload(shared_data_dir, "001_alertmanager_ticketing.json")
    for token in ("", "wbm_wrong", other.token):
        response = post_webhook(src, body, token=token)
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"
    assert Alarm.objects.count() == 0 and AlarmEvent.objects.count() == 0
    rejected = list(Delivery.objects.all())
    assert len(rejected) == 3 and all(d.outcome == "rejected" and d.http_status == 401 and d.body == "" for d in rejected)


def test_unknown_source_is_401() -> None:
    src = make_source()
    src.source.public_id = "nope"
    assert post_webhook(src, {"alerts": []}).status_code == 401


@pytest.mark.parametrize("body", [b"{", b'{"alerts": "x"}', b'{"version":"4","alerts":[{"status":"firing","labels":{}}]}'])
def test_malformed_body_is_400_and_changes_nothing(body: bytes) -> None:
    src = make_source()
    response = post_webhook(src, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "alertmanager payload" in response.json()["message"]
    assert Alarm.objects.count() == 0
    assert Delivery.objects.get().outcome == "rejected"


def test_bearer_basic_and_header_tokens_are_accepted(shared_data_dir: Path) -> None:
    import base64

    src = make_source()
    body = payload(shared_data_dir, "003_alertmanager_ticketing.json")
    basic = base64.b64encode(f"grafana:{src.token}".encode()).decode()
    assert post_webhook(src, body, token="", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 200
    assert post_webhook(src, body, token="", HTTP_X_WEIBAO_TOKEN=src.token).status_code == 200


def test_system_mapped_by_label_by_rule_and_by_default(world: World, shared_data_dir: Path) -> None:
    src = make_source()
    body = with_label(payload(shared_data_dir, "003_alertmanager_ticketing.json"), weibao_system=world.system_a.public_id)
    post_webhook(src, body)
    alarm = Alarm.objects.get()
    assert alarm.system == world.system_a and alarm.organisation == world.org_a

    by_code = make_source(name="by-code")
    post_webhook(by_code, with_label(payload(shared_data_dir, "003_alertmanager_ticketing.json"), weibao_system="orgb/sysb"))
    assert Alarm.objects.get(source=by_code.source).system == world.system_b

    ruled = make_source(name="ruled")
    mapping_rule_add(actor=None, source=ruled.source, label="cluster", value="prod-*", system=world.system_b)
    post_webhook(ruled, payload(shared_data_dir, "001_alertmanager_ticketing.json"))
    assert set(Alarm.objects.filter(source=ruled.source).values_list("system", flat=True)) == {world.system_b.id}

    unmapped = make_source(name="unmapped")
    post_webhook(unmapped, payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    assert Alarm.objects.get(source=unmapped.source).system is None


def test_maintenance_window_silences_new_alarms(world: World, shared_data_dir: Path) -> None:
    now = clock.now()
    MaintenanceWindow.objects.create(system=world.system_a, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1),
                                     reason="升级")
    src = make_source(system=world.system_a)
    post_webhook(src, payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    alarm = Alarm.objects.get()
    assert alarm.status == "silenced"
    assert alarm.events.get().data["maintenance"] is True


def _single(status: str, starts: str = "2026-11-22T01:00:00Z") -> dict[str, object]:
    return {"version": "4", "status": status, "groupKey": "g", "alerts": [{
        "status": status, "labels": {"alertname": "Flappy", "severity": "critical"}, "annotations": {"summary": "flap"},
        "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T01:05:00Z",
        "fingerprint": "f1"}]}


def test_flapping_alarm_refires_the_same_row_and_is_marked() -> None:
    src = make_source()
    with time_machine.travel("2026-11-22 01:00:00Z", tick=False) as traveller:
        for _ in range(4):
            post_webhook(src, _single("firing"))
            traveller.shift(timedelta(minutes=1))
            post_webhook(src, _single("resolved"))
            traveller.shift(timedelta(minutes=1))
        post_webhook(src, _single("firing"))
    alarm = Alarm.objects.get()
    assert alarm.status == "firing" and alarm.fire_count == 5 and alarm.flapping
    assert list(alarm.events.values_list("kind", flat=True))[:3] == ["fired", "resolved", "refired"]


def test_refiring_after_the_flap_window_opens_a_new_alarm() -> None:
    src = make_source()
    with time_machine.travel("2026-11-22 01:00:00Z", tick=False) as traveller:
        post_webhook(src, _single("firing"))
        post_webhook(src, _single("resolved"))
        traveller.shift(timedelta(hours=1))
        post_webhook(src, _single("firing", starts="2026-11-22T02:00:00Z"))
    assert list(Alarm.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "firing"]


def test_truncated_group_still_applies_what_it_carries(shared_data_dir: Path) -> None:
    src = make_source()
    response = post_webhook(src, payload(shared_data_dir, "002_alertmanager_truncated.json"))
    assert response.status_code == 200
    data = json.loads(payload(shared_data_dir, "002_alertmanager_truncated.json"))
    assert Alarm.objects.count() == len(data["alerts"])


def test_grafana_and_zabbix_sources(shared_data_dir: Path) -> None:
    graf = make_source(kind="grafana", name="grafana")
    assert post_webhook(graf, payload(shared_data_dir, "grafana_alert-9-multiple.json")).status_code == 200
    assert post_webhook(graf, payload(shared_data_dir, "grafana_alert_values_v11.json")).status_code == 200
    assert Alarm.objects.filter(source=graf.source).count() == 4
    zbx = make_source(kind="zabbix", name="zabbix")
    post_webhook(zbx, payload(shared_data_dir, "zabbix_alert.json"))
    assert Alarm.objects.get(source=zbx.source).status == "firing"
    post_webhook(zbx, payload(shared_data_dir, "zabbix_ok.json"))
    assert Alarm.objects.get(source=zbx.source).status == "resolved"
    # an Alertmanager body sent to the Zabbix source is refused, not half-understood
    assert post_webhook(zbx, payload(shared_data_dir, "001_alertmanager_ticketing.json")).status_code == 400


def test_flap_window_comes_from_the_severity_policy_and_the_source_overrides_it() -> None:
    from weibao.monitoring.models import SeverityPolicy

    SeverityPolicy.objects.create(severity="critical", urgency="high", impact="high", flap_window_minutes=2)
    by_policy = make_source(name="by-policy")
    by_source = make_source(name="by-source")
    by_source.source.flap_window_minutes = 30
    by_source.source.save()
    with time_machine.travel("2026-11-22 01:00:00Z", tick=False) as traveller:
        for src in (by_policy, by_source):
            post_webhook(src, _single("firing"))
            post_webhook(src, _single("resolved"))
        traveller.shift(timedelta(minutes=3))  # outside the policy's 2 minutes, inside the source's 30
        for src in (by_policy, by_source):
            post_webhook(src, _single("firing", starts="2026-11-22T01:03:00Z"))
    policy_rows = list(Alarm.objects.filter(source=by_policy.source).order_by("id").values_list("status", "fire_count"))
    source_rows = list(Alarm.objects.filter(source=by_source.source).order_by("id").values_list("status", "fire_count"))
    assert policy_rows == [("resolved", 1), ("firing", 1)]  # a new alarm
    assert source_rows == [("firing", 2)]  # the same alarm, re-fired
