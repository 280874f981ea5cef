"""The scale shape on real PostgreSQL and Redis: `serve --workers 2` plus two `weibao worker` processes.

200 enqueued tasks each run exactly once, shared by both workers; the periodic scheduler fires in one
worker only; the heartbeat stays one row per minute however many processes record it.
Runs only when WEIBAO_DATABASE_URL (PostgreSQL) and WEIBAO_QUEUE_URL (Redis) are set, as in CI's second pass.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import postgres_url, redis_url
from tests.foundation.processes import REPO, Proc, children_of, free_port, wait_ready, weibao_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (postgres_url() and redis_url()),
        reason="the scale shape needs WEIBAO_DATABASE_URL=postgresql://… and WEIBAO_QUEUE_URL=redis://…",
    ),
]
TASKS = 200


@pytest.fixture
def scale_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database of its own next to the test database, a queue name of its own in Redis; both removed after."""
    import psycopg
    from huey import RedisHuey

    base = urlsplit(postgres_url() or "")
    db_name = f"{base.path.lstrip('/') or 'weibao'}_scale_{secrets.token_hex(3)}"
    admin_url = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    queue_name = f"weibao-scale-{secrets.token_hex(4)}"
    env = weibao_env(
        tmp_path,
        WEIBAO_DATABASE_URL=urlunsplit(base._replace(path=f"/{db_name}")),
        WEIBAO_QUEUE_URL=redis_url() or "",
        WEIBAO_QUEUE_NAME=queue_name,
        WEIBAO_SECRET_KEY="scale-shape-test-secret-key-0123456789abcdef",
    )
    try:
        yield env
    finally:
        RedisHuey(queue_name, url=redis_url()).storage.flush_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _run(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "tests.foundation.scale_main", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _sql(env: dict[str, str], query: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(env["WEIBAO_DATABASE_URL"]) as conn:
        cursor = conn.execute(query, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_scale_shape_runs_each_task_once_and_the_schedule_once_per_period(scale_env: dict[str, str]) -> None:
    env = scale_env
    start = time.monotonic()
    _run(env, "migrate")
    print(f"migrate: {time.monotonic() - start:.1f} s")
    _sql(env, "CREATE TABLE scale_probe (kind text NOT NULL, key text NOT NULL, pid integer NOT NULL)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    try:
        web = Proc(["serve", "--port", str(port), "--workers", "2", "--no-demo"], env)
        procs.append(web)
        _wait(lambda: _get(f"{base}/healthz") == 200, 90, "the web processes")
        assert len(children_of(web.pid)) == 2
        # no worker runs inside the web processes in this shape: nothing has beaten yet
        assert _get(f"{base}/readyz") == 503

        periodic = Proc(["worker", "--threads", "4"], env, module="tests.foundation.scale_main")
        plain = Proc(["worker", "--threads", "4", "--no-periodic"], env, module="tests.foundation.scale_main")
        procs += [periodic, plain]
        started = time.monotonic()
        wait_ready(base, periodic, timeout=90)  # the periodic worker announces itself through the queue
        worker_pids = {periodic.pid, plain.pid}

        _run(env, "enqueue", str(TASKS))
        _wait(lambda: _sql(env, "SELECT count(*) FROM scale_probe WHERE kind = 'task'")[0][0] >= TASKS, 120, "200 tasks")
        time.sleep(1)  # a duplicate would show up late
        runs = _sql(env, "SELECT key, pid FROM scale_probe WHERE kind = 'task'")
        per_task = Counter(key for key, _pid in runs)
        assert len(per_task) == TASKS and set(per_task.values()) == {1}, "a task ran more than once"
        by_worker = Counter(pid for _key, pid in runs)
        assert set(by_worker) == worker_pids, f"both workers should share the work: {by_worker}"

        # Huey's scheduler fires at its start and then every 60 s. Two workers started together, one of
        # them --no-periodic: the schedule must have fired once, not once per worker.
        _wait(lambda: _periodic_runs(env) >= 1, 30, "the periodic task")
        time.sleep(3)
        fired, elapsed = _periodic_runs(env), time.monotonic() - started
        # one scheduler: once at start, then once a minute; a second scheduler would double it
        assert fired <= int(elapsed // 60) + 1, f"the schedule fired {fired} times in {elapsed:.0f} s"
        beats = _sql(env, "SELECT period, pid FROM core_workerheartbeat")
        assert beats and all(pid in worker_pids for _period, pid in beats)
        assert _get(f"{base}/readyz") == 200

        # a second periodic worker and a burst of heartbeats from every consumer: still one row per minute
        second_periodic = Proc(["worker", "--threads", "2"], env, module="tests.foundation.scale_main")
        procs.append(second_periodic)
        _wait(lambda: _periodic_runs(env) >= fired + 1, 60, "the second scheduler")  # each scheduler fires: hence one periodic worker
        _run(env, "heartbeats", "30")
        _wait(lambda: _queue_empty(env), 60, "the heartbeat burst to drain")
        time.sleep(1)
        per_period = _sql(env, "SELECT period, count(*) FROM core_workerheartbeat GROUP BY period HAVING count(*) > 1")
        assert per_period == []
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.ctrl_c()
        for proc in procs:
            proc.wait(20)
            proc.kill()
    for proc in procs:
        assert "Traceback" not in proc.output, proc.output


def _periodic_runs(env: dict[str, str]) -> int:
    return int(_sql(env, "SELECT count(*) FROM scale_probe WHERE kind = 'periodic'")[0][0])


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def _queue_empty(env: dict[str, str]) -> bool:
    from huey import RedisHuey

    return RedisHuey(env["WEIBAO_QUEUE_NAME"], url=env["WEIBAO_QUEUE_URL"]).pending_count() == 0
