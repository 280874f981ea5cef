from __future__ import annotations

from huey.contrib.djhuey import db_task

from weibao.core.outbox import BATCH, outbox_deliver_pending


@db_task(retries=0)
def outbox_deliver_task(message_id: int) -> None:
    # Kicked for one message, it delivers every due one (that one included, unless an earlier pass took it).
    outbox_deliver_pending()


@db_task(retries=0)
def outbox_deliver_many_task(message_ids: list[int]) -> None:
    outbox_deliver_pending(max(len(message_ids), BATCH))
