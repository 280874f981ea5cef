"""`weibao mail import`: an .eml file, an mbox, a maildir or a folder of .eml files, through mail_ingest."""

from __future__ import annotations

import mailbox as stdlib_mailbox
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from weibao.core.errors import ValidationFailed
from weibao.mail.models import InboundStatus, Mailbox, Outcome, Source
from weibao.mail.services import mail_ingest

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


def mail_import(*, path: Path, mailbox: Mailbox | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for raw in iter_raw_messages(path):
        result = mail_ingest(raw=raw, mailbox=mailbox, source=Source.IMPORT)
        inbound = result.inbound
        if not result.new:
            counts["already imported"] += 1
        elif inbound.status == InboundStatus.QUARANTINED:
            counts["quarantined"] += 1
        else:
            counts[SUMMARY.get(Outcome(inbound.outcome), "other")] += 1
    return counts
