"""`weibao smtpd` intake: a real SMTP conversation on loopback with smtplib."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.mail.servers import free_port
from weibao.mail.models import InboundMessage, Outcome
from weibao.mail.smtpd import smtpd_controller
from weibao.mail.storage import raw_read

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def intake_port() -> Iterator[int]:
    port = free_port()
    controller = smtpd_controller(host="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_accepted_message_is_stored_with_its_envelope(intake_port: int) -> None:
    box = mailbox()
    raw = make_mail(subject="SMTP 直接投递", headers={"Precedence": "bulk"})
    with smtplib.SMTP("127.0.0.1", intake_port, timeout=10) as smtp:
        refused = smtp.sendmail("lilei@customer.example.cn", ["support+abc@weibao.test"], raw)
    assert refused == {}
    row = InboundMessage.objects.get(mailbox=box)
    assert raw_read(row.raw_path).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert row.envelope_from == "lilei@customer.example.cn"
    assert row.envelope_to == ["support+abc@weibao.test"]
    assert row.subject == "SMTP 直接投递"


def test_unknown_recipient_is_refused_at_rcpt(intake_port: int) -> None:
    mailbox()
    with smtplib.SMTP("127.0.0.1", intake_port, timeout=10) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        smtp.sendmail("a@b.cn", ["stranger@weibao.test"], make_mail())
    assert err.value.recipients["stranger@weibao.test"][0] == 550
    assert InboundMessage.objects.count() == 0


def test_null_sender_bounce_is_machine_mail(intake_port: int) -> None:
    mailbox()
    raw = make_mail(subject="Undelivered Mail Returned to Sender", from_addr="postmaster@mx.customer.example.cn")
    with smtplib.SMTP("127.0.0.1", intake_port, timeout=10) as smtp:
        smtp.sendmail("", ["support@weibao.test"], raw)
    row = InboundMessage.objects.get()
    assert row.envelope_from == ""
    assert row.outcome == Outcome.MACHINE


def test_one_message_to_two_of_our_mailboxes_is_recorded_per_mailbox_once(intake_port: int) -> None:
    mailbox()
    mailbox(name="销售", address="sales@weibao.test")
    raw = make_mail(headers={"Precedence": "bulk"})
    with smtplib.SMTP("127.0.0.1", intake_port, timeout=10) as smtp:
        smtp.sendmail("a@b.cn", ["support@weibao.test", "sales@weibao.test"], raw)
        smtp.sendmail("a@b.cn", ["support@weibao.test"], raw)  # a retry of the same message
    assert sorted(InboundMessage.objects.values_list("mailbox__address", flat=True)) == ["sales@weibao.test", "support@weibao.test"]
