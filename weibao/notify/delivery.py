"""Remote deliveries (webhooks, chat robots): claimed with compare-and-set, retried with backoff, logged.

A delivery is attempted right after it is created (a task after commit), then by `delivery_sweep`
every minute for whatever is due. Huey runs a task at most once, so the sweep is what guarantees retries.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q

from weibao.core import clock
from weibao.notify.channels.base import DeliveryError, Sender
from weibao.notify.channels.chat import ChatSender
from weibao.notify.channels.webhook import WebhookSender
from weibao.notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)

# Seconds to wait after the n-th failed attempt; after the last one the delivery is given up (failed).
BACKOFF_SECONDS = [10, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600]
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
CLAIM_TIMEOUT = timedelta(minutes=5)

SENDERS: dict[str, Sender] = {Channel.WEBHOOK: WebhookSender(), Channel.CHAT: ChatSender()}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def delivery_kick(delivery_id: int) -> None:
    """Attempt the delivery once the current transaction has committed (never inside a request's transaction)."""

    def run() -> None:
        from weibao.notify.tasks import delivery_attempt_task

        delivery_attempt_task(delivery_id)

    transaction.on_commit(run)


def delivery_attempt(delivery_id: int) -> bool:
    """Try one due delivery. Returns True when the receiver accepted it."""
    now = clock.now()
    claimed = (
        Delivery.objects.filter(id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("subscription", "team").get(id=delivery_id)
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        status_code = SENDERS[delivery.channel].send(delivery)
    except DeliveryError as exc:
        status_code, error = exc.status_code, str(exc)
    except Exception as exc:
        log.exception("delivery %s crashed", delivery)
        error = f"{type(exc).__name__}: {exc}"
    finished = clock.now()
    DeliveryAttempt.objects.create(delivery=delivery, at=finished, status_code=status_code, error=error[:2000],
                                   duration_ms=int((time.monotonic() - started) * 1000))
    if not error:
        Delivery.objects.filter(id=delivery_id).update(
            status=DeliveryStatus.DELIVERED, delivered_at=finished, last_status_code=status_code, last_error="", claimed_at=None
        )
        return True
    if delivery.attempts >= MAX_ATTEMPTS:
        log.warning("delivery %s given up after %d attempts: %s", delivery, delivery.attempts, error)
        Delivery.objects.filter(id=delivery_id).update(
            status=DeliveryStatus.FAILED, last_status_code=status_code, last_error=error[:2000], claimed_at=None
        )
        return False
    Delivery.objects.filter(id=delivery_id).update(
        next_attempt_at=finished + backoff(delivery.attempts), last_status_code=status_code,
        last_error=error[:2000], claimed_at=None,
    )
    return False


def delivery_sweep(limit: int = 200) -> int:
    now = clock.now()
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for delivery_id in ids if delivery_attempt(delivery_id))


def delivery_retry_now(*, actor: object, delivery: Delivery) -> Delivery:
    """An administrator's "retry now" on a failed or waiting delivery (admin action)."""
    with transaction.atomic():
        Delivery.objects.filter(id=delivery.id).exclude(status=DeliveryStatus.DELIVERED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=clock.now(), claimed_at=None
        )
        delivery_kick(delivery.id)
    delivery.refresh_from_db()
    return delivery
