"""Human mail: new requests, replies threaded by references, reply address and subject tag, senders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.mail.factories import mailbox
from tests.mail.samples import GBK_ONLY, make_mail
from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.accounts.models import Contact
from weibao.core import clock
from weibao.mail.models import InboundMessage, InboundStatus, Outcome, UnknownSenderPolicy
from weibao.mail.services import mail_ingest, mail_reprocess
from weibao.mail.tokens import reply_address
from weibao.tickets.models import Message, Ticket, TicketEvent, TicketLink
from weibao.tickets.states import Status

pytestmark = pytest.mark.django_db


def _ingest(raw: bytes, box: Any = None, **kw: Any) -> InboundMessage:
    result = mail_ingest(raw=raw, mailbox=box, **kw)
    return InboundMessage.objects.select_related("ticket").get(id=result.inbound.id)


def test_known_contact_opens_a_request_in_their_organisation(world: World) -> None:
    body = "您好，报表导出失败，提示“内存不足”。\n\n--\n甲联系人\n信息中心"
    inbound = _ingest(make_mail(from_addr="CUST_A@example.com", subject="报表导出失败", body=body, charset="gb2312", codec="gbk"),
                      mailbox())
    assert inbound.status == InboundStatus.PROCESSED and inbound.outcome == Outcome.CREATED
    ticket = inbound.ticket
    assert ticket is not None
    assert (ticket.organisation, ticket.requester, ticket.channel) == (world.org_a, world.contact_a, "email")
    assert ticket.subject == "报表导出失败"
    assert ticket.description == "您好，报表导出失败，提示“内存不足”。"
    assert inbound.signature_text == "--\n甲联系人\n信息中心"
    assert not ticket.unverified_requester


def test_reply_with_references_joins_and_keeps_quote_apart(world: World) -> None:
    box = mailbox()
    first = _ingest(make_mail(from_addr="cust_a@example.com", message_id="<first@example.com>"), box)
    reply = make_mail(
        from_addr="cust_a@example.com", subject="回复：系统无法登录", message_id="<second@example.com>",
        body="补充：清除缓存后仍然白屏。\n\n在 2026年3月2日 09:30，李雷 <cust_a@example.com> 写道：\n> 系统登录后白屏",
        headers={"In-Reply-To": "<first@example.com>", "References": "<first@example.com>"},
    )
    second = _ingest(reply, box)
    assert second.outcome == Outcome.JOINED and second.ticket_id == first.ticket_id
    message = Message.objects.get(ticket=first.ticket)
    assert message.body == "补充：清除缓存后仍然白屏。"
    assert message.author_contact == world.contact_a and message.channel == "email"
    assert second.quoted_text.startswith("在 2026年3月2日")
    assert Ticket.objects.count() == 1


def test_signed_reply_address_joins_and_a_forged_one_does_not(world: World) -> None:
    box = mailbox()
    ticket = make_ticket(world)
    good = _ingest(make_mail(from_addr="cust_a@example.com", subject="无关标题", to=reply_address(box.address, ticket.id)), box)
    assert good.outcome == Outcome.JOINED and good.ticket_id == ticket.id
    forged = reply_address(box.address, ticket.id).replace("+t", "+t9")
    bad = _ingest(make_mail(from_addr="cust_a@example.com", subject="伪造地址", to=forged), box)
    assert bad.outcome == Outcome.CREATED and bad.ticket_id != ticket.id


def test_reply_address_in_envelope_only_is_honoured(world: World) -> None:
    box = mailbox()
    ticket = make_ticket(world)
    inbound = _ingest(make_mail(from_addr="cust_a@example.com"), box, envelope_to=[reply_address(box.address, ticket.id)])
    assert inbound.ticket_id == ticket.id


def test_subject_tag_joins_only_for_participants(world: World) -> None:
    box = mailbox()
    ticket = make_ticket(world)
    tag = f"Re: [{ticket.number}] 系统登录后页面空白"
    mine = _ingest(make_mail(from_addr="cust_a@example.com", subject=tag), box)
    assert mine.outcome == Outcome.JOINED and mine.ticket_id == ticket.id
    # customer B knows (or guesses) org A's number: their mail must not land in org A's request
    stranger = _ingest(make_mail(from_addr="cust_b@example.com", subject=tag), box)
    assert stranger.outcome == Outcome.CREATED
    assert stranger.ticket is not None and stranger.ticket.organisation == world.org_b
    assert not Message.objects.filter(ticket=ticket, author_contact=world.contact_b).exists()
    assert stranger.ticket.subject == "系统登录后页面空白"


def test_unknown_sender_of_an_organisation_domain_becomes_its_contact(world: World) -> None:
    world.org_a.email_domains = "jia.example.cn, jia.gov.cn"
    world.org_a.save()
    inbound = _ingest(make_mail(from_addr="wang@jia.gov.cn", from_name="王工"), mailbox())
    contact = Contact.objects.get(email="wang@jia.gov.cn")
    assert (contact.organisation, contact.name) == (world.org_a, "王工")
    assert inbound.ticket is not None and inbound.ticket.requester == contact


def test_unknown_sender_follows_the_mailbox_policy(world: World) -> None:
    box = mailbox(fallback_organisation=world.org_b)
    flagged = _ingest(make_mail(from_addr="someone@free-mail.example", from_name="张三"), box)
    assert flagged.ticket is not None and flagged.ticket.unverified_requester and flagged.ticket.requester is None
    assert flagged.ticket.organisation == world.org_b
    assert "张三（someone@free-mail.example）" in flagged.ticket.description
    strict = mailbox(name="严格", address="strict@weibao.test", unknown_sender_policy=UnknownSenderPolicy.QUARANTINE)
    held = _ingest(make_mail(from_addr="other@free-mail.example"), strict)
    assert held.status == InboundStatus.QUARANTINED and "other@free-mail.example" in held.error
    assert held.ticket is None
    no_fallback = _ingest(make_mail(from_addr="third@free-mail.example"), mailbox(name="无归属", address="x@weibao.test"))
    assert no_fallback.status == InboundStatus.QUARANTINED and "归属组织" in no_fallback.error


def test_one_mail_to_two_of_our_addresses_makes_one_request(world: World) -> None:
    raw = make_mail(from_addr="cust_a@example.com", to="support@weibao.test, sales@weibao.test")
    a = _ingest(raw, mailbox())
    b = _ingest(raw, mailbox(name="销售", address="sales@weibao.test"))
    assert a.outcome == Outcome.CREATED and b.outcome == Outcome.DUPLICATE
    assert a.ticket_id == b.ticket_id and Ticket.objects.count() == 1


def test_reply_to_closed_request_reopens_it_inside_the_window(world: World) -> None:
    box = mailbox()
    ticket = place(make_ticket(world), Status.CLOSED, world)
    inbound = _ingest(make_mail(from_addr="cust_a@example.com", subject=f"[{ticket.number}] 又出现了"), box)
    ticket.refresh_from_db()
    assert inbound.outcome == Outcome.REOPENED and ticket.status == Status.IN_PROGRESS and ticket.reopen_count == 1


def test_reply_to_long_closed_request_opens_a_new_linked_one(world: World, settings: Any) -> None:
    settings.TICKET_REOPEN_DAYS = 14
    box = mailbox()
    old = place(make_ticket(world), Status.CLOSED, world)
    Ticket.objects.filter(id=old.id).update(closed_at=clock.now() - timedelta(days=30))
    inbound = _ingest(make_mail(from_addr="cust_a@example.com", subject=f"Re: [{old.number}] 又坏了"), box)
    old.refresh_from_db()
    assert old.status == Status.CLOSED
    assert inbound.outcome == Outcome.CREATED and inbound.ticket_id != old.id
    assert TicketLink.objects.filter(source=inbound.ticket, target=old, kind="related").exists()


def test_auto_reply_never_reopens(world: World) -> None:
    box = mailbox()
    ticket = place(make_ticket(world), Status.CLOSED, world)
    inbound = _ingest(make_mail(from_addr="cust_a@example.com", subject=f"自动回复：[{ticket.number}]",
                                headers={"Auto-Submitted": "auto-replied"}), box)
    ticket.refresh_from_db()
    assert inbound.outcome == Outcome.MACHINE and ticket.status == Status.CLOSED
    assert Ticket.objects.count() == 1


def test_customer_answer_resumes_a_waiting_request(world: World) -> None:
    ticket = place(make_ticket(world), Status.WAITING_CUSTOMER, world)
    _ingest(make_mail(from_addr="cust_a@example.com", subject=f"[{ticket.number}] 日志见附件"), mailbox())
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_attachments_are_stored_and_refused_types_are_named(world: World) -> None:
    raw = make_mail(from_addr="cust_a@example.com", body="截图和日志见附件。" + GBK_ONLY, attachments=[
        ("filename*=UTF-8''%E6%88%AA%E5%9B%BE.png", "image/png", b"\x89PNG\r\n\x1a\n0000"),
        ('filename="tool.exe"', "application/octet-stream", b"MZ\x90\x00"),
    ])
    inbound = _ingest(raw, mailbox())
    ticket = inbound.ticket
    assert ticket is not None
    assert [a.filename for a in ticket.attachments.all()] == ["截图.png"]
    assert "tool.exe" in ticket.description and GBK_ONLY in ticket.description


def test_staff_member_replying_by_mail_is_a_staff_reply(world: World) -> None:
    world.users["engineer"].email = "engineer@weibao.test"
    world.users["engineer"].save()
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    _ingest(make_mail(from_addr="engineer@weibao.test", subject=f"[{ticket.number}] 已处理"), mailbox())
    message = Message.objects.get(ticket=ticket)
    assert message.author_user == world.users["engineer"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="replied", data__by_staff=True).exists()


def test_quarantined_unknown_sender_is_processed_after_the_contact_is_added(world: World) -> None:
    held = _ingest(make_mail(from_addr="new.person@free-mail.example"),
                   mailbox(unknown_sender_policy=UnknownSenderPolicy.QUARANTINE))
    assert held.status == InboundStatus.QUARANTINED
    Contact.objects.create(organisation=world.org_a, name="新人", email="new.person@free-mail.example")
    done = mail_reprocess(inbound=held)
    assert done.status == InboundStatus.PROCESSED and done.outcome == Outcome.CREATED
    assert done.ticket is not None and done.ticket.organisation == world.org_a
