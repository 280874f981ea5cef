"""Outbound webhooks: a JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>".

Receivers verify `X-Weibao-Signature: t=<unix seconds>,v1=<hex digest>` with the subscription's
secret and reject old timestamps, which stops both forgery and replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from weibao import __version__
from weibao.core import clock
from weibao.notify.channels.base import DeliveryError
from weibao.notify.models import Delivery

TIMEOUT_SECONDS = 10.0


def body_bytes(payload: dict[str, Any]) -> bytes:
    # Deterministic, so every retry sends byte-identical bodies.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookSender:
    def send(self, delivery: Delivery) -> int | None:
        subscription = delivery.subscription
        if subscription is None:
            raise DeliveryError("the subscription was removed")
        body = body_bytes(delivery.payload)
        timestamp = int(clock.now().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"Weibao/{__version__}",
            "X-Weibao-Event": delivery.kind,
            "X-Weibao-Delivery": str(delivery.id),
            "X-Weibao-Signature": signature(subscription.secret, timestamp, body),
        }
        try:
            response = httpx.post(subscription.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS,
                                  follow_redirects=False)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}", status_code=response.status_code)
        return response.status_code
