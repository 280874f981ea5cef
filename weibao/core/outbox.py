"""The outbox: record after-commit work inside the transaction, deliver it from the worker.

Usage from a service:  outbox_put(topic="ticket.event", key=str(event.id), payload={...})
Handlers register with @outbox_handler("ticket.event") (one payload per call) or
@outbox_batch_handler("ticket.event") (a list of payloads per call) and must be idempotent by key.

A delivery task claims every due message up to BATCH (not only the one it was kicked for), so under
load one pass serves many events: a batch handler reads the tickets of 100 events in one query
instead of 100. The tasks of messages already taken by an earlier pass find nothing and return.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from weibao.core import clock
from weibao.core.inserts import save_new
from weibao.core.models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
BatchHandler = Callable[[list[dict[str, Any]]], Mapping[str, Exception] | None]
# Per topic, in registration order: (handler, takes a list). Order matters: SLA clocks before notices, etc.
_handlers: dict[str, list[tuple[Callable[..., Any], bool]]] = {}
MAX_ATTEMPTS = 12
CLAIM_TIMEOUT = timedelta(minutes=5)
BATCH = 100
PASS_SECONDS = 60.0  # a pass stops taking up its claimed messages after this; the rest are given back


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _handlers.setdefault(topic, []).append((fn, False))
        return fn

    return register


def outbox_batch_handler(topic: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler called with the payloads of every message of the topic in one delivery pass.

    It returns the failures by outbox key (`payload["_key"]`): those messages are retried with backoff, the
    rest are delivered. If it raises, each message of the pass is retried alone (every handler, in order),
    so one bad message gets its own backoff and does not hold back the others.
    """
    def register(fn: BatchHandler) -> BatchHandler:
        _handlers.setdefault(topic, []).append((fn, True))
        return fn

    return register


def _run_handlers(topic: str, payloads: list[dict[str, Any]]) -> dict[str, Exception]:
    """Every handler of the topic over the payloads; the failures by key. Raises only if a batch handler does.

    A message that failed a handler is not given to the later ones (they may depend on it: a page names the
    incident the alarm opened); its retry runs them all, in order, as single deliveries always did.
    """
    failures: dict[str, Exception] = {}
    for fn, batch in _handlers.get(topic, []):
        pending = [p for p in payloads if str(p.get("_key")) not in failures]
        if not pending:
            break
        if batch:
            failures.update(fn(pending) or {})
            continue
        for payload in pending:
            try:
                fn(payload)
            except Exception as exc:  # the message is retried with backoff; its neighbours go on
                log.exception("outbox %s %s failed in %s", topic, payload.get("_key"), getattr(fn, "__qualname__", fn))
                failures.setdefault(str(payload.get("_key")), exc)
    return failures


def outbox_put(*, topic: str, key: str, payload: dict[str, Any], fresh: bool = False) -> OutboxMessage | None:
    """Add a message in the caller's transaction; a second put with the same key is ignored.

    `fresh=True` when the key cannot exist yet (the id of a row this transaction just inserted): the savepoint
    that guards a repeated put is skipped, which saves two round trips on every event.
    """
    if fresh:
        message = save_new(OutboxMessage(topic=topic, key=key, payload=payload, available_at=clock.now()))
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
    return _deliver_claimed(OutboxMessage.objects.get(id=message_id))


def _deliver_claimed(message: OutboxMessage) -> bool:
    try:
        failures = _run_handlers(message.topic, [message.payload | {"_key": message.key}])
    except Exception as exc:
        log.exception("outbox %s failed", message)
        failures = {message.key: exc}
    if failures:
        _failed(message, next(iter(failures.values())))
        return False
    OutboxMessage.objects.filter(id=message.id).update(delivered_at=clock.now(), last_error="")
    return True


def _failed(message: OutboxMessage, exc: Exception) -> None:
    delay = timedelta(seconds=min(3600, 2 ** min(message.attempts, 12)))
    OutboxMessage.objects.filter(id=message.id).update(
        claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000], available_at=clock.now() + delay
    )


def models_q_unclaimed(now: Any) -> Any:
    from django.db.models import Q

    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)


_CLAIM_SQL = (
    'UPDATE "core_outboxmessage" SET "claimed_at" = %s, "attempts" = "attempts" + 1 WHERE "id" IN ('
    'SELECT "id" FROM "core_outboxmessage" WHERE "delivered_at" IS NULL AND "available_at" <= %s AND "attempts" < %s'
    ' AND ("claimed_at" IS NULL OR "claimed_at" < %s) ORDER BY "available_at", "id" LIMIT %s)'
    ' AND "delivered_at" IS NULL AND ("claimed_at" IS NULL OR "claimed_at" < %s) RETURNING "id"'
)
_CLAIM_SQL_PG = _CLAIM_SQL.replace("LIMIT %s)", "LIMIT %s FOR UPDATE SKIP LOCKED)")


def _claim(limit: int, now: datetime | None = None) -> list[int]:
    """Take up to `limit` due, unclaimed messages, oldest first, in one statement; returns their ids.

    UPDATE … RETURNING tells this worker exactly which rows it won: a concurrent claimer's rows fail the
    outer condition (PostgreSQL re-checks it after the row lock; SKIP LOCKED avoids waiting at all), and
    SQLite runs one writer at a time. The rows' `claimed_at` is `now`: the claim's own mark.
    """
    now = now or clock.now()
    adapt = connection.ops.adapt_datetimefield_value
    stale = adapt(now - CLAIM_TIMEOUT)
    sql = _CLAIM_SQL_PG if connection.vendor == "postgresql" else _CLAIM_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(now), adapt(now), MAX_ATTEMPTS, stale, limit, stale])
        return sorted(row[0] for row in cursor.fetchall())


def outbox_deliver_pending(limit: int = BATCH) -> int:
    """One delivery pass: claim what is due (up to `limit`), run each topic's handlers once for all of it.

    Returns the number of messages delivered. A topic whose pass raised is retried message by message.
    """
    return _pass(limit)[1]


def _groups(messages: list[OutboxMessage]) -> list[tuple[str, list[OutboxMessage]]]:
    """A batch topic's messages go together; any other topic's one at a time (its handlers take one anyway)."""
    by_topic: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_topic.setdefault(message.topic, []).append(message)
    groups: list[tuple[str, list[OutboxMessage]]] = []
    for topic, group in by_topic.items():
        if any(batch for _fn, batch in _handlers.get(topic, [])):
            groups.append((topic, group))
        else:
            groups.extend((topic, [m]) for m in group)
    return groups


def _release(ids: list[int], claimed_at: datetime) -> None:
    """Give back claimed, untouched messages (the attempt did not happen) and ask for another pass.

    Only rows still under this pass's claim: one that timed out meanwhile belongs to the worker that took it
    over, and clearing it (or taking back that worker's attempt) would let a third pass run it alongside.
    """
    OutboxMessage.objects.filter(id__in=ids, delivered_at__isnull=True, claimed_at=claimed_at).update(
        claimed_at=None, attempts=F("attempts") - 1)
    _kick_many(ids[:BATCH])


def _pass(limit: int) -> tuple[int, int]:
    claimed_at = clock.now()
    ids = _claim(limit, claimed_at)
    if not ids:
        return 0, 0
    messages = list(OutboxMessage.objects.filter(id__in=ids).order_by("available_at", "id"))
    groups = _groups(messages)
    delivered = 0
    started = time.monotonic()
    for i, (topic, group) in enumerate(groups):
        if i and time.monotonic() - started > PASS_SECONDS:
            # A long pass (dictionary re-cuts, a slow SMTP server) must not sit on claims it will not reach
            # before CLAIM_TIMEOUT, when another worker would take them over and run them twice.
            _release([m.id for _t, rest in groups[i:] for m in rest], claimed_at)
            break
        if len(group) == 1:
            delivered += _deliver_claimed(group[0])
            continue
        try:
            failures = _run_handlers(topic, [m.payload | {"_key": m.key} for m in group])
        except Exception:
            log.warning("outbox: a pass of %d %r messages failed; retrying them one by one", len(group), topic,
                        exc_info=True)
            delivered += sum(1 for m in group if _deliver_claimed(m))
            continue
        for m in group:
            if m.key in failures:
                _failed(m, failures[m.key])
        done = [m.id for m in group if m.key not in failures]
        OutboxMessage.objects.filter(id__in=done).update(delivered_at=clock.now(), last_error="")
        delivered += len(done)
    return len(ids), delivered


def outbox_sweep(limit: int = 500) -> int:
    """Deliver what is due and not delivered: crashed workers, retries after backoff."""
    delivered = 0
    for _ in range(0, limit, BATCH):
        claimed, done = _pass(min(BATCH, limit))
        delivered += done
        if claimed == 0:
            break
    return delivered
