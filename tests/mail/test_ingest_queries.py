"""An import asks the database a bounded number of questions per message, whatever the archive's size.

The per-run lookups (mailbox addresses, senders, organisations by domain, the loop-limit count, the
batch idempotency check) must be read once per run, not once per message: the total for N messages is
compared with a fixed allowance per message plus one per distinct sender.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory, OrganisationFactory
from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from weibao.mail.importer import mail_import
from weibao.mail.models import InboundMessage, Outcome
from weibao.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

# Per message, at most: the row's INSERT and UPDATE, the processing savepoint, and the tickets service's
# own statements for a new request (number, priority, rule, ticket, event, outbox and their savepoints)
# or a reply (lock, message, event, outbox), plus the thread's request.
PER_MESSAGE = 16
# Per distinct sender, once per run: staff?, contact?, the loop-limit count (and its domain, once).
PER_SENDER = 4


def _archive(path: Path, *, threads: int, senders: list[str]) -> None:
    """`threads` new requests, each answered once by its sender, and one auto-reply per thread."""
    path.mkdir()
    n = 0
    for i in range(threads):
        sender = senders[i % len(senders)]
        first = f"<{path.name}-{i}@customer.example.cn>"
        mails = [
            make_mail(from_addr=sender, subject=f"问题 {i}", message_id=first),
            make_mail(from_addr=sender, subject=f"回复：问题 {i}", message_id=f"<{path.name}-{i}-re@customer.example.cn>",
                      body="补充：问题仍然存在。", headers={"In-Reply-To": first, "References": first}),
            make_mail(from_addr=sender, subject="自动回复：休假中", message_id=f"<{path.name}-{i}-auto@customer.example.cn>",
                      headers={"Auto-Submitted": "auto-replied"}),
        ]
        for raw in mails:
            n += 1
            (path / f"{n:05d}.eml").write_bytes(raw)  # the importer reads a folder of .eml files in name order


def _statements(tmp_path: Path, name: str, threads: int, senders: list[str]) -> tuple[int, Counter[str]]:
    box = mailbox(name=name, address=f"{name}@weibao.test")
    _archive(tmp_path / name, threads=threads, senders=senders)
    with CaptureQueriesContext(connection) as captured:
        counts = mail_import(path=tmp_path / name, mailbox=box)
    assert counts == Counter({"created": threads, "joined": threads, "machine": threads})
    return len(captured), Counter(q["sql"].split(" ", 1)[0] for q in captured)


def test_query_count_per_ingested_message_stays_bounded(tmp_path: Path) -> None:
    org = OrganisationFactory(code="cust", email_domains="customer.example.cn")
    senders = [ContactFactory(organisation=org, email=f"u{i}@customer.example.cn").email for i in range(3)]
    senders.append("newcomer@customer.example.cn")  # unknown address of a known domain: a contact is created once

    small, _ = _statements(tmp_path, "small", threads=4, senders=senders)
    large, kinds = _statements(tmp_path, "large", threads=20, senders=senders)

    assert large <= 60 * PER_MESSAGE + len(senders) * PER_SENDER, kinds
    # The part that depends on the archive's size grows by a fixed amount per message, not per message × run.
    assert (large - small) / (60 - 12) <= PER_MESSAGE - 2, kinds
    assert Ticket.objects.count() == 24 and Message.objects.count() == 24
    replies = InboundMessage.objects.filter(message_id__endswith="-re@customer.example.cn")
    assert all(r.outcome == Outcome.JOINED and r.ticket_id is not None for r in replies)
    assert all(r.ticket.subject == f"问题 {r.message_id.split('-')[1]}" for r in replies.select_related("ticket"))


def test_reimport_checks_idempotency_per_batch_not_per_message(tmp_path: Path) -> None:
    org = OrganisationFactory(code="cust", email_domains="customer.example.cn")
    senders = [ContactFactory(organisation=org, email=f"u{i}@customer.example.cn").email for i in range(2)]
    box = mailbox()
    _archive(tmp_path / "a", threads=10, senders=senders)
    mail_import(path=tmp_path / "a", mailbox=box)
    with CaptureQueriesContext(connection) as captured:
        counts = mail_import(path=tmp_path / "a", mailbox=box)
    assert counts == Counter({"already imported": 30})
    # one batch query, then one read of each already-recorded row for the summary; nothing written
    statements = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 1 + 30, [q[:80] for q in statements]
    assert not [q for q in statements if not q.startswith("SELECT")]
    assert InboundMessage.objects.count() == 30
