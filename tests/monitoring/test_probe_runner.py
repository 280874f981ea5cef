"""The probe runner: the pooled HTTP client (keep-alive, redirects, chunked and large bodies, charsets) and
a round's database work (fixed statements per round, history only for failures and changes of state)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from weibao.core import clock
from weibao.monitoring.checkers import ProbeSpec, run_checks
from weibao.monitoring.models import Alarm, Probe, ProbeResult
from weibao.monitoring.probing import probe_create, probes_run_round


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0
    lock = threading.Lock()

    def setup(self) -> None:
        with _KeepAlive.lock:
            _KeepAlive.connections += 1
        super().setup()

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/moved":
            self._send(302, b"", Location="/ok")
        elif self.path == "/loop":
            self._send(302, b"", Location="/loop")
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first part, ", "第二段 正常".encode()):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/big":
            self._send(200, b"x" * (3 * 1024 * 1024) + b"NEEDLE")
        elif self.path == "/gbk":
            self._send(200, "系统正常".encode("gbk"), "text/html; charset=gb2312")
        elif self.path == "/host":
            self._send(200, self.headers["Host"].encode())
        else:
            self._send(500 if self.path == "/error" else 200, b"OK" if self.path != "/error" else b"boom")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def keepalive_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _KeepAlive.connections = 0
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _run(specs: list[ProbeSpec], concurrency: int = 200) -> list[Any]:
    return asyncio.run(run_checks(specs, concurrency=concurrency))


def test_probes_of_one_origin_share_keep_alive_connections() -> None:
    with keepalive_server() as port:
        outcomes = _run([ProbeSpec(i, "http", f"http://127.0.0.1:{port}/ok/{i}", 5, keyword="OK") for i in range(60)],
                        concurrency=4)
        opened = _KeepAlive.connections
    assert all(o.state == "up" for o in outcomes), [o.error for o in outcomes if not o.ok]
    assert [o.probe_id for o in outcomes] == list(range(60))  # outcomes come back in the order of the specs
    assert opened <= 4  # 60 requests over at most one connection per worker


def test_redirects_chunked_large_and_gbk_bodies() -> None:
    with keepalive_server() as port:
        base = f"http://127.0.0.1:{port}"
        moved, loop, chunked, big, big_no_kw, gbk, host = _run([
            ProbeSpec(1, "http", f"{base}/moved", 5, keyword="OK"),
            ProbeSpec(2, "http", f"{base}/loop", 5),
            ProbeSpec(3, "http", f"{base}/chunked", 5, keyword="第二段"),
            ProbeSpec(4, "http", f"{base}/big", 5, keyword="NEEDLE"),
            ProbeSpec(5, "http", f"{base}/big", 5),
            ProbeSpec(6, "http", f"{base}/gbk", 5, keyword="系统正常"),
            ProbeSpec(7, "http", f"{base}/host", 5, keyword=f"127.0.0.1:{port}"),
        ])
    assert moved.state == "up"
    assert loop.state == "down" and "redirects" in loop.error
    assert chunked.state == "up"
    # only the first MiB is searched: a keyword beyond it is reported missing rather than read without bound
    assert big.state == "down" and "NEEDLE" in big.error
    assert big_no_kw.state == "up"
    assert gbk.state == "up"  # gb2312 is decoded as gb18030
    assert host.state == "up"


def test_server_closing_connections_and_bad_urls_are_failures_not_crashes() -> None:
    with keepalive_server() as port:
        good, bad_scheme = _run([ProbeSpec(1, "http", f"http://127.0.0.1:{port}/ok", 5),
                                 ProbeSpec(2, "http", "ftp://127.0.0.1/", 5)])
    assert good.state == "up"
    assert bad_scheme.state == "down" and "unsupported URL" in bad_scheme.error
    (refused,) = _run([ProbeSpec(3, "http", f"http://127.0.0.1:{port}/ok", 2)])  # the server is gone
    assert refused.state == "down" and "failed" in refused.error


@pytest.mark.django_db
def test_a_round_writes_in_fixed_statements_and_keeps_history_only_for_failures_and_changes(world: World) -> None:
    with keepalive_server() as port, time_machine.travel(clock.now(), tick=False) as traveller:
        def make(count: int, path: str, first: int) -> None:
            for i in range(first, first + count):
                probe_create(actor=None, system=world.system_a, name=f"p{i}", kind="http",
                             target=f"http://127.0.0.1:{port}{path}", failures_before_alarm=1, interval_seconds=60)

        def round_queries() -> int:
            traveller.shift(timedelta(seconds=61))
            with CaptureQueriesContext(connection) as ctx:
                probes_run_round()
            return len(ctx.captured_queries)

        make(2, "/ok", 0)
        make(1, "/error", 100)
        small = round_queries()
        Probe.objects.all().delete()
        Alarm.objects.all().delete()
        make(20, "/ok", 200)
        make(10, "/error", 300)
        large = round_queries()
        assert large == small
        assert Alarm.objects.filter(status="firing").count() == 10
        assert ProbeResult.objects.filter(state="down").count() == 10
        assert ProbeResult.objects.filter(state="up").count() == 20  # unknown → up is a change of state

        # a healthy round writes no history; the failing probes write one row each, and open no new alarm
        before = ProbeResult.objects.count()
        round_queries()
        assert ProbeResult.objects.count() == before + 10
        assert Alarm.objects.count() == 10
        up = Probe.objects.filter(target__endswith="/ok")
        assert {p.state for p in up} == {"up"} and all(p.last_response_ms is not None for p in up)
