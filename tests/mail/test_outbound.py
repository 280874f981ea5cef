"""Outgoing mail through a real SMTP conversation (aiosmtpd sink on loopback), driven by the outbox."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.mail.servers import SmtpSink
from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.core.models import OutboxMessage
from weibao.core.outbox import outbox_sweep
from weibao.mail.models import InboundMessage, OutboundMail, OutboundStatus, Outcome
from weibao.mail.services import mail_ingest
from weibao.mail.tokens import ticket_id_from_address
from weibao.tickets.models import Message, Ticket, TicketEvent
from weibao.tickets.services import ticket_record_event, ticket_reply, ticket_transition
from weibao.tickets.states import Status

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def sink(settings: Any) -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        yield server


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a write as if its transaction committed, so the outbox delivers right after it."""

    def run(fn: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_receipt_reply_and_customer_answer_make_one_thread(world: World, sink: SmtpSink, committed: Any) -> None:
    box = mailbox()
    committed(mail_ingest, raw=make_mail(from_addr="cust_a@example.com", message_id="<orig-1@example.com>"), mailbox=box)
    inbound = InboundMessage.objects.get()
    ticket = inbound.ticket
    assert ticket is not None
    assert len(sink.received) == 1
    receipt = sink.received[0].message
    assert sink.received[0].rcpt_tos == ["cust_a@example.com"]
    assert f"[{ticket.number}]" in receipt["Subject"] and "客户回执" in receipt["Subject"]
    assert receipt["Auto-Submitted"] == "auto-generated"
    assert receipt["In-Reply-To"] == "<orig-1@example.com>"
    assert ticket_id_from_address(str(receipt["Reply-To"])) == ticket.id
    assert ticket.number in receipt.get_content()
    assert receipt["From"].addresses[0].addr_spec == "support@weibao.test"

    place(ticket, Status.IN_PROGRESS, world)
    committed(ticket_reply, actor=world.users["engineer"], ticket=ticket, body="请提供浏览器版本和截图。")
    assert len(sink.received) == 2
    reply = sink.received[1].message
    assert reply["Auto-Submitted"] is None  # written by a person
    assert "请提供浏览器版本和截图。" in reply.get_content()
    assert "<orig-1@example.com>" in reply["References"]

    # the customer answers from their mail client: In-Reply-To our reply's Message-ID
    answer = make_mail(from_addr="cust_a@example.com", subject=f"Re: {reply['Subject']}", body="Chrome 120，截图见附件。",
                       headers={"In-Reply-To": reply["Message-ID"], "References": reply["References"] + " " + reply["Message-ID"]})
    second = mail_ingest(raw=answer, mailbox=box).inbound
    assert second.outcome == Outcome.JOINED and second.ticket_id == ticket.id
    assert Message.objects.filter(ticket=ticket, author_contact=world.contact_a, body="Chrome 120，截图见附件。").exists()


def test_internal_notes_and_customer_messages_send_nothing(world: World, sink: SmtpSink, committed: Any) -> None:
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    outbox_sweep()  # the receipt and the status mails of the setup: a delivery pass would send them too
    sink.received.clear()
    committed(ticket_reply, actor=world.users["engineer"], ticket=ticket, body="内部：怀疑是缓存问题", internal=True)
    committed(ticket_reply, actor=world.users["customer_a"], ticket=ticket, body="还是不行")
    assert sink.received == []


def test_resolution_mail_has_confirm_and_reject_links_and_close_sends_survey(world: World, sink: SmtpSink, committed: Any) -> None:
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    sink.received.clear()
    committed(ticket_transition, actor=world.users["engineer"], ticket=ticket, transition="propose_resolution",
              resolution_method="configuration", resolution_text="已调整会话超时配置。")
    body = sink.received[-1].message.get_content()
    assert "已调整会话超时配置。" in body
    links = re.findall(r"https?://\S+/portal/mail/decision/(\S+)/", body)
    assert len(links) == 2 and links[0] != links[1], body  # confirm, reject: one-time tokens, no sign-in
    assert sink.received[-1].message["Auto-Submitted"] == "auto-generated"
    client = Client()
    assert client.get(f"/portal/mail/decision/{links[0]}/").status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED  # opening the link changed nothing
    committed(client.post, path=f"/portal/mail/decision/{links[0]}/")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    survey = sink.received[-1].message
    assert "满意度" in survey["Subject"]
    token = re.search(r"/portal/survey/(\S+)/", survey.get_content())
    assert token is not None, survey.get_content()
    form = client.get(f"/portal/survey/{token.group(1)}/")  # no sign-in either
    assert form.status_code == 200 and ticket.number in form.content.decode()
    assert client.post(f"/portal/survey/{token.group(1)}/", {"rating": 5, "comment": "很好"}).status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).survey.rating == 5
    assert client.get(f"/portal/survey/{token.group(1)}/").status_code == 404  # spent


def test_resolution_mail_is_not_sent_when_the_customer_already_decided(world: World, sink: SmtpSink) -> None:
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    sink.received.clear()
    ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="propose_resolution",
                      resolution_method="configuration", resolution_text="已调整会话超时配置。")
    ticket_transition(actor=world.users["customer_a"], ticket=ticket, transition="confirm")  # in the portal, first
    from weibao.mail.outbound import on_ticket_events

    for event in TicketEvent.objects.filter(ticket=ticket, kind="transitioned").order_by("id"):
        assert on_ticket_events([{"event_id": event.id, "ticket_id": ticket.id, "kind": event.kind}]) == {}
    kinds = dict(OutboundMail.objects.filter(ticket=ticket).values_list("kind", "status"))
    assert kinds == {"resolution": OutboundStatus.SKIPPED, "survey": OutboundStatus.SENT}
    assert [m.message["Subject"] for m in sink.received if "请确认" in m.message["Subject"]] == []


def test_mail_goes_out_in_the_recipients_language(world: World, sink: SmtpSink, committed: Any) -> None:
    user = world.users["customer_a"]
    user.language = "en"
    user.save()
    committed(mail_ingest, raw=make_mail(from_addr="cust_a@example.com"), mailbox=mailbox())
    message = sink.received[-1].message
    assert "Receipt" in message["Subject"], message["Subject"]
    assert "has been registered" in message.get_content()


def test_smtp_refusal_is_retried_by_the_outbox_and_sent_once(world: World, sink: SmtpSink, committed: Any) -> None:
    sink.handler.fail_next = 1
    committed(mail_ingest, raw=make_mail(from_addr="cust_a@example.com"), mailbox=mailbox())
    row = OutboundMail.objects.get()
    assert row.status == OutboundStatus.PENDING and "451" in row.last_error and sink.received == []
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert pending.count() == 1 and "451" in pending.get().last_error
    from weibao.core import clock

    pending.update(available_at=clock.now())
    assert outbox_sweep() == 1
    assert len(sink.received) == 1
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT and row.attempts == 2
    # a stray second delivery of the same event (e.g. a sweeper race) sends nothing more
    from weibao.mail.outbound import on_ticket_events

    event = TicketEvent.objects.get(ticket=row.ticket, kind="created")
    assert on_ticket_events([{"event_id": event.id, "ticket_id": row.ticket_id, "kind": "created"}]) == {}
    assert len(sink.received) == 1


def test_bounce_of_our_receipt_is_recorded_on_the_request(world: World, sink: SmtpSink, committed: Any) -> None:
    committed(mail_ingest, raw=make_mail(from_addr="cust_a@example.com"), mailbox=mailbox())
    row = OutboundMail.objects.get()
    dsn = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@weibao.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; cust_a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{row.message_id}>\r\nSubject: x\r\n--B--\r\n"
    ).encode()
    inbound = mail_ingest(raw=dsn, mailbox=None).inbound
    assert inbound.outcome == Outcome.DELIVERY_FAILURE and inbound.ticket_id == row.ticket_id
    event = TicketEvent.objects.get(ticket=row.ticket, kind="delivery_failed")
    assert event.data["recipient"] == "cust_a@example.com" and event.data["status"] == "5.1.1"
    row.refresh_from_db()
    assert row.status == OutboundStatus.BOUNCED
    # the same bounce again records nothing new
    mail_ingest(raw=dsn.replace(b"dsn-1@", b"dsn-2@"), mailbox=None)
    assert TicketEvent.objects.filter(kind="delivery_failed").count() == 1


def test_sla_warning_goes_to_the_assignee(world: World, sink: SmtpSink, committed: Any) -> None:
    engineer = world.users["engineer"]
    engineer.email = "engineer@weibao.test"
    engineer.save()
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    outbox_sweep()  # the setup's own mails first
    sink.received.clear()
    committed(ticket_record_event, actor=None, ticket=ticket, kind="sla_breached", data={"target": "resolution"})
    assert [c.rcpt_tos for c in sink.received] == [["engineer@weibao.test"]]
    assert "SLA" in sink.received[0].message["Subject"]


def test_sla_escalation_step_mails_the_people_it_notifies(world: World, sink: SmtpSink, committed: Any) -> None:
    manager = world.users["manager"]
    manager.email = "manager@weibao.test"
    manager.language = "en"
    manager.save()
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    outbox_sweep()  # the setup's own mails first
    sink.received.clear()
    committed(ticket_record_event, actor=None, ticket=ticket, kind="escalated",
              data={"metric": "resolution", "percent": 80, "notified": [manager.id, world.users["customer_a"].id]})
    assert [c.rcpt_tos for c in sink.received] == [["manager@weibao.test"]]  # customers never get staff warnings
    assert str(sink.received[0].message["Subject"]).strip().startswith("SLA warning")
