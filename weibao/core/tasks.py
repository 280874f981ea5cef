from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.core.outbox import outbox_deliver


@db_task(retries=0)
def outbox_deliver_task(message_id: int) -> None:
    outbox_deliver(message_id)


@db_task(retries=0)
def outbox_deliver_many_task(message_ids: list[int]) -> None:
    for message_id in message_ids:
        outbox_deliver(message_id)
