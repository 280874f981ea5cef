from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.factories import make_source, payload, post_webhook, with_label
from tests.personas import PERSONAS, World
from weibao.monitoring.models import Alarm, AlarmEvent

pytestmark = pytest.mark.django_db


def _fire(world: World, shared: Path) -> Alarm:
    src = make_source(system=world.system_a)
    post_webhook(src, payload(shared, "003_alertmanager_ticketing.json"))
    return Alarm.objects.get()


def test_engineer_acknowledges_through_the_api_and_history_records_it(world: World, shared_data_dir: Path, api: Callable[..., Any]) -> None:
    alarm = _fire(world, shared_data_dir)
    client = api(world.users["engineer"])
    response = client.post(f"/api/v1/alarms/{alarm.public_id}/transitions", {"transition": "acknowledge", "note": "在看"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    again = client.post(f"/api/v1/alarms/{alarm.public_id}/transitions", {"transition": "acknowledge"}, format="json")
    assert again.status_code == 200
    events = list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", "actor__username"))
    assert events == [("fired", None), ("acknowledged", "engineer")]
    detail = client.get(f"/api/v1/alarms/{alarm.public_id}").json()
    assert [e["kind"] for e in detail["events"]] == ["fired", "acknowledged"]
    assert "resolve" in detail["allowed_transitions"]


def test_transition_not_allowed_is_409_with_the_allowed_list(world: World, shared_data_dir: Path, api: Callable[..., Any]) -> None:
    alarm = _fire(world, shared_data_dir)
    client = api(world.users["manager"])
    assert client.post(f"/api/v1/alarms/{alarm.public_id}/transitions", {"transition": "resolve"}, format="json").status_code == 200
    response = client.post(f"/api/v1/alarms/{alarm.public_id}/transitions", {"transition": "acknowledge"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert Alarm.objects.get().status == "resolved"


def test_list_shows_state_fingerprint_system_and_filters(world: World, shared_data_dir: Path, api: Callable[..., Any],
                                                         django_assert_max_num_queries: Any) -> None:
    src = make_source()
    post_webhook(src, with_label(payload(shared_data_dir, "001_alertmanager_ticketing.json"), weibao_system=world.system_b.public_id))
    client = api(world.users["engineer"])
    with django_assert_max_num_queries(4):
        rows = client.get("/api/v1/alarms?status=firing").json()["results"]
    assert len(rows) == 3
    assert {r["system"] for r in rows} == {world.system_b.public_id}
    assert all(r["fingerprint"] and r["status"] == "firing" and "incident" in r for r in rows)
    assert client.get("/api/v1/alarms?status=resolved").json()["results"] == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_webhook_with_a_valid_token_is_accepted_whoever_is_signed_in(persona: str, world: World, shared_data_dir: Path,
                                                                      api: Callable[..., Any]) -> None:
    src = make_source()
    client = api(world.user(persona))
    response = client.post(f"/api/v1/alarm-sources/{src.source.public_id}/webhook",
                           data=payload(shared_data_dir, "003_alertmanager_ticketing.json"),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {src.token}")
    assert response.status_code == 200
    assert Alarm.objects.count() == 1


def test_admin_adds_a_source_through_the_api_and_gets_the_token_once(world: World, api: Callable[..., Any]) -> None:
    client = api(world.users["admin"])
    response = client.post("/api/v1/alarm-sources", {"kind": "grafana", "name": "grafana-prod"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("wbm_") and body["webhook_url"].endswith(f"/api/v1/alarm-sources/{body['source']['id']}/webhook")
    listed = client.get("/api/v1/alarm-sources").json()["results"]
    assert "token" not in listed[0] and listed[0]["token_prefix"] == body["token"][:10]
    assert client.post("/api/v1/alarm-sources", {"kind": "grafana", "name": "grafana-prod"}, format="json").status_code == 409


def test_cli_add_source_prints_url_and_token(db: Any, capsys: pytest.CaptureFixture[str], settings: Any) -> None:
    from weibao import cli

    settings.BASE_URL = "https://weibao.example.cn"
    assert cli.main(["monitoring", "add-source", "--kind", "zabbix", "--name", "zbx-prod"]) == 0
    out = capsys.readouterr().out
    assert "https://weibao.example.cn/api/v1/alarm-sources/" in out and "wbm_" in out
    assert cli.main(["monitoring", "add-source", "--kind", "zabbix", "--name", "zbx-prod"]) == 1
