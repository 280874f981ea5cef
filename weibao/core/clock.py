"""The single source of "now", so tests can move time (time-machine patches it)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
