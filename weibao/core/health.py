"""Readiness checks shared by /readyz and `weibao check`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import connection

from weibao.core import clock
from weibao.core.heartbeat import heartbeat_last


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    name: str
    level: Level
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        vendor = connection.vendor
        return CheckResult("database", Level.OK, f"{vendor} reachable")
    except Exception as exc:  # noqa: BLE001 - any failure is a FAIL line, not a crash
        return CheckResult("database", Level.FAIL, f"{type(exc).__name__}: {exc}")


def check_queue() -> CheckResult:
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
        return CheckResult("queue", Level.OK, f"{type(HUEY).__name__} reachable, {pending} pending")
    except Exception as exc:  # noqa: BLE001
        return CheckResult("queue", Level.FAIL, f"{type(exc).__name__}: {exc}")


def check_heartbeat() -> CheckResult:
    try:
        last = heartbeat_last()
    except Exception as exc:  # noqa: BLE001
        return CheckResult("worker heartbeat", Level.FAIL, f"{type(exc).__name__}: {exc}")
    if last is None:
        return CheckResult("worker heartbeat", Level.WARN, "no heartbeat yet: is a worker with periodic tasks running?")
    age = (clock.now() - last.ran_at).total_seconds()
    if age > settings.HEARTBEAT_MAX_AGE_SECONDS:
        return CheckResult("worker heartbeat", Level.FAIL, f"last heartbeat {int(age)} s ago on {last.hostname}")
    return CheckResult("worker heartbeat", Level.OK, f"{int(age)} s ago on {last.hostname} (pid {last.pid})")


def ready() -> tuple[bool, list[CheckResult]]:
    results = [check_database(), check_queue(), check_heartbeat()]
    return all(r.level == Level.OK for r in results), results
