"""The staff quarantine pages: list, message with collapsed history, reprocess, raw download."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.personas import World
from weibao.mail.models import InboundMessage, InboundStatus, UnknownSenderPolicy
from weibao.mail.services import mail_ingest

pytestmark = pytest.mark.django_db


def test_quarantined_mail_is_listed_shown_and_released(world: World, web: Any) -> None:
    box = mailbox(unknown_sender_policy=UnknownSenderPolicy.QUARANTINE)
    body = "请帮忙看看。\n\n在 2026年3月1日，维保 写道：\n> 旧内容"
    held = mail_ingest(raw=make_mail(from_addr="stranger@free-mail.example", subject="陌生来信", body=body), mailbox=box).inbound
    assert held.status == InboundStatus.QUARANTINED
    client = web(world.users["engineer"])
    listing = client.get("/staff/mail/").content.decode()
    assert "陌生来信" in listing and "stranger@free-mail.example" in listing
    page = client.get(f"/staff/mail/{held.id}/").content.decode()
    assert "stranger@free-mail.example" in page and "请帮忙看看。" in page
    assert "<details><summary>" in page and "旧内容" in page
    raw = client.get(f"/staff/mail/{held.id}/raw/")
    assert raw["Content-Type"] == "message/rfc822" and b"Subject:" in raw.content
    # staff decide: the sender belongs to org A
    world.org_a.email_domains = "free-mail.example"
    world.org_a.save()
    response = client.post(f"/staff/mail/{held.id}/reprocess/")
    assert response.status_code == 302
    held = InboundMessage.objects.get(id=held.id)
    assert held.status == InboundStatus.PROCESSED and held.ticket is not None and held.ticket.organisation == world.org_a
    assert "陌生来信" not in client.get("/staff/mail/").content.decode()


def test_quarantine_list_uses_a_fixed_number_of_queries(world: World, web: Any, django_assert_max_num_queries: Any) -> None:
    box = mailbox(unknown_sender_policy=UnknownSenderPolicy.QUARANTINE)
    for i in range(60):
        mail_ingest(raw=make_mail(from_addr=f"s{i}@free-mail.example", subject=f"第{i}封"), mailbox=box)
    client = web(world.users["manager"])
    with django_assert_max_num_queries(8):
        page = client.get("/staff/mail/").content.decode()
    assert "第59封" in page and "第9封" not in page and "before=" in page


@pytest.mark.parametrize("persona", ["engineer", "manager", "admin"])
def test_staff_navigation_links_to_the_mail_pages(world: World, web: Any, persona: str) -> None:
    page = web(world.users[persona]).get("/staff/").content.decode()
    assert 'href="/staff/mail/" data-nav="mail"' in page
    mail = web(world.users[persona]).get("/staff/mail/").content.decode()
    # only administrators configure mailboxes (Django admin)
    assert ('id="mailbox-settings"' in mail) is (persona == "admin")


def test_customers_see_no_mail_navigation(world: World, web: Any) -> None:
    page = web(world.users["customer_a"]).get("/portal/").content.decode()
    assert "/staff/mail/" not in page
