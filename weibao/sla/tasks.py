"""Background work of the SLA app (periodic schedules live in config/schedules.py)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.sla.clocks import clocks_recompute_calendar


@db_task()
def clocks_recompute_calendar_task(calendar_id: int) -> None:
    clocks_recompute_calendar(calendar_id)
