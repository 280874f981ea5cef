from __future__ import annotations

from typing import Any

from weibao.mail.credentials import password_encrypt
from weibao.mail.models import Mailbox, Protocol, Security


def mailbox(**kwargs: Any) -> Mailbox:
    password = kwargs.pop("password", None)
    defaults: dict[str, Any] = {
        "name": "服务台",
        "address": "support@weibao.test",
        "protocol": Protocol.SMTP,
        "imap_security": Security.NONE,
    }
    defaults.update(kwargs)
    if password is not None:
        defaults["password_encrypted"] = password_encrypt(password)
    return Mailbox.objects.create(**defaults)
