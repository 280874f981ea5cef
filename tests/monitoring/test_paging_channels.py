"""Paging channels against local servers: the chat robot (through apprise) and the phone-call/SMS gateway
webhook post to a loopback HTTP server; ICMP ping is checked against 127.0.0.1 where this machine allows it."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests import factories as f
from tests.monitoring.factories import make_source, post_webhook
from tests.personas import World
from weibao.core.errors import ValidationFailed
from weibao.monitoring.checkers import ProbeSpec, run_checks
from weibao.monitoring.config import notification_policy_save, rota_save
from weibao.monitoring.models import Alarm, Page


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Recorder.received.append((self.path, json.loads(body or b"{}")))
        self.send_response(_Recorder.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiver(status: int = 200) -> Iterator[int]:
    _Recorder.received, _Recorder.status = [], status
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _fire(world: World, capture: Any, fp: str = "pg1") -> Alarm:
    src = make_source(system=world.system_a)
    with capture(execute=True):
        post_webhook(src, {"version": "4", "status": "firing", "alerts": [{
            "status": "firing", "fingerprint": fp, "startsAt": "2026-11-22T01:00:00Z",
            "labels": {"alertname": "DiskFull", "severity": "critical"}, "annotations": {"summary": "磁盘已满"}}]})
    return Alarm.objects.get(fingerprint=fp)


def _engineer() -> Any:
    return f.UserFactory(username="zhao", role="engineer", phone="13800000001", email="zhao@example.com")


pytestmark = pytest.mark.django_db


def test_phone_call_webhook_posts_the_page_to_the_gateway(world: World, django_capture_on_commit_callbacks: Any) -> None:
    eng = _engineer()
    rota = rota_save(actor=None, name="值班", members=[eng.id], start_date=date(2026, 11, 2), handover_time=time(9, 0))
    with receiver() as port:
        notification_policy_save(actor=None, severity="critical", rota=rota, channels=["phone"],
                                phone_webhook=f"http://127.0.0.1:{port}/call")
        alarm = _fire(world, django_capture_on_commit_callbacks)
        received = list(_Recorder.received)
    assert [path for path, _body in received] == ["/call"]
    body = received[0][1]
    assert body["channel"] == "phone" and body["to"] == "13800000001" and body["user"] == "zhao"
    assert "磁盘已满" in body["text"] and "/staff/monitoring/ack/" in body["ack_url"]
    page = Page.objects.get(alarm=alarm)
    assert "phone:ok" in page.outcome


def test_a_failing_gateway_is_recorded_on_the_page_and_other_channels_still_go(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    from django.core import mail

    eng = _engineer()
    rota = rota_save(actor=None, name="值班", members=[eng.id], start_date=date(2026, 11, 2))
    with receiver(status=503) as port:
        notification_policy_save(actor=None, severity="critical", rota=rota, channels=["sms", "email"],
                                phone_webhook=f"http://127.0.0.1:{port}/sms")
        alarm = _fire(world, django_capture_on_commit_callbacks)
        assert len(_Recorder.received) == 1
    outcome = Page.objects.get(alarm=alarm).outcome
    assert "sms:HTTPStatusError" in outcome and "email:ok" in outcome
    assert mail.outbox[-1].to == ["zhao@example.com"]


def test_chat_robot_posts_through_apprise_to_the_robot_url(world: World, django_capture_on_commit_callbacks: Any) -> None:
    eng = _engineer()
    rota = rota_save(actor=None, name="值班", members=[eng.id], start_date=date(2026, 11, 2))
    with receiver() as port:
        # DingTalk/WeCom/Feishu robots are public services; apprise's generic JSON webhook stands in for them here
        notification_policy_save(actor=None, severity="critical", rota=rota, channels=["dingtalk"],
                                chat_url=f"json://127.0.0.1:{port}/robot")
        alarm = _fire(world, django_capture_on_commit_callbacks)
        received = list(_Recorder.received)
    assert [path for path, _body in received] == ["/robot"]
    message = received[0][1]
    assert "DiskFull" in message["title"] and "磁盘已满" in message["message"] and "/staff/monitoring/ack/" in message["message"]
    assert "dingtalk:ok" in Page.objects.get(alarm=alarm).outcome


def test_channel_settings_are_checked_before_anything_is_saved(world: World) -> None:
    eng = _engineer()
    rota = rota_save(actor=None, name="值班", members=[eng.id], start_date=date(2026, 11, 2))
    for bad in ({"channels": ["pager"]}, {"channels": ["wecom"]}, {"channels": ["phone"], "phone_webhook": "ftp://x"}):
        with pytest.raises(ValidationFailed):
            notification_policy_save(actor=None, severity="critical", rota=rota, **bad)
    with pytest.raises(ValidationFailed):
        rota_save(actor=None, name="值班", members=[eng.id], start_date=date(2026, 11, 2))  # the name is taken
    with pytest.raises(ValidationFailed):
        rota_save(actor=None, name="客户值班", members=[world.users["customer_a"].id], start_date=date(2026, 11, 2))


def _ping_permitted() -> str:
    binary = shutil.which("ping")
    if binary is None:
        return "no ping binary on this machine"
    result = subprocess.run([binary, "-c", "1", "-W", "1", "127.0.0.1"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"ping 127.0.0.1 is not permitted here: {(result.stderr or result.stdout).strip()[:100]}"
    return ""


@pytest.mark.django_db(False)
def test_ping_probe_against_loopback() -> None:
    reason = _ping_permitted()
    if reason:
        pytest.skip(reason)
    up, down = asyncio.run(run_checks([ProbeSpec(1, "ping", "127.0.0.1", 2), ProbeSpec(2, "ping", "no-such-host.invalid", 1)]))
    assert up.state == "up" and up.response_ms is not None
    assert down.state == "down" and down.error
