"""Create-request API throughput and p99 under gunicorn, beside a bare Django JSON view in the same run.

    python bench/tickets_api.py                       # SQLite in a temporary data dir
    python bench/tickets_api.py --database postgresql://postgres@127.0.0.1:5432/wb_tickets_bench

Starts `weibao serve`-style gunicorn (the embedded Huey consumer included, as deployed) on 127.0.0.1 at an
ephemeral port, with a bench URLconf that adds `/bench/bare` (a JsonResponse, no database) to the project's
routes. For each concurrency (8 and 32) it POSTs /api/v1/tickets with a Bearer token for --seconds, then
GETs /bench/bare for as long (with --raw, also POSTs /bench/raw-create: the durable writes alone, hand-written
SQL), and prints requests/s and p50/p99 latency. The load generator runs on the same
machine (threads with keep-alive connections) and competes for the same CPUs: read the figures as relative.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: str, database: str | None) -> dict[str, str]:
    env = dict(os.environ, WEIBAO_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="bench.bench_settings",
               WEIBAO_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789", WEIBAO_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    env.pop("WEIBAO_QUEUE_URL", None)
    if database:
        env["WEIBAO_DATABASE_URL"] = database
    else:
        env.pop("WEIBAO_DATABASE_URL", None)
    return env


SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from weibao.demo import sla as demo_sla
demo_sla.load()  # the default policy as deployed: every new request starts its SLA clocks in the outbox
from weibao.accounts.models import Contact, Organisation, Role, User
from weibao.accounts.services import api_token_create
org, _ = Organisation.objects.get_or_create(code="bench", defaults={"name": "压测单位"})
user = User.objects.filter(username="bench_customer").first()
if user is None:
    user = User(username="bench_customer", role=Role.CUSTOMER, organisation=org, email="bench@bench.example.cn")
    user.set_password("bench-password-1"); user.save()
    Contact.objects.create(organisation=org, name="压测联系人", user=user)
print(api_token_create(actor=user, name="bench", scope="write").raw)
"""


def _setup(env: dict[str, str]) -> str:
    out = subprocess.run([PY, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def _serve(env: dict[str, str], port: int, workers: int, threads: int) -> list[subprocess.Popen[bytes]]:
    """The deployed shapes: one process with the embedded consumer, or N web processes and `weibao worker`."""
    embedded = workers == 1
    code = ("import django; django.setup()\n"
            "from weibao.config.gunicorn_app import run_gunicorn\n"
            f"run_gunicorn(host='127.0.0.1', port={port}, workers={workers}, threads={threads}, embedded={embedded})\n")
    procs = [subprocess.Popen([PY, "-c", code], env=env, cwd=ROOT)]
    if not embedded:
        procs.append(subprocess.Popen([PY, "-m", "weibao", "worker", "--threads", "2"], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return procs
        except OSError:
            time.sleep(0.3)
    for proc in procs:
        proc.kill()
    raise SystemExit("gunicorn did not start")


def _load(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str], concurrency: int,
          seconds: float) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def connect() -> http.client.HTTPConnection:
        # http.client sends a request's headers and its body in two writes. With Nagle's algorithm on, the body
        # waits for the ACK of the headers, which the server delays by up to 40 ms: every POST stalled a server
        # thread that long, capping creates at threads / 40 ms whatever the server did. Real clients (curl,
        # urllib3/requests, browsers) set TCP_NODELAY; so does this one.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def worker() -> None:
        conn = connect()
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = connect()
                continue
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), errors[0], latencies


def _pending(data_dir: str, database: str | None) -> int:
    """Outbox messages not yet delivered (the consumer's backlog), read straight from the database."""
    sql = "SELECT count(*) FROM core_outboxmessage WHERE delivered_at IS NULL"
    if database:
        import psycopg

        with psycopg.connect(database) as conn:
            row = conn.execute(sql).fetchone()
    else:
        import sqlite3

        with sqlite3.connect(os.path.join(data_dir, "weibao.sqlite3"), timeout=30) as conn:
            row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _drain(data_dir: str, database: str | None, limit: float = 300) -> tuple[int, float]:
    """Backlog at the end of a run, and the seconds until the consumer delivered all of it."""
    start = time.monotonic()
    backlog = _pending(data_dir, database)
    left = backlog
    while left and time.monotonic() - start < limit:
        time.sleep(0.25)
        left = _pending(data_dir, database)
    return backlog, time.monotonic() - start


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="postgresql://… (default: SQLite in a temporary directory)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1, help="1 = embedded shape (consumer in the web process)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--raw", action="store_true",
                        help="also POST /bench/raw-create: the durable writes alone (hand-written SQL, no DRF/ORM)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="weibao-bench-")
    env = _env(data_dir, args.database)
    token = _setup(env)
    port = _free_port()
    servers = _serve(env, port, args.workers, args.threads)
    kind = "PostgreSQL" if args.database else "SQLite"
    print(f"# tickets API bench: {kind}, gunicorn {args.workers} process(es) x {args.threads} threads, {os.cpu_count()} CPUs "
          f"(shared machine; load generator on the same CPUs), {args.seconds:.0f} s per run")
    print(f"{'endpoint':<22}{'conc':>5}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    try:
        create = json.dumps({"subject": "压测：系统登录后页面空白", "description": "点击登录后页面空白。", "urgency": "high"}).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        _load(port, "GET", "/bench/bare", None, {}, 4, 1.5)  # warm the workers
        if args.raw:  # one thread first: it makes the scratch tables
            _load(port, "POST", "/bench/raw-create", create, {"Content-Type": "application/json"}, 1, 0.3)
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            results = {}
            runs = [("POST /api/v1/tickets", "POST", "/api/v1/tickets", create, headers),
                    ("GET /bench/bare", "GET", "/bench/bare", None, {})]
            if args.raw:
                runs.append(("POST /bench/raw-create", "POST", "/bench/raw-create", create,
                             {"Content-Type": "application/json"}))
            for label, method, path, body, hdrs in runs:
                n, errors, lat = _load(port, method, path, body, hdrs, concurrency, args.seconds)
                rate = n / args.seconds
                results[label] = rate
                print(f"{label:<22}{concurrency:>5}{n:>10}{errors:>8}{rate:>9.1f}{_p(lat, 0.5):>9.1f}{_p(lat, 0.99):>9.1f}")
                if path == "/api/v1/tickets":
                    # The subscribers' work (SLA clocks, search, notices, mail) left at the end of the run: wait for
                    # it, so the bare run is not measured beside it, and report creates per second including it.
                    backlog, took = _drain(data_dir, args.database)
                    print(f"{'  outbox backlog':<22}{concurrency:>5}{backlog:>10}{'':>8}{'':>9}   delivered in {took:.1f} s"
                          f" -> {n / (args.seconds + took):.1f} creates/s with their outbox work done")
            ratio = results["POST /api/v1/tickets"] / max(results["GET /bench/bare"], 1e-9)
            print(f"{'create / bare ceiling':<22}{concurrency:>5}{'':>10}{'':>8}{ratio:>9.2f}   (goal >= 0.5)")
            if args.raw:
                raw = results["POST /bench/raw-create"] / max(results["GET /bench/bare"], 1e-9)
                print(f"{'raw-create / bare':<22}{concurrency:>5}{'':>10}{'':>8}{raw:>9.2f}   (the durable writes alone)")
        check = subprocess.run([PY, "-c", "import django; django.setup()\nfrom weibao.tickets.models import Ticket\n"
                                "numbers = list(Ticket.objects.values_list('number', flat=True))\n"
                                "print(len(numbers), len(set(numbers)))"], env=env, cwd=ROOT, capture_output=True, text=True)
        total, distinct = check.stdout.split()
        print(f"# tickets created: {total}, distinct numbers: {distinct}")
    finally:
        for proc in servers:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
