"""The one ingestion service that IMAP polling, SMTP intake and `weibao mail import` all feed.

Order of work, so that nothing is lost: (1) the raw bytes are written to the store (fsynced for mail
taken from a server), (2) in one transaction a row records the message (idempotently: Message-ID per
mailbox, else the content hash) and the message is processed inside a savepoint; any failure rolls the
processing back and leaves the row quarantined with the error, from where staff reprocess it. The
source is acknowledged (SMTP 250, IMAP move) only after that transaction commits, so a crash at any
point leaves the mail on the server or the sender retrying, and its raw copy on disk.

A run over many messages (an import, an IMAP poll) passes one `IngestLookups`, which reads mailboxes,
senders, organisations and the loop-limit counts once per run instead of once per message.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from weibao.core import clock
from weibao.mail import intake
from weibao.mail.lookups import IngestLookups
from weibao.mail.models import InboundMessage, InboundStatus, Mailbox, Outcome, Source
from weibao.mail.parsing import ParsedMail, parse_message
from weibao.mail.storage import raw_read, raw_store

log = logging.getLogger(__name__)

# What processing changes on the row (the rest is written when the row is recorded).
_RESULT_FIELDS = ["attempts", "status", "outcome", "error", "processed_at", "ticket", "ticket_message", "contact"]
_TEXT_FIELDS = ["new_text", "quoted_text", "signature_text", "machine_kind"]


class Quarantine(Exception):
    """Raised while processing to put a message in quarantine with a reason people can read."""


@dataclass(frozen=True)
class IngestResult:
    inbound: InboundMessage
    new: bool  # False when this exact message had been received before (nothing done)


def _dedupe_key(parsed: ParsedMail, digest: str) -> str:
    return f"mid:{parsed.message_id}" if parsed.message_id else f"sha256:{digest}"


def dedupe_key_for(raw: bytes, parsed: ParsedMail) -> str:
    """The idempotency key of a message (for checking a batch of them at once before ingesting)."""
    return f"mid:{parsed.message_id}" if parsed.message_id else f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _new_row(*, raw: bytes, parsed: ParsedMail, mailbox: Mailbox | None, source: str, key: str, digest: str,
             relative: str, envelope_from: str | None, envelope_to: Sequence[str]) -> InboundMessage:
    return InboundMessage(
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
        new_text=parsed.new_text,
        quoted_text=parsed.quoted,
        signature_text=parsed.signature,
    )


def _recorded(mailbox: Mailbox | None, key: str, lookups: IngestLookups) -> InboundMessage | None:
    known = lookups.recorded(mailbox, key)
    if known == 0:
        return None  # the run checked this key with its batch: not recorded
    if known is not None:
        return InboundMessage.objects.filter(id=known).first()
    return InboundMessage.objects.filter(mailbox=mailbox, dedupe_key=key).first()


def mail_receive(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    parsed: ParsedMail | None = None,
) -> IngestResult:
    """Store the raw message and record it without processing it. Safe to call again with the same mail."""
    relative, digest = raw_store(raw, durable=source != Source.IMPORT)
    parsed = parsed or parse_message(raw)
    key = _dedupe_key(parsed, digest)
    existing = InboundMessage.objects.filter(mailbox=mailbox, dedupe_key=key).first()
    if existing is not None:
        return IngestResult(existing, False)
    row = _new_row(raw=raw, parsed=parsed, mailbox=mailbox, source=source, key=key, digest=digest, relative=relative,
                   envelope_from=envelope_from, envelope_to=envelope_to)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # Another worker recorded the same message at the same moment.
        return IngestResult(InboundMessage.objects.get(mailbox=mailbox, dedupe_key=key), False)
    return IngestResult(row, True)


def mail_ingest(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str = Source.IMPORT,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    parsed: ParsedMail | None = None,
    lookups: IngestLookups | None = None,
) -> IngestResult:
    lookups = lookups or IngestLookups()
    lookups.refresh_if_old()
    parsed = parsed or parse_message(raw)
    relative, digest = raw_store(raw, durable=source != Source.IMPORT)  # on disk before anything else happens
    key = _dedupe_key(parsed, digest)
    existing = _recorded(mailbox, key, lookups)
    if existing is not None:
        if existing.status == InboundStatus.RECEIVED:
            # A row left RECEIVED (recorded by mail_receive, never processed) is processed when the mail comes again.
            mail_process(inbound=existing, parsed=parsed, lookups=lookups)
        return IngestResult(existing, False)
    inbound = _new_row(raw=raw, parsed=parsed, mailbox=mailbox, source=source, key=key, digest=digest,
                       relative=relative, envelope_from=envelope_from, envelope_to=envelope_to)
    try:
        with transaction.atomic():
            inbound.save(force_insert=True)
            lookups.note_recorded(inbound)
            _process_into(inbound, parsed, lookups=lookups, force=False)
            inbound.save(update_fields=_RESULT_FIELDS)
    except IntegrityError:
        lookups.forget()
        # Another worker recorded the same message at the same moment (processing errors never reach here).
        return IngestResult(InboundMessage.objects.get(mailbox=mailbox, dedupe_key=key), False)
    except BaseException:
        lookups.forget()
        raise
    lookups.note_thread(inbound.message_id, inbound.ticket_id)
    return IngestResult(inbound, True)


def _process_into(inbound: InboundMessage, parsed: ParsedMail, *, lookups: IngestLookups, force: bool) -> None:
    """Process in a savepoint and put the outcome on the row (not saved); on failure the row is quarantined."""
    before = (inbound.ticket_id, inbound.ticket_message_id, inbound.contact_id)
    inbound.attempts += 1
    try:
        with transaction.atomic():
            outcome = _process(inbound, parsed, force=force, lookups=lookups)
        inbound.status, inbound.outcome, inbound.error = InboundStatus.PROCESSED, outcome, ""
    except Exception as exc:
        lookups.processing_failed()
        inbound.ticket_id, inbound.ticket_message_id, inbound.contact_id = before
        inbound.status, inbound.outcome = InboundStatus.QUARANTINED, Outcome.NONE
        if isinstance(exc, Quarantine):
            inbound.error = str(exc)
        else:
            log.exception("mail %s could not be processed", inbound.pk)
            tail = "".join(traceback.format_exception(exc)[-3:])
            inbound.error = f"{type(exc).__name__}: {exc}\n\n{tail}"[:4000].replace("\x00", "")
    inbound.processed_at = clock.now()


def mail_process(*, inbound: InboundMessage, parsed: ParsedMail | None = None, force: bool = False,
                 lookups: IngestLookups | None = None) -> InboundMessage:
    """Process a recorded message; on any failure it is quarantined with the error, never dropped."""
    if parsed is None:
        parsed = parse_message(raw_read(inbound.raw_path))
    lookups = lookups or IngestLookups()
    inbound.new_text, inbound.quoted_text, inbound.signature_text = parsed.new_text, parsed.quoted, parsed.signature
    inbound.machine_kind = parsed.machine.kind.value
    with transaction.atomic():
        _process_into(inbound, parsed, lookups=lookups, force=force)
        inbound.save(update_fields=[*_RESULT_FIELDS, *_TEXT_FIELDS])
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


def sender_over_limit(inbound: InboundMessage, lookups: IngestLookups | None = None) -> bool:
    if not inbound.from_addr:
        return False
    return (lookups or IngestLookups()).recent_from(inbound) >= settings.MAIL_RATE_LIMIT_PER_HOUR


def _process(inbound: InboundMessage, parsed: ParsedMail, *, force: bool, lookups: IngestLookups) -> str:
    if parsed.machine.is_machine or inbound.envelope_from == "":
        return intake.machine_mail(inbound=inbound, parsed=parsed, lookups=lookups)
    if not force and sender_over_limit(inbound, lookups):
        raise Quarantine(
            f"发件人 {inbound.from_addr} 一小时内来信超过 {settings.MAIL_RATE_LIMIT_PER_HOUR} 封，疑似邮件循环；核实后可重新处理"
        )
    return intake.human_mail(inbound=inbound, parsed=parsed, quarantine=Quarantine, lookups=lookups)
