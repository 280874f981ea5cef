"""Embedded shape: start-up time to /readyz 200 and resident memory of `weibao serve` (master + worker).

Run from the repository root:  python bench/serve_memory.py [--requests 1000] [--concurrency 4]
Prints the figures; the goals (issue 2) are <= 5 s to ready and <= 300 MB resident.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.foundation.processes import Proc, children_of, free_port, pss_kib, rss_kib, wait_ready, weibao_env


def _rss(proc: Proc) -> tuple[float, list[float], float]:
    pids = [proc.pid, *children_of(proc.pid)]
    each = [rss_kib(pid) / 1024 for pid in pids]
    return sum(each), each, sum(pss_kib(pid) for pid in pids) / 1024


def _start(data_dir: Path, port: int) -> tuple[Proc, float]:
    proc = Proc(["serve", "--port", str(port)], weibao_env(data_dir))
    return proc, wait_ready(f"http://127.0.0.1:{port}", proc, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="weibao-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    proc, first = _start(data_dir, port)  # fresh: migrations + demo data
    password = re.search(r"password for all: (\S+)\)", proc.output).group(1)  # type: ignore[union-attr]
    proc.ctrl_c()
    proc.wait(30)
    proc.kill()
    proc, again = _start(data_dir, port)  # an ordinary restart
    try:
        print(f"time to /readyz 200, first start (migrate + demo data): {first:.2f} s")
        print(f"time to /readyz 200, restart:                          {again:.2f} s   (goal <= 5 s)")
        total, each, pss = _rss(proc)
        print(f"resident after start-up: {total:.1f} MB RSS  (master + worker: {', '.join(f'{m:.1f}' for m in each)}); "
              f"{pss:.1f} MB PSS")

        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "manager", "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        system_ids = [s["id"] for s in httpx.get(f"{base}/api/v1/systems", headers=headers).json()["results"]]
        paths = ["/api/v1/systems", "/api/v1/organisations", "/api/v1/contracts", "/api/v1/contacts",
                 *[f"/api/v1/systems/{sid}/entitlement" for sid in system_ids]]

        def hit(i: int, client: httpx.Client) -> int:
            return client.get(paths[i % len(paths)], headers=headers).status_code

        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(args.concurrency)]
        start = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            codes = list(pool.map(lambda i: hit(i, clients[i % args.concurrency]), range(args.requests)))
        elapsed = time.monotonic() - start
        bad = sum(1 for c in codes if c != 200)
        total_after, each_after, pss_after = _rss(proc)
        print(f"{args.requests} API requests ({args.concurrency} at a time): {elapsed:.2f} s, "
              f"{args.requests / elapsed:.0f} req/s, {bad} not 200")
        print(f"resident after the requests: {total_after:.1f} MB RSS  (master + worker: "
              f"{', '.join(f'{m:.1f}' for m in each_after)}); {pss_after:.1f} MB PSS   (goal <= 300 MB)")
        for c in clients:
            c.close()
    finally:
        proc.ctrl_c()
        proc.wait(30)
        proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
