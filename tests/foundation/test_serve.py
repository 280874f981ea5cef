"""`weibao serve` on a fresh data dir: migrations, demo data, embedded worker, sign-in over HTTP, Ctrl-C."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.foundation.processes import Proc, alive, children_of, free_port, wait_ready, weibao_env
from weibao.demo import DEMO_PASSWORD

pytestmark = pytest.mark.slow


def _sign_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "登录维保" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    response = client.post("/accounts/login/", data={"username": username, "password": password,
                                                     "csrfmiddlewaretoken": token.group(1)}, headers={"Referer": f"{base}/accounts/login/"})
    assert response.status_code == 302, response.text
    return client


def test_serve_starts_fresh_signs_in_stops_on_ctrl_c_and_restarts(tmp_path: Path) -> None:
    env = weibao_env(tmp_path, WEIBAO_QUEUE_WORKERS="2")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = Proc(["serve", "--port", str(port)], env)
    try:
        wait_ready(base, proc)
        out = proc.output
        assert f"Weibao is starting at {base}/" in out
        assert f"password for all: {DEMO_PASSWORD}" in out
        for username in ("admin", "manager", "eng_zhao", "hz_admin", "hz_user"):
            assert re.search(rf"^\s+{username}\s", out, re.M), username
        assert (tmp_path / "weibao.sqlite3").exists() and (tmp_path / "secret_key").exists()

        ready = httpx.get(f"{base}/readyz").json()
        worker_pid = int(re.search(r"pid (\d+)", ready["checks"]["worker heartbeat"]["detail"]).group(1))  # type: ignore[union-attr]
        assert worker_pid in children_of(proc.pid)  # the heartbeat came from the embedded consumer in the web worker

        engineer = _sign_in(base, "eng_zhao", DEMO_PASSWORD)
        dashboard = engineer.get("/", follow_redirects=True)
        assert dashboard.status_code == 200 and "工作台" in dashboard.text and "杭州市数据资源管理局" in dashboard.text
        customer = _sign_in(base, "hz_user", DEMO_PASSWORD)
        portal = customer.get("/portal/")
        assert portal.status_code == 200 and "政务数据共享交换平台" in portal.text and "生产调度管理系统" not in portal.text
        assert customer.get("/static/weibao/weibao.css").status_code == 200  # static files served without a web server

        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "manager", "password": DEMO_PASSWORD}).json()["token"]
        systems = httpx.get(f"{base}/api/v1/systems", headers={"Authorization": f"Bearer {token}"})
        assert systems.status_code == 200 and len(systems.json()["results"]) == 4

        processes = [proc.pid, *children_of(proc.pid)]
        proc.ctrl_c()
        code = proc.wait(timeout=20)
        assert code == 0, proc.output
        assert not any(alive(pid) for pid in processes), "a process outlived Ctrl-C"
        assert "Traceback" not in proc.output, proc.output
    finally:
        proc.kill()

    # a second start on the same data: no demo again, same secret key and database; SIGTERM as a service manager sends
    second = Proc(["serve", "--port", str(port)], env)
    try:
        wait_ready(base, second)
        assert "Demo logins" not in second.output
        _sign_in(base, "admin", DEMO_PASSWORD)
        children = children_of(second.pid)
        second.popen.terminate()
        assert second.wait(20) == 0, second.output
        assert not any(alive(pid) for pid in children)
    finally:
        second.kill()
