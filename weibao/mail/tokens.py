"""Per-request reply addresses: support+t123-<hmac>@vendor.cn. The HMAC stops guessing other requests.

Lowercase hex only, because some mail servers lowercase the local part.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_TOKEN = re.compile(r"\+t(\d{1,18})-([0-9a-f]{12})@", re.IGNORECASE)


def _sign(ticket_id: int) -> str:
    key = hashlib.sha256(b"weibao.mail.reply:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:12]


def reply_address(base_address: str, ticket_id: int) -> str:
    local, _, domain = base_address.partition("@")
    return f"{local.split('+', 1)[0]}+t{ticket_id}-{_sign(ticket_id)}@{domain}"


def ticket_id_from_address(address: str) -> int | None:
    """The request a reply address names, or None when there is none or its signature is wrong."""
    m = _TOKEN.search(address or "")
    if not m:
        return None
    ticket_id = int(m.group(1))
    return ticket_id if hmac.compare_digest(_sign(ticket_id), m.group(2).lower()) else None
