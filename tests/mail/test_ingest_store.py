"""Raw storage before processing, idempotency, quarantine and reprocessing, the loop limit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from weibao.mail import intake
from weibao.mail.models import InboundMessage, InboundStatus, Mailbox, Outcome
from weibao.mail.services import mail_ingest, mail_reprocess
from weibao.mail.storage import raw_read, raw_root

pytestmark = pytest.mark.django_db


def test_raw_message_is_stored_before_processing(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_mail(headers={"Auto-Submitted": "auto-replied"})
    seen: dict[str, Any] = {}

    def spy(*, inbound: InboundMessage, parsed: Any, **_: Any) -> str:
        seen["on_disk"] = raw_read(inbound.raw_path)
        seen["row"] = InboundMessage.objects.filter(id=inbound.id).exists()
        return Outcome.MACHINE

    monkeypatch.setattr(intake, "machine_mail", spy)
    result = mail_ingest(raw=raw, mailbox=mailbox())
    assert seen == {"on_disk": raw, "row": True}
    assert (raw_root() / result.inbound.raw_path).read_bytes() == raw
    assert result.inbound.status == InboundStatus.PROCESSED and result.inbound.outcome == Outcome.MACHINE


def test_same_message_twice_in_one_mailbox_is_ingested_once() -> None:
    box = mailbox()
    raw = make_mail(headers={"Precedence": "bulk"})
    first = mail_ingest(raw=raw, mailbox=box)
    second = mail_ingest(raw=raw, mailbox=box)
    assert first.new and not second.new
    assert second.inbound.id == first.inbound.id
    assert InboundMessage.objects.count() == 1


def test_message_without_message_id_is_deduplicated_by_content() -> None:
    box = mailbox()
    raw = make_mail(message_id=None, headers={"Precedence": "bulk"})
    mail_ingest(raw=raw, mailbox=box)
    mail_ingest(raw=raw, mailbox=box)
    other = mail_ingest(raw=make_mail(message_id=None, body="另一封", headers={"Precedence": "bulk"}), mailbox=box)
    assert other.new
    assert InboundMessage.objects.count() == 2
    assert all(m.dedupe_key.startswith("sha256:") for m in InboundMessage.objects.all())


def test_failure_quarantines_with_error_and_reprocess_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def flaky(*, inbound: InboundMessage, parsed: Any, quarantine: Any, **_: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("数据库暂时不可用")
        return Outcome.CREATED

    monkeypatch.setattr(intake, "human_mail", flaky)
    raw = make_mail()
    result = mail_ingest(raw=raw, mailbox=mailbox())
    inbound = InboundMessage.objects.get(id=result.inbound.id)
    assert inbound.status == InboundStatus.QUARANTINED
    assert "RuntimeError: 数据库暂时不可用" in inbound.error
    assert raw_read(inbound.raw_path) == raw
    again = mail_reprocess(inbound=inbound)
    assert again.status == InboundStatus.PROCESSED and again.outcome == Outcome.CREATED and again.error == ""
    assert again.attempts == 2


def test_sender_over_the_hourly_limit_is_quarantined_not_processed(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.MAIL_RATE_LIMIT_PER_HOUR = 3
    processed: list[int] = []

    def record(*, inbound: InboundMessage, parsed: Any, quarantine: Any, **_: Any) -> str:
        processed.append(inbound.id)
        return Outcome.CREATED

    monkeypatch.setattr(intake, "human_mail", record)
    box = mailbox()
    results = [mail_ingest(raw=make_mail(body=f"第{i}封"), mailbox=box) for i in range(5)]
    statuses = [InboundMessage.objects.get(id=r.inbound.id).status for r in results]
    assert statuses == [InboundStatus.PROCESSED] * 3 + [InboundStatus.QUARANTINED] * 2
    assert len(processed) == 3
    assert "邮件循环" in InboundMessage.objects.get(id=results[-1].inbound.id).error
    # staff release one from quarantine: the limit does not apply to a deliberate reprocess
    assert mail_reprocess(inbound=results[-1].inbound).status == InboundStatus.PROCESSED


def test_null_envelope_sender_is_machine_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "human_mail", lambda **kw: pytest.fail("machine mail reached the request intake"))
    result = mail_ingest(raw=make_mail(subject="你好"), mailbox=mailbox(), envelope_from="")
    assert result.inbound.outcome == Outcome.MACHINE


@fuzz_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(
    st.binary(min_size=1, max_size=1500),
    st.builds(lambda head, body: head + b"\r\n\r\n" + body,
              st.sampled_from([b"From: x@y.cn\r\nSubject: =?gb2312?B?1tDOxA==?=", b"Content-Type: multipart/mixed; boundary=b",
                               b"Message-ID: <fuzz@x>\r\nContent-Type: text/html; charset=gbk", b"Return-Path: <>"]),
              st.binary(max_size=1000)),
))
def test_fuzz_ingest_always_keeps_the_raw_message(raw: bytes) -> None:
    box = Mailbox.objects.filter(name="fuzz").first() or mailbox(name="fuzz", address="fuzz@weibao.test")
    result = mail_ingest(raw=raw, mailbox=box)
    row = InboundMessage.objects.get(id=result.inbound.id)
    assert raw_read(row.raw_path) == raw or not result.new  # a repeat keeps the first copy of that Message-ID
    assert row.status in (InboundStatus.PROCESSED, InboundStatus.QUARANTINED)
