"""WEIBAO_QUEUE_URL=postgresql://… : Huey's SQL storage on PostgreSQL carries tasks between processes."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import postgres_url
from tests.foundation.processes import REPO, Proc, weibao_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_url(), reason="needs WEIBAO_DATABASE_URL=postgresql://… for a queue database"),
]


def test_a_worker_consumes_the_postgresql_queue(tmp_path: Path) -> None:
    import psycopg

    base = urlsplit(postgres_url() or "")
    db_name = f"weibao_queue_{secrets.token_hex(3)}"
    admin_url = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    queue_url = urlunsplit(base._replace(path=f"/{db_name}"))
    env = weibao_env(tmp_path, WEIBAO_QUEUE_URL=queue_url)
    worker: Proc | None = None
    try:
        subprocess.run([sys.executable, "-m", "weibao", "migrate"], cwd=REPO, env=env, check=True, capture_output=True)
        # Nothing has run yet: no heartbeat, and the queue tables exist in PostgreSQL once the storage opens.
        before = subprocess.run([sys.executable, "-m", "weibao", "check"], cwd=REPO, env=env, capture_output=True, text=True)
        assert "no heartbeat yet" in before.stdout
        assert "OK    queue" in before.stdout
        worker = Proc(["worker", "--threads", "2"], env)
        # The worker enqueues a heartbeat at start; it reaches the database only through the PostgreSQL queue.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            out = subprocess.run([sys.executable, "-m", "weibao", "check"], cwd=REPO, env=env, capture_output=True, text=True)
            if "OK    worker heartbeat" in out.stdout:
                break
            time.sleep(1)
        else:
            pytest.fail(f"no heartbeat through the PostgreSQL queue:\n{out.stdout}\n{worker.output}")
        with psycopg.connect(queue_url) as conn:
            tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            pending = conn.execute("SELECT count(*) FROM task").fetchone()
        assert {"task", "schedule", "kv"} <= tables
        assert pending is not None and pending[0] == 0  # consumed, not left behind
    finally:
        if worker is not None:
            worker.ctrl_c()
            if worker.wait(20) is None:
                worker.kill()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
