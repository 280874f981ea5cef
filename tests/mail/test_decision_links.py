"""The resolution mail's confirm / reject links: one-time, expiring, signed, no sign-in, GET shows and POST acts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import ContactFactory
from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.accounts.models import Contact
from weibao.mail.decisions import decision_links_issue
from weibao.mail.models import DecisionLink
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_transition
from weibao.tickets.states import Status

pytestmark = pytest.mark.django_db


def _resolved(world: World, contact: Contact | None = None) -> Ticket:
    ticket = place(make_ticket(world, requester=contact or world.contact_a), Status.IN_PROGRESS, world)
    return ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="propose_resolution",
                             resolution_method="configuration", resolution_text="已调整会话超时配置。")


def _url(token: str) -> str:
    return f"/portal/mail/decision/{token}/"


def _status(ticket: Ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def test_opening_the_link_changes_nothing_and_the_button_confirms_once(world: World, web: Any) -> None:
    ticket = _resolved(world)
    tokens = decision_links_issue(ticket=ticket, contact=world.contact_a)
    anonymous = web(None)
    for _ in range(3):  # a mail scanner, a link preview, the customer
        page = anonymous.get(_url(tokens["confirm"]))
        assert page.status_code == 200 and 'data-state="open"' in page.content.decode()
        assert "已调整会话超时配置。" in page.content.decode()
    assert _status(ticket) == Status.RESOLVED
    done = anonymous.post(_url(tokens["confirm"]))
    assert done.status_code == 200 and 'id="decision-done"' in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and not ticket.closed_automatically
    event = TicketEvent.objects.get(ticket=ticket, kind="decided_by_mail_link")
    assert event.actor == world.users["customer_a"]  # the contact's own customer account
    assert event.data["decision"] == "confirm" and event.data["contact_id"] == world.contact_a.id
    # spent: the same link again, and the reject link of the same mail
    again = anonymous.post(_url(tokens["confirm"]))
    assert again.status_code == 410 and 'data-state="used"' in again.content.decode()
    assert anonymous.post(_url(tokens["reject"]), {"reason": "还是不行"}).status_code == 410
    assert _status(ticket) == Status.CLOSED
    assert TicketEvent.objects.filter(ticket=ticket, kind="decided_by_mail_link").count() == 1


def test_reject_needs_a_reason_and_sends_the_request_back(world: World, web: Any) -> None:
    ticket = _resolved(world)
    tokens = decision_links_issue(ticket=ticket, contact=world.contact_a)
    client = web(None)
    empty = client.post(_url(tokens["reject"]), {"reason": "  "})
    assert empty.status_code == 400 and _status(ticket) == Status.RESOLVED
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()
    sent_back = client.post(_url(tokens["reject"]), {"reason": "导出仍然超时"})
    assert sent_back.status_code == 200 and _status(ticket) == Status.IN_PROGRESS
    moved = TicketEvent.objects.filter(ticket=ticket, kind="transitioned").latest("id")
    assert moved.data["transition"] == "reject" and moved.data["reason"] == "导出仍然超时"


def test_contact_without_an_account_decides_through_the_link(world: World, web: Any) -> None:
    contact = ContactFactory(organisation=world.org_a, name="王工", email="wang@orga.example.cn", user=None)
    ticket = _resolved(world, contact)
    tokens = decision_links_issue(ticket=ticket, contact=contact)
    assert web(None).post(_url(tokens["confirm"])).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and not ticket.closed_automatically
    event = TicketEvent.objects.get(ticket=ticket, kind="decided_by_mail_link")
    assert event.actor is None and event.data["contact"] == "王工"


def test_forged_expired_and_outdated_links_do_nothing(world: World, web: Any) -> None:
    ticket = _resolved(world)
    tokens = decision_links_issue(ticket=ticket, contact=world.contact_a)
    client = web(None)
    head, _, tail = tokens["confirm"].rpartition(":")
    forged = head + ":" + ("A" if tail[0] != "A" else "B") + tail[1:]
    assert client.get(_url(forged)).status_code == 404
    assert client.post(_url(forged)).status_code == 404
    assert client.get(_url("not-a-token")).status_code == 404
    # a valid signature for a row whose nonce does not match (the row was re-issued) is refused too
    link = DecisionLink.objects.get(action="confirm")
    DecisionLink.objects.filter(pk=link.pk).update(nonce_hash="0" * 64)
    assert client.post(_url(tokens["confirm"])).status_code == 404
    # expired
    DecisionLink.objects.filter(action="reject").update(expires_at=ticket.resolved_at - timedelta(seconds=1))
    assert client.post(_url(tokens["reject"]), {"reason": "x"}).status_code == 404
    assert _status(ticket) == Status.RESOLVED
    # a link of an earlier resolution: the request was sent back and resolved again meanwhile
    newer = _resolved(world)
    old = decision_links_issue(ticket=newer, contact=world.contact_a)
    ticket_transition(actor=world.users["engineer"], ticket=newer, transition="reject", reason="内部复核未通过")
    place(newer, Status.IN_PROGRESS, world)
    ticket_transition(actor=world.users["engineer"], ticket=newer, transition="propose_resolution",
                      resolution_method="configuration", resolution_text="第二次修复。")
    page = client.get(_url(old["confirm"]))
    assert page.status_code == 200 and 'data-state="moved"' in page.content.decode()
    assert client.post(_url(old["confirm"])).status_code == 410 and _status(newer) == Status.RESOLVED


def test_page_speaks_the_recipients_language(world: World, web: Any) -> None:
    user = world.users["customer_a"]
    user.language = "en"
    user.save()
    ticket = _resolved(world)
    tokens = decision_links_issue(ticket=ticket, contact=world.contact_a)
    page = web(None).get(_url(tokens["reject"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Send back" in page and "退回处理" not in page, page
    chooser = web(None)
    chooser.cookies["django_language"] = "zh-hans"  # the visitor picked a language with the switcher: theirs wins
    assert "退回处理" in chooser.get(_url(tokens["reject"])).content.decode()


def test_links_only_for_a_resolved_request_and_its_own_contact(world: World) -> None:
    from weibao.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        decision_links_issue(ticket=place(make_ticket(world), Status.IN_PROGRESS, world), contact=world.contact_a)
    with pytest.raises(ValidationFailed):
        decision_links_issue(ticket=_resolved(world), contact=world.contact_b)
    assert not DecisionLink.objects.exists()


def test_survey_link_page_speaks_the_recipients_language(world: World, web: Any) -> None:
    from weibao.tickets.services_work import ticket_survey_link

    user = world.users["customer_a"]
    user.language = "en"
    user.save()
    ticket = place(make_ticket(world), Status.CLOSED, world)
    token = ticket_survey_link(ticket=ticket)
    page = web(None).get(f"/portal/survey/{token}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Satisfaction survey" in page and "服务满意度调查" not in page
