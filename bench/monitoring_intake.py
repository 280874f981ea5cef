"""Alarm intake rate: a burst of 10,000 Alertmanager alerts over real HTTP, then the same burst again
(de-duplication: nothing may change), then the recoveries — prints figures.

    /work/main/.venv/bin/python bench/monitoring_intake.py [ALERTS] [PER_DELIVERY]

Uses a throw-away data directory (SQLite) unless WEIBAO_DATABASE_URL is set. The web server is
gunicorn (`weibao serve`'s server) in a child process with 4 threads; the outbox work after each
delivery (incidents, paging) is queued for the worker and not part of the intake figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _alerts(n: int, status: str) -> list[dict[str, object]]:
    ends = "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T02:00:00Z"
    return [{"status": status, "labels": {"alertname": "BenchDown", "instance": f"host{i:05d}:9100", "severity": "warning"},
             "annotations": {"summary": f"host{i:05d} 无响应"}, "startsAt": "2026-11-22T01:00:00Z", "endsAt": ends,
             "fingerprint": f"{i:016x}"} for i in range(n)]


def _burst(client: httpx.Client, url: str, token: str, alerts: list[dict[str, object]], per: int, status: str) -> tuple[float, int]:
    bodies = [json.dumps({"version": "4", "status": status, "groupKey": f"g{i}", "receiver": "weibao",
                          "alerts": alerts[i:i + per]}).encode() for i in range(0, len(alerts), per)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.perf_counter()

    def send(body: bytes) -> int:
        response = client.post(url, content=body, headers=headers)
        response.raise_for_status()
        return int(response.json()["changed"])

    with ThreadPoolExecutor(4) as pool:
        changed = sum(pool.map(send, bodies))
    return time.perf_counter() - started, changed


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    data_dir = tempfile.mkdtemp(prefix="weibao-bench-")
    env = os.environ | {"WEIBAO_DATA_DIR": data_dir, "WEIBAO_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                        "WEIBAO_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "weibao.config.settings"}
    if "WEIBAO_QUEUE_URL" not in os.environ:
        env["WEIBAO_QUEUE_URL"] = f"sqlite:///{data_dir}/queue.sqlite3"
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from weibao.monitoring.models import Alarm
    from weibao.monitoring.sources import alarm_source_create

    new = alarm_source_create(actor=None, kind="alertmanager", name=f"bench-{time.time_ns()}")
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--threads", "4", "--workers", "1",
                               "--log-level", "warning", "weibao.config.wsgi:application"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}/api/v1/alarm-sources/{new.source.public_id}/webhook"
    try:
        with httpx.Client(timeout=60) as client:
            for _ in range(100):
                try:
                    client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            firing, resolved = _alerts(total, "firing"), _alerts(total, "resolved")
            seconds, changed = _burst(client, url, new.token, firing, per, "firing")
            print(f"firing burst:   {total} alerts in {total // per} deliveries: {seconds:.2f} s = {total / seconds:,.0f} alerts/s "
                  f"({changed} alarms opened)")
            open_alarms = Alarm.objects.filter(source=new.source).count()
            seconds, changed = _burst(client, url, new.token, firing, per, "firing")
            after = Alarm.objects.filter(source=new.source).count()
            print(f"duplicate burst: {seconds:.2f} s = {total / seconds:,.0f} alerts/s; changed {changed}; alarms {open_alarms} -> {after} "
                  f"({'de-duplicated' if changed == 0 and after == open_alarms == total else 'DE-DUPLICATION FAILED'})")
            seconds, changed = _burst(client, url, new.token, resolved, per, "resolved")
            still = Alarm.objects.filter(source=new.source).exclude(status="resolved").count()
            print(f"resolved burst: {seconds:.2f} s = {total / seconds:,.0f} alerts/s ({changed} resolved, {still} still open)")
    finally:
        server.terminate()
        server.wait(10)
    print(f"database: {django.db.connection.vendor}; machine: {os.cpu_count()} CPUs shared with other work (figures vary with contention)")


if __name__ == "__main__":
    main()
