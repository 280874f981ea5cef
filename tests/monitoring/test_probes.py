from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.monitoring.servers import http_server, make_certificates, server_context
from tests.personas import World
from weibao.core import clock
from weibao.monitoring.checkers import ProbeSpec, run_checks
from weibao.monitoring.models import Alarm, Probe
from weibao.monitoring.probing import heartbeat_checkin, heartbeats_check, probe_create, probes_run_round


def _run(*specs: ProbeSpec) -> list[Any]:
    return asyncio.run(run_checks(list(specs)))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_http_checks_status_keyword_and_slowness() -> None:
    with http_server() as port:
        base = f"http://127.0.0.1:{port}"
        ok, keyword_missing, error, slow, fast_enough = _run(
            ProbeSpec(1, "http", f"{base}/ok", 5, keyword="运行正常"),
            ProbeSpec(2, "http", f"{base}/ok", 5, keyword="维护中"),
            ProbeSpec(3, "http", f"{base}/error", 5),
            ProbeSpec(4, "http", f"{base}/slow", 5, max_response_ms=100),
            ProbeSpec(5, "http", f"{base}/slow", 5, max_response_ms=2000),
        )
    assert ok.state == "up" and ok.response_ms is not None
    assert keyword_missing.state == "down" and "维护中" in keyword_missing.error
    assert error.state == "down" and "HTTP 500" in error.error
    assert slow.state == "slow" and slow.response_ms >= 300 and "> 100 ms" in slow.error
    assert fast_enough.state == "up"


def test_http_timeout_and_refused_connection_are_failures() -> None:
    with http_server() as port:
        timeout, refused = _run(ProbeSpec(1, "http", f"http://127.0.0.1:{port}/slow", 0.1),
                                ProbeSpec(2, "http", f"http://127.0.0.1:{_closed_port()}/", 2))
    assert timeout.state == "down" and "timed out" in timeout.error
    assert refused.state == "down"


def test_tcp_port_open_and_closed() -> None:
    with http_server() as port:
        up, down = _run(ProbeSpec(1, "tcp", f"127.0.0.1:{port}", 2), ProbeSpec(2, "tcp", f"127.0.0.1:{_closed_port()}", 2))
    assert up.state == "up"
    assert down.state == "down" and "failed" in down.error


def test_tls_certificate_expiry_and_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_dir, short_dir = tmp_path / "long", tmp_path / "short"
    long_dir.mkdir()
    short_dir.mkdir()
    ca, cert, key = make_certificates(long_dir, days_valid=90)
    ca2, cert2, key2 = make_certificates(short_dir, days_valid=5)
    with http_server(server_context(cert, key)) as good, http_server(server_context(cert2, key2)) as expiring:
        untrusted = _run(ProbeSpec(1, "tls", f"127.0.0.1:{good}", 5))[0]
        assert untrusted.state == "down" and "certificate not valid" in untrusted.error
        bundle = tmp_path / "bundle.pem"
        bundle.write_bytes(ca.read_bytes() + ca2.read_bytes())
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        valid, soon = _run(ProbeSpec(2, "tls", f"localhost:{good}", 5, tls_warn_days=14),
                           ProbeSpec(3, "tls", f"localhost:{expiring}", 5, tls_warn_days=14))
    assert valid.state == "up" and valid.cert_expires_at is not None
    assert (valid.cert_expires_at - clock.now()).days >= 88
    assert soon.state == "down" and ("expires in 4 days" in soon.error or "expires in 5 days" in soon.error)


def test_dns_resolves_localhost_and_checks_the_expected_address() -> None:
    ok, wrong, missing = _run(ProbeSpec(1, "dns", "localhost", 5, dns_expect="127.0.0.1"),
                              ProbeSpec(2, "dns", "localhost", 5, dns_expect="10.9.9.9"),
                              ProbeSpec(3, "dns", "no-such-host.invalid", 5))
    assert ok.state == "up"
    assert wrong.state == "down" and "expected 10.9.9.9" in wrong.error
    assert missing.state == "down"


@pytest.mark.django_db
def test_failures_before_alarm_then_recovery_resolves_it(world: World) -> None:
    with http_server() as port:
        probe = probe_create(actor=None, system=world.system_a, name="门户首页", kind="http",
                             target=f"http://127.0.0.1:{port}/error", failures_before_alarm=2, interval_seconds=60).probe
        with time_machine.travel(clock.now(), tick=False) as traveller:
            assert probes_run_round() == 1
            assert Alarm.objects.count() == 0 and Probe.objects.get().consecutive_failures == 1
            assert probes_run_round() == 0  # not due again until its interval has passed
            traveller.shift(timedelta(seconds=61))
            probes_run_round()
            alarm = Alarm.objects.get()
            assert alarm.status == "firing" and alarm.probe == probe and alarm.system == world.system_a
            assert "HTTP 500" in alarm.summary
            traveller.shift(timedelta(seconds=61))
            probes_run_round()
            assert Alarm.objects.count() == 1  # still failing: the same alarm, nothing new
            Probe.objects.filter(id=probe.id).update(target=f"http://127.0.0.1:{port}/ok")
            traveller.shift(timedelta(seconds=61))
            probes_run_round()
    alarm.refresh_from_db()
    assert alarm.status == "resolved"
    assert Probe.objects.get().state == "up"


@pytest.mark.django_db
def test_missing_heartbeat_raises_an_alarm_and_a_checkin_resolves_it(world: World, api: Any) -> None:
    with time_machine.travel("2026-11-22 02:00:00Z", tick=False) as traveller:
        new = probe_create(actor=None, system=world.system_a, name="夜间备份作业", kind="heartbeat", interval_seconds=3600,
                           timeout_seconds=600, failures_before_alarm=1)
        assert new.heartbeat_token.startswith("hb_")
        traveller.shift(timedelta(minutes=50))
        assert heartbeats_check() == 0
        traveller.shift(timedelta(minutes=25))  # 75 min > 60 + 10 grace
        assert heartbeats_check() == 1
        alarm = Alarm.objects.get()
        assert alarm.status == "firing" and "no heartbeat" in alarm.summary
        assert heartbeats_check() == 0  # the missed period is judged once
        response = api().post(f"/api/v1/heartbeats/{new.heartbeat_token}")
        assert response.status_code == 200
    alarm.refresh_from_db()
    assert alarm.status == "resolved"
    assert api().post("/api/v1/heartbeats/hb_wrong").status_code == 404
    assert heartbeat_checkin(token="") is None
