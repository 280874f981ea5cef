"""Direct SMTP intake (`weibao smtpd`): our MX, or a relay's next hop, hands mail straight to us.

250 is answered only after the message is stored, so an accepted message is never lost; a storage
failure answers 451 and the sending server retries later. Unknown recipients are refused at RCPT.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections

from weibao.mail.lookups import IngestLookups
from weibao.mail.models import Mailbox, Source
from weibao.mail.services import mail_ingest

log = logging.getLogger(__name__)


def mailbox_for_address(address: str) -> Mailbox | None:
    """support+anything@vendor.cn is support@vendor.cn (reply tokens ride on plus-addressing)."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if not local or not domain:
        return None
    base = local.split("+", 1)[0]
    return Mailbox.objects.filter(address__iexact=f"{base}@{domain}", is_active=True).first()


def smtp_deliver(*, raw: bytes, mail_from: str | None, rcpt_tos: Sequence[str]) -> int:
    """Ingest once per mailbox addressed; returns how many mailboxes took it."""
    close_old_connections()
    try:
        by_mailbox: dict[int, tuple[Mailbox, list[str]]] = {}
        for rcpt in rcpt_tos:
            mailbox = mailbox_for_address(rcpt)
            if mailbox is not None:
                by_mailbox.setdefault(mailbox.id, (mailbox, []))[1].append(rcpt)
        lookups = IngestLookups()
        for mailbox, rcpts in by_mailbox.values():
            sender = "" if mail_from in (None, "", "<>") else str(mail_from).strip("<>")
            mail_ingest(raw=raw, mailbox=mailbox, source=Source.SMTP, envelope_from=sender, envelope_to=rcpts,
                        lookups=lookups)
        return len(by_mailbox)
    finally:
        close_old_connections()


class IntakeHandler:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        loop = asyncio.get_running_loop()
        mailbox = await loop.run_in_executor(None, _lookup, address)
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, lambda: smtp_deliver(raw=raw, mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos))
        except Exception:
            log.exception("SMTP intake could not store a message")
            return "451 4.3.0 Temporary failure, please try again later"
        return "250 2.0.0 Message accepted"


def _lookup(address: str) -> Mailbox | None:
    close_old_connections()
    try:
        return mailbox_for_address(address)
    finally:
        close_old_connections()


def smtpd_controller(*, host: str | None = None, port: int | None = None) -> Controller:
    return Controller(
        IntakeHandler(),
        hostname=host or settings.SMTPD_HOST,
        port=port if port is not None else settings.SMTPD_PORT,
        data_size_limit=settings.MAIL_MAX_BYTES,
        decode_data=False,
        server_hostname="weibao",
        ident="Weibao intake",
    )
