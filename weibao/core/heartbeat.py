from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from weibao.core import clock
from weibao.core.models import WorkerHeartbeat

PERIOD = timedelta(minutes=1)


def heartbeat_record(*, now: datetime | None = None) -> bool:
    """Record this period's heartbeat. Returns False when another scheduler already did."""
    now = now or clock.now()
    period = now.replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(period=period, ran_at=now, hostname=socket.gethostname(), pid=os.getpid())
    except IntegrityError:
        return False
    WorkerHeartbeat.objects.filter(period__lt=now - timedelta(days=2)).delete()
    return True


def heartbeat_last() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-period").first()


def heartbeat_is_fresh(*, now: datetime | None = None) -> bool:
    last = heartbeat_last()
    if last is None:
        return False
    now = now or clock.now()
    return (now - last.ran_at).total_seconds() <= settings.HEARTBEAT_MAX_AGE_SECONDS
