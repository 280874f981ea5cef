"""Background work of the SLA app (periodic schedules live in config/schedules.py)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.sla.clocks import clocks_recompute_calendar


@db_task()
def clocks_recompute_calendar_task(calendar_id: int) -> None:
    clocks_recompute_calendar(calendar_id)


@db_task()
def clocks_recompute_policy_task(policy_id: int) -> None:
    from weibao.sla.policies import clocks_recompute_policy

    clocks_recompute_policy(policy_id)
