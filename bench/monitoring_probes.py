"""Probe capacity: HTTP probes per second against a local HTTP server, sustained over several rounds — prints figures.

    /work/main/.venv/bin/python bench/monitoring_probes.py [PROBES_PER_ROUND] [ROUNDS] [CONCURRENCY]

The server is a minimal asyncio HTTP/1.1 responder in a child process (so it does not share our GIL);
the probes run through the same `run_checks` (asyncio worker tasks + the pooled h11 client) the worker uses.
The second set of figures are whole rounds (`probes_run_round`: due query, checks, last result, history
rows for failures, alarms) on a throw-away SQLite (or WEIBAO_DATABASE_URL), 2 % of the probes failing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nOK"


def _serve(port: int, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def main() -> None:
    per_round = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    port = 19000 + os.getpid() % 1000
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(10)
    from weibao.monitoring.checkers import ProbeSpec, run_checks

    specs = [ProbeSpec(i, "http", f"http://127.0.0.1:{port}/health/{i}", 10, expected_status=200, keyword="OK")
             for i in range(per_round)]
    try:
        total, failed, started = 0, 0, time.perf_counter()
        for r in range(rounds):
            t = time.perf_counter()
            outcomes = asyncio.run(run_checks(specs, concurrency=concurrency))
            took = time.perf_counter() - t
            bad = sum(1 for o in outcomes if not o.ok)
            total, failed = total + len(outcomes), failed + bad
            print(f"round {r + 1}: {len(outcomes)} HTTP probes in {took:.2f} s = {len(outcomes) / took:,.0f} probes/s ({bad} failed)")
        elapsed = time.perf_counter() - started
        print(f"sustained: {total} probes in {elapsed:.2f} s = {total / elapsed:,.0f} HTTP probes/s, {failed} failed, "
              f"concurrency {concurrency}")

        os.environ.update({"WEIBAO_DATA_DIR": tempfile.mkdtemp(prefix="weibao-bench-"), "WEIBAO_LOG_LEVEL": "WARNING",
                           "WEIBAO_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                           "DJANGO_SETTINGS_MODULE": "weibao.config.settings"})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from weibao.accounts.models import Organisation
        from weibao.customers.models import System
        from weibao.monitoring.models import Probe
        from weibao.monitoring.probing import probes_run_round

        org = Organisation.objects.create(name="压测客户", code="bench")
        system = System.objects.create(organisation=org, name="压测系统", code="bench")
        failing = max(1, per_round // 50)  # 2 % fail (keyword missing): exercises history rows and alarms
        Probe.objects.bulk_create([Probe(system=system, name=f"p{i}", kind="http", target=f"http://127.0.0.1:{port}/h/{i}",
                                         keyword="MISSING" if i < failing else "OK", interval_seconds=60, failures_before_alarm=2)
                                   for i in range(per_round)])
        from datetime import timedelta

        from weibao.core import clock
        from weibao.monitoring.models import Alarm, ProbeResult

        ran_total, started = 0, time.perf_counter()
        for r in range(rounds):
            t = time.perf_counter()
            # each round runs one minute later, so every probe is due again
            ran = probes_run_round(now=clock.now() + timedelta(seconds=61 * (r + 1)), concurrency=concurrency)
            took = time.perf_counter() - t
            ran_total += ran
            print(f"with the database, round {r + 1}: {ran} probes (checks + state, history, alarms) in {took:.2f} s "
                  f"= {ran / took:,.0f} probes/s")
        elapsed = time.perf_counter() - started
        print(f"with the database, sustained: {ran_total} probes in {elapsed:.2f} s = {ran_total / elapsed:,.0f} probes/s; "
              f"{ProbeResult.objects.count()} history rows, {Alarm.objects.count()} alarms ({failing} failing probes)")
    finally:
        server.terminate()
    print(f"machine: {os.cpu_count()} CPUs shared with other work; load average {os.getloadavg()[0]:.1f} (figures vary with contention)")


if __name__ == "__main__":
    main()
