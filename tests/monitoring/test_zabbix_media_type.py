"""The shipped Zabbix media type: its script, run in Node with Zabbix's HttpRequest stubbed, produces a request
our webhook accepts (problem, then recovery of the same alarm)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import weibao.monitoring
from tests.monitoring.factories import make_source
from tests.personas import World
from weibao.monitoring.models import Alarm

MEDIA = Path(weibao.monitoring.__file__).parent / "zabbix" / "media_weibao.yaml"

HARNESS = """
var captured = {headers: []};
function HttpRequest() {}
HttpRequest.prototype.addHeader = function (h) { captured.headers.push(h); };
HttpRequest.prototype.setProxy = function () {};
HttpRequest.prototype.post = function (url, body) { captured.url = url; captured.body = body; return '{}'; };
HttpRequest.prototype.getStatus = function () { return 200; };
var Zabbix = {log: function () {}};
var value = process.argv[process.argv.length - 1];
var result = (function () { %s })();
process.stdout.write(JSON.stringify({result: result, request: captured}));
"""


def _media() -> dict[str, Any]:
    return yaml.safe_load(MEDIA.read_text())["zabbix_export"]["media_types"][0]  # type: ignore[no-any-return]


def test_media_type_is_a_valid_zabbix_webhook_export() -> None:
    media = _media()
    assert media["type"] == "WEBHOOK" and media["name"] == "Weibao"
    names = {p["name"] for p in media["parameters"]}
    assert {"weibao_url", "weibao_token", "event_id", "event_value", "trigger_id", "event_nseverity", "event_tags"} <= names


def _run(params: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node is not None
    out = subprocess.run([node, "-e", HARNESS % _media()["script"], json.dumps(params)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("node") is None and shutil.which("nodejs") is None, reason="Node.js is not installed")
def test_script_output_is_accepted_by_the_webhook(world: World, api: Any) -> None:
    src = make_source(kind="zabbix", name="zabbix-prod")
    params = {p["name"]: p["value"] for p in _media()["parameters"]}
    params.update({
        "weibao_url": src.webhook_url, "weibao_token": src.token, "event_id": "10528", "event_value": "1",
        "event_nseverity": "4", "event_severity": "High", "trigger_id": "14032", "trigger_name": "MySQL 无法连接",
        "host": "db01", "alert_subject": "Problem: MySQL 无法连接", "alert_message": "Host: db01", "event_update_status": "0",
        "event_tags": json.dumps([{"tag": "weibao_system", "value": "orga/sysa"}]), "zabbix_url": "https://zabbix.example.cn",
        "event_date": "2026.11.22", "event_time": "10:00:00",
    })
    problem = _run(params)
    assert problem["result"] == "OK"
    request = problem["request"]
    assert request["url"] == src.webhook_url and f"Authorization: Bearer {src.token}" in request["headers"]
    client = api()
    path = "/" + request["url"].split("://", 1)[1].split("/", 1)[1]
    first = client.post(path, data=request["body"], content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {src.token}")
    assert first.status_code == 200, first.content
    alarm = Alarm.objects.get()
    assert alarm.status == "firing" and alarm.severity == "high" and alarm.system == world.system_a
    assert alarm.generator_url.endswith("tr_events.php?triggerid=14032&eventid=10528")

    recovery = _run(params | {"event_value": "0", "event_id": "10529"})["request"]
    second = client.post(path, data=recovery["body"], content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {src.token}")
    assert second.status_code == 200
    alarm.refresh_from_db()
    assert alarm.status == "resolved"

    # updates (acknowledged in Zabbix) are not sent; a media type without its token refuses to run
    assert _run(params | {"event_update_status": "1"})["request"] == {"headers": []}
    node = shutil.which("node") or "node"
    broken = subprocess.run([node, "-e", HARNESS % _media()["script"], json.dumps(params | {"weibao_token": "<PUT THE SOURCE TOKEN HERE>"})],
                            capture_output=True, text=True, timeout=30)
    assert broken.returncode != 0 and "weibao_token is not set" in broken.stderr
