"""The interface every remote channel implements."""

from __future__ import annotations

from typing import Protocol

from weibao.notify.models import Delivery


class DeliveryError(Exception):
    """The receiver did not accept the message; the attempt is logged and retried later."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Sender(Protocol):
    def send(self, delivery: Delivery) -> int | None:
        """Deliver once. Return the receiver's HTTP status when known; raise DeliveryError on failure."""
        ...
