from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.notify.delivery import delivery_attempt


@db_task(retries=0)
def delivery_attempt_task(delivery_id: int) -> None:
    delivery_attempt(delivery_id)
