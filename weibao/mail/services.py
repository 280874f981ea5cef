"""The one ingestion service that IMAP polling, SMTP intake and `weibao mail import` all feed.

Order of work, so that nothing is lost: (1) the raw bytes are written to the store, (2) a row records
the message (idempotently: Message-ID per mailbox, else the content hash), (3) it is processed in its
own transaction; any failure puts it in quarantine with the error, from where staff reprocess it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from weibao.core import clock
from weibao.mail import intake
from weibao.mail.models import InboundMessage, InboundStatus, Mailbox, Outcome, Source
from weibao.mail.parsing import ParsedMail, parse_message
from weibao.mail.storage import raw_read, raw_store

log = logging.getLogger(__name__)


class Quarantine(Exception):
    """Raised while processing to put a message in quarantine with a reason people can read."""


@dataclass(frozen=True)
class IngestResult:
    inbound: InboundMessage
    new: bool  # False when this exact message had been received before (nothing done)


def _dedupe_key(parsed: ParsedMail, digest: str) -> str:
    return f"mid:{parsed.message_id}" if parsed.message_id else f"sha256:{digest}"


def mail_receive(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    parsed: ParsedMail | None = None,
) -> IngestResult:
    """Store the raw message and record it (not yet processed). Safe to call again with the same mail."""
    relative, digest = raw_store(raw, durable=source != Source.IMPORT)
    parsed = parsed or parse_message(raw)
    key = _dedupe_key(parsed, digest)
    existing = InboundMessage.objects.filter(mailbox=mailbox, dedupe_key=key).first()
    if existing is not None:
        return IngestResult(existing, False)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                mailbox=mailbox,
                source=source,
                dedupe_key=key,
                message_id=parsed.message_id,
                sha256=digest,
                raw_path=relative,
                size=len(raw),
                envelope_from=envelope_from,
                envelope_to=[a.lower() for a in envelope_to],
                from_addr=parsed.from_addr[:320],
                from_name=parsed.from_name[:200],
                subject=parsed.subject[:500],
                received_at=clock.now(),
                machine_kind=parsed.machine.kind.value,
            )
    except IntegrityError:
        # Another worker recorded the same message at the same moment.
        return IngestResult(InboundMessage.objects.get(mailbox=mailbox, dedupe_key=key), False)
    return IngestResult(inbound, True)


def mail_ingest(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str = Source.IMPORT,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
) -> IngestResult:
    parsed = parse_message(raw)
    result = mail_receive(
        raw=raw, mailbox=mailbox, source=source, envelope_from=envelope_from, envelope_to=envelope_to, parsed=parsed
    )
    if result.new or result.inbound.status == InboundStatus.RECEIVED:
        # A row left RECEIVED (a crash between storing and processing) is processed when the mail comes again.
        mail_process(inbound=result.inbound, parsed=parsed)
    return result


def mail_process(*, inbound: InboundMessage, parsed: ParsedMail | None = None, force: bool = False) -> InboundMessage:
    """Process a recorded message; on any failure it is quarantined with the error, never dropped."""
    if parsed is None:
        parsed = parse_message(raw_read(inbound.raw_path))
    inbound.attempts += 1
    inbound.new_text, inbound.quoted_text, inbound.signature_text = parsed.new_text, parsed.quoted, parsed.signature
    inbound.machine_kind = parsed.machine.kind.value
    try:
        with transaction.atomic():
            outcome = _process(inbound, parsed, force=force)
        inbound.status, inbound.outcome, inbound.error = InboundStatus.PROCESSED, outcome, ""
    except Quarantine as why:
        inbound.status, inbound.outcome, inbound.error = InboundStatus.QUARANTINED, Outcome.NONE, str(why)
    except Exception as exc:
        log.exception("mail %s could not be processed", inbound.pk)
        tail = "".join(traceback.format_exception(exc)[-3:])
        inbound.status, inbound.outcome = InboundStatus.QUARANTINED, Outcome.NONE
        inbound.error = f"{type(exc).__name__}: {exc}\n\n{tail}"[:4000].replace("\x00", "")
    inbound.processed_at = clock.now()
    inbound.save()
    return inbound


def mail_reprocess(*, inbound: InboundMessage, actor: object | None = None) -> InboundMessage:
    """Run a quarantined (or received) message through processing again, past the loop limit."""
    if inbound.status == InboundStatus.PROCESSED:
        return inbound
    return mail_process(inbound=inbound, force=True)


def mail_reprocess_quarantine(*, limit: int = 1000) -> list[InboundMessage]:
    ids = list(
        InboundMessage.objects.filter(status__in=[InboundStatus.QUARANTINED, InboundStatus.RECEIVED])
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return [mail_reprocess(inbound=InboundMessage.objects.get(id=i)) for i in ids]


def sender_over_limit(inbound: InboundMessage) -> bool:
    if not inbound.from_addr:
        return False
    since = clock.now() - timedelta(hours=1)
    recent = InboundMessage.objects.filter(from_addr=inbound.from_addr, received_at__gte=since).exclude(id=inbound.id).count()
    return recent >= settings.MAIL_RATE_LIMIT_PER_HOUR


def _process(inbound: InboundMessage, parsed: ParsedMail, *, force: bool) -> str:
    if parsed.machine.is_machine or inbound.envelope_from == "":
        return intake.machine_mail(inbound=inbound, parsed=parsed)
    if not force and sender_over_limit(inbound):
        raise Quarantine(
            f"发件人 {inbound.from_addr} 一小时内来信超过 {settings.MAIL_RATE_LIMIT_PER_HOUR} 封，疑似邮件循环；核实后可重新处理"
        )
    return intake.human_mail(inbound=inbound, parsed=parsed, quarantine=Quarantine)
