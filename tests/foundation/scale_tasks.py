"""Test-only Huey tasks for the scale-shape test. Loaded only by tests/foundation/scale_main.py, never by the product.

Each run inserts a row into `scale_probe`, a table the test creates itself, so duplicates stay visible.
"""

from __future__ import annotations

import os
from typing import Any

from django.db import connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(context=True)
def scale_probe_task(n: int, task: Any = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO scale_probe (kind, key, pid) VALUES ('task', %s, %s)", [task.id, os.getpid()])


@db_periodic_task(crontab(minute="*"))
def scale_probe_periodic_task() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scale_probe (kind, key, pid) VALUES ('periodic', to_char(date_trunc('minute', now() AT TIME ZONE 'UTC'), "
            "'YYYY-MM-DD HH24:MI'), %s)",
            [os.getpid()],
        )
