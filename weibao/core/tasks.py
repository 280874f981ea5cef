from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.core.outbox import outbox_deliver


@db_task(retries=0)
def outbox_deliver_task(message_id: int) -> None:
    outbox_deliver(message_id)
