"""Quoted history and signatures cut from mail are shown collapsed in the request's conversation, escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.personas import World
from weibao.mail.models import InboundMessage
from weibao.mail.services import mail_ingest
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

OPENING = "报表导出失败，请协助。\n\n--\n甲联系人\n信息中心 <b>值班</b>"
REPLY = ("补充：清除缓存后仍然白屏。\n\n在 2026年3月2日 09:30，维保 <support@weibao.test> 写道：\n"
         "> 旧的回复 <script>alert(1)</script>\n> 第二行")


def _thread(world: World) -> Ticket:
    box = mailbox()
    first = mail_ingest(raw=make_mail(from_addr="cust_a@example.com", subject="报表导出失败", body=OPENING,
                                      message_id="<open@example.com>"), mailbox=box).inbound
    mail_ingest(raw=make_mail(from_addr="cust_a@example.com", subject="回复：报表导出失败", body=REPLY,
                              message_id="<reply@example.com>",
                              headers={"In-Reply-To": "<open@example.com>", "References": "<open@example.com>"}), mailbox=box)
    ticket = Ticket.objects.get(id=first.ticket_id)
    ticket_reply(actor=world.users["engineer"], ticket=ticket, body="请提供截图。", channel="portal")
    return ticket


def _details(page: str) -> list[str]:
    return re.findall(r'<details class="mail-(?:quoted|signature)"><summary>[^<]*</summary><pre>(.*?)</pre></details>', page, re.S)


@pytest.mark.parametrize(("persona", "url"), [("engineer", "/staff/tickets/{}/"), ("customer_a", "/portal/tickets/{}/")])
def test_quoted_history_and_signature_are_collapsed_in_the_conversation(world: World, web: Any, persona: str, url: str) -> None:
    ticket = _thread(world)
    page = web(world.users[persona]).get(url.format(ticket.public_id)).content.decode()
    # new text in the conversation, the rest folded away under it
    assert "补充：清除缓存后仍然白屏。" in page and "报表导出失败，请协助。" in page
    shown = _details(page)
    assert len(shown) == 2, shown  # the opening mail's signature, the reply's quoted history
    assert "--\n甲联系人\n信息中心 &lt;b&gt;值班&lt;/b&gt;" in shown[0]
    assert "&gt; 旧的回复 &lt;script&gt;alert(1)&lt;/script&gt;" in shown[1]
    assert "<script>alert(1)" not in page and "<b>值班" not in page
    # each sits after the text it was cut from
    assert page.index("报表导出失败，请协助。") < page.index("信息中心 &lt;b&gt;") < page.index("补充：清除缓存后仍然白屏。") \
        < page.index("旧的回复") < page.index("请提供截图。")


def test_other_organisation_sees_none_of_it(world: World, web: Any) -> None:
    ticket = _thread(world)
    response = web(world.users["customer_b"]).get(f"/portal/tickets/{ticket.public_id}/")
    assert response.status_code == 404 and "旧的回复" not in response.content.decode()


def test_conversation_extras_cost_one_query_whatever_the_number_of_mails(world: World, web: Any) -> None:
    ticket = _thread(world)
    client = web(world.users["engineer"])
    url = f"/staff/tickets/{ticket.public_id}/"
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(5):
        mail_ingest(raw=make_mail(from_addr="cust_a@example.com", subject="回复：报表导出失败", body=f"第{i}次补充\n\n> 引用{i}",
                                  message_id=f"<more-{i}@example.com>", headers={"In-Reply-To": "<reply@example.com>"}),
                    mailbox=InboundMessage.objects.first().mailbox)  # type: ignore[union-attr]
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert len(_details(page)) == 7
    mail_queries = [q for q in after.captured_queries if "mail_inboundmessage" in q["sql"]]
    assert len(mail_queries) == 1
    assert len(after) <= len(before) + 2  # the five messages' attachments/authors come prefetched
