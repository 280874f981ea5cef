"""The outbox: record after-commit work inside the transaction, deliver it from the worker.

Usage from a service:  outbox_put(topic="ticket.event", key=str(event.id), payload={...})
Handlers register with @outbox_handler("ticket.event") and must be idempotent by key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from weibao.core import clock
from weibao.core.models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = {}
MAX_ATTEMPTS = 12
CLAIM_TIMEOUT = timedelta(minutes=5)


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _handlers.setdefault(topic, []).append(fn)
        return fn

    return register


def outbox_put(*, topic: str, key: str, payload: dict[str, Any], fresh: bool = False) -> OutboxMessage | None:
    """Add a message in the caller's transaction; a second put with the same key is ignored.

    `fresh=True` when the key cannot exist yet (the id of a row this transaction just inserted): the savepoint
    that guards a repeated put is skipped, which saves two round trips on every event.
    """
    if fresh:
        message = OutboxMessage.objects.create(topic=topic, key=key, payload=payload, available_at=clock.now())
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(topic=topic, key=key, payload=payload, available_at=clock.now())
        except IntegrityError:
            return None
    transaction.on_commit(lambda: _kick(message.id))
    return message


def outbox_put_many(*, topic: str, items: list[tuple[str, dict[str, Any]]]) -> list[OutboxMessage]:
    """Add many messages with new keys in one INSERT (the caller's transaction); one task per 100 after commit.

    For writers whose keys cannot exist yet (ids of rows inserted in the same transaction): a
    duplicate key raises IntegrityError and rolls the caller back, it is not silently skipped.
    """
    if not items:
        return []
    now = clock.now()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(topic=topic, key=key, payload=payload, available_at=now) for key, payload in items
    )
    ids = [m.id for m in messages]
    transaction.on_commit(lambda: _kick_many(ids))
    return messages


def _kick_many(ids: list[int]) -> None:
    from weibao.core.tasks import outbox_deliver_many_task

    for i in range(0, len(ids), 100):
        outbox_deliver_many_task(ids[i:i + 100])


def _kick(message_id: int) -> None:
    from weibao.core.tasks import outbox_deliver_task

    outbox_deliver_task(message_id)


def outbox_deliver(message_id: int) -> bool:
    """Claim one message (compare-and-set) and run its handlers. Returns True when delivered."""
    now = clock.now()
    claimed = OutboxMessage.objects.filter(
        id=message_id, delivered_at__isnull=True, available_at__lte=now
    ).filter(models_q_unclaimed(now)).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(id=message_id)
    try:
        for handler in _handlers.get(message.topic, []):
            handler(message.payload | {"_key": message.key})
    except Exception as exc:
        log.exception("outbox %s failed", message)
        delay = timedelta(seconds=min(3600, 2 ** min(message.attempts, 12)))
        OutboxMessage.objects.filter(id=message_id).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000], available_at=clock.now() + delay
        )
        return False
    OutboxMessage.objects.filter(id=message_id).update(delivered_at=clock.now(), last_error="")
    return True


def models_q_unclaimed(now: Any) -> Any:
    from django.db.models import Q

    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)


def outbox_sweep(limit: int = 500) -> int:
    """Deliver what is due and not delivered: crashed workers, retries after backoff."""
    now = clock.now()
    ids = list(
        OutboxMessage.objects.filter(delivered_at__isnull=True, available_at__lte=now, attempts__lt=MAX_ATTEMPTS)
        .filter(models_q_unclaimed(now))
        .order_by("available_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for message_id in ids if outbox_deliver(message_id))
