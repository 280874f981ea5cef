"""`weibao mail import`: an .eml file, an mbox, a maildir or a folder of .eml files, through mail_ingest."""

from __future__ import annotations

import mailbox as stdlib_mailbox
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from weibao.core.errors import ValidationFailed
from weibao.mail.lookups import IngestLookups
from weibao.mail.models import InboundStatus, Mailbox, Outcome, Source
from weibao.mail.parsing import parse_message
from weibao.mail.services import IngestResult, dedupe_key_for, mail_ingest

BATCH_MESSAGES = 200
BATCH_BYTES = 32 * 1024 * 1024
COMMIT_SECONDS = 0.5

# How the import summary groups outcomes.
SUMMARY = {
    Outcome.CREATED: "created",
    Outcome.JOINED: "joined",
    Outcome.REOPENED: "joined",
    Outcome.DUPLICATE: "joined",
    Outcome.MACHINE: "machine",
    Outcome.DELIVERY_FAILURE: "machine",
}


def iter_raw_messages(path: Path) -> Iterator[bytes]:
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            box = stdlib_mailbox.Maildir(str(path), factory=None, create=False)
            for key in sorted(box.keys()):
                yield box.get_bytes(key)
            return
        for item in sorted(path.rglob("*.eml")):
            yield item.read_bytes()
        return
    if not path.is_file():
        raise ValidationFailed(f"{path}: 文件或目录不存在")
    with path.open("rb") as fh:
        head = fh.read(5)
    if head == b"From ":
        mbox = stdlib_mailbox.mbox(str(path), factory=None, create=False)
        for key in mbox.keys():
            yield mbox.get_bytes(key)
        return
    yield path.read_bytes()


def _batches(messages: Iterator[bytes]) -> Iterator[list[bytes]]:
    """Groups of messages checked for earlier import with one query; bounded in count and in bytes."""
    batch: list[bytes] = []
    size = 0
    for raw in messages:
        batch.append(raw)
        size += len(raw)
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def mail_import(*, path: Path, mailbox: Mailbox | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    lookups = IngestLookups()
    for batch in _batches(iter_raw_messages(path)):
        parsed = [parse_message(raw) for raw in batch]
        lookups.refresh_if_old()
        lookups.prefetch(mailbox, [dedupe_key_for(raw, p) for raw, p in zip(batch, parsed, strict=True)])
        pending = list(zip(batch, parsed, strict=True))
        while pending:
            # Several messages per commit (each still in its own savepoint): a commit is a WAL write, an fsync on
            # PostgreSQL. Bounded in time, so other writers wait at most about COMMIT_SECONDS. A crash loses
            # only the uncommitted rows; the archive is still there to import again.
            started = time.monotonic()
            with transaction.atomic():
                while pending and time.monotonic() - started < COMMIT_SECONDS:
                    raw, one = pending.pop(0)
                    result = mail_ingest(raw=raw, mailbox=mailbox, source=Source.IMPORT, parsed=one, lookups=lookups)
                    _count(counts, result)
    return counts


def _count(counts: Counter[str], result: IngestResult) -> None:
    inbound = result.inbound
    if not result.new:
        counts["already imported"] += 1
    elif inbound.status == InboundStatus.QUARANTINED:
        counts["quarantined"] += 1
    else:
        counts[SUMMARY.get(Outcome(inbound.outcome), "other")] += 1
