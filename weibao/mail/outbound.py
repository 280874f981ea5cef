"""Mail we send about requests: receipt (客户回执), staff replies, resolution to confirm, survey, SLA warnings.

Runs from the outbox after commit (`@outbox_batch_handler("ticket.event")`). Each mail is an OutboundMail
row keyed by event × kind × recipient, created before sending, so an outbox retry sends only what
has not gone yet. Headers thread the mails in the customer's client (Message-ID, In-Reply-To,
References) and mark automatic ones (`Auto-Submitted: auto-generated`, RFC 3834).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from weibao.accounts.models import Contact, User
from weibao.core import clock
from weibao.core.errors import Conflict, ValidationFailed
from weibao.core.outbox import outbox_batch_handler
from weibao.mail.decisions import contact_language, decision_links_issue
from weibao.mail.models import InboundMessage, Mailbox, OutboundKind, OutboundMail, OutboundStatus
from weibao.mail.tokens import reply_address
from weibao.tickets.models import Message, Ticket, TicketEvent
from weibao.tickets.services_work import ticket_survey_link
from weibao.tickets.states import Status

log = logging.getLogger(__name__)
AUTOMATIC = frozenset({OutboundKind.RECEIPT, OutboundKind.RESOLUTION, OutboundKind.SURVEY, OutboundKind.SLA_WARNING})
# "escalated" is the SLA app's warning step (data: percent of the target used, notified user ids).
SLA_KINDS = frozenset({"escalated", "sla_warning", "sla_breached"})
_ADDR = re.compile(r"<([^>]+)>")


@dataclass
class Planned:
    kind: str
    recipient: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)


def _contact_language(contact: Contact) -> str:
    return contact_language(contact)


def _link(name: str, ticket: Ticket, suffix: str = "") -> str:
    try:
        return settings.BASE_URL + reverse(name, args=[ticket.public_id]) + suffix
    except NoReverseMatch:
        return settings.BASE_URL + "/"


def planned_mails(event: TicketEvent) -> list[Planned]:
    ticket = event.ticket
    data = event.data or {}
    requester = ticket.requester
    to_customer = requester is not None and bool(requester.email) and requester.is_active
    out: list[Planned] = []
    if event.kind == "created" and to_customer:
        assert requester is not None
        out.append(Planned(OutboundKind.RECEIPT, requester.email, _contact_language(requester)))
    elif event.kind == "replied" and data.get("by_staff") and not data.get("internal") and to_customer:
        assert requester is not None
        message = Message.objects.filter(id=int(data.get("message_id") or 0)).select_related("author_user").first()
        if message is not None and not message.internal:
            author = message.author_user
            out.append(Planned(OutboundKind.REPLY, requester.email, _contact_language(requester),
                               {"message": message, "author": (author.display_name or author.username) if author else ""}))
    elif event.kind == "transitioned" and to_customer:
        assert requester is not None
        # The one-time links are issued when the mail is actually sent (`_one_time_links`), not when planned.
        if data.get("to") == "resolved":
            out.append(Planned(OutboundKind.RESOLUTION, requester.email, _contact_language(requester)))
        elif data.get("to") == "closed":
            out.append(Planned(OutboundKind.SURVEY, requester.email, _contact_language(requester)))
    elif event.kind in SLA_KINDS:
        people: list[User] = []
        if event.kind == "escalated" and data.get("notified"):
            people = list(User.objects.filter(id__in=[int(i) for i in data["notified"]], is_active=True).order_by("id"))
        elif ticket.assignee is not None:
            people.append(ticket.assignee)
        elif ticket.team is not None:
            people += list(ticket.team.members.filter(is_active=True).order_by("id"))
        breached = event.kind == "sla_breached" or float(data.get("percent") or 0) >= 100
        for person in people:
            if person.email and person.is_staff_member:
                out.append(Planned(OutboundKind.SLA_WARNING, person.email.lower(), person.language or settings.LANGUAGE_CODE,
                                   {"staff_url": _link("staff:ticket-detail", ticket), "breached": breached, "data": data}))
    return out


def _sender_mailbox(ticket: Ticket) -> Mailbox | None:
    first = InboundMessage.objects.filter(ticket=ticket, mailbox__isnull=False).select_related("mailbox").order_by("id").first()
    if first is not None and first.mailbox is not None and first.mailbox.is_active:
        return first.mailbox
    return Mailbox.objects.filter(is_active=True, is_default=True).first()


def _from_address() -> str:
    m = _ADDR.search(settings.DEFAULT_FROM_EMAIL)
    return (m.group(1) if m else settings.DEFAULT_FROM_EMAIL).strip()


def _subject(kind: str, ticket: Ticket, context: dict[str, Any]) -> str:
    tag = f"[{ticket.number}]"
    if kind == OutboundKind.RECEIPT:
        return _("客户回执：%(tag)s %(subject)s 已受理") % {"tag": tag, "subject": ticket.subject}
    if kind == OutboundKind.REPLY:
        return _("回复：%(tag)s %(subject)s") % {"tag": tag, "subject": ticket.subject}
    if kind == OutboundKind.RESOLUTION:
        return _("请确认：%(tag)s %(subject)s 已解决") % {"tag": tag, "subject": ticket.subject}
    if kind == OutboundKind.SURVEY:
        return _("满意度调查：%(tag)s %(subject)s") % {"tag": tag, "subject": ticket.subject}
    if context.get("breached"):
        return _("SLA 已超时：%(tag)s %(subject)s") % {"tag": tag, "subject": ticket.subject}
    return _("SLA 预警：%(tag)s %(subject)s") % {"tag": tag, "subject": ticket.subject}


def _thread_headers(ticket: Ticket, row: OutboundMail) -> dict[str, str]:
    """In-Reply-To the customer's latest mail on the request (else our previous mail), References the chain."""
    inbound = list(InboundMessage.objects.filter(ticket=ticket).exclude(message_id="").order_by("id").values_list("message_id", flat=True)[:1])
    latest_in = InboundMessage.objects.filter(ticket=ticket).exclude(message_id="").order_by("-id").values_list("message_id", flat=True).first()
    earlier = OutboundMail.objects.filter(ticket=ticket, recipient=row.recipient).exclude(id=row.id).order_by("id")
    first_out = earlier.values_list("message_id", flat=True).first()
    last_out = earlier.order_by("-id").values_list("message_id", flat=True).first()
    root = inbound[0] if inbound else first_out
    parent = latest_in or last_out
    chain = [m for m in dict.fromkeys([root, last_out, parent]) if m]
    headers: dict[str, str] = {}
    if parent:
        headers["In-Reply-To"] = f"<{parent}>"
    if chain:
        headers["References"] = " ".join(f"<{m}>" for m in chain)
    return headers


def _row(event: TicketEvent, plan: Planned, domain: str) -> OutboundMail:
    key = f"{event.id}:{plan.kind}:{plan.recipient}"
    existing = OutboundMail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    message_id = f"wb.{event.ticket_id}.{event.id}.{plan.kind}.{secrets.token_hex(4)}@{domain}"
    try:
        with transaction.atomic():
            return OutboundMail.objects.create(key=key, ticket_id=event.ticket_id, event_id=event.id, kind=plan.kind,
                                               recipient=plan.recipient, language=plan.language, message_id=message_id)
    except IntegrityError:
        return OutboundMail.objects.get(key=key)


def _url(name: str, token: str) -> str:
    return settings.BASE_URL + reverse(name, args=[token])


def _one_time_links(plan: Planned, ticket: Ticket) -> dict[str, str] | None:
    """No-login links for the resolution and survey mails, issued as the mail goes out (a retry issues fresh ones:
    the failed attempt's never reached anyone). None: the mail no longer applies (decided, or rated, meanwhile)."""
    requester = ticket.requester
    if plan.kind == OutboundKind.RESOLUTION:
        if requester is None or ticket.status != Status.RESOLVED:
            return None
        tokens = decision_links_issue(ticket=ticket, contact=requester)
        return {"confirm_url": _url("portal:mail-decision", tokens["confirm"]),
                "reject_url": _url("portal:mail-decision", tokens["reject"])}
    if plan.kind == OutboundKind.SURVEY:
        try:
            token = ticket_survey_link(ticket=ticket)  # the request's one-time, expiring survey token
        except (ValidationFailed, Conflict):
            return None  # reopened, or already rated in the portal
        return {"survey_url": _url("portal:survey", token)}
    return {}


def mail_send(*, event: TicketEvent, plan: Planned) -> OutboundMail:
    """Send one planned mail unless it went already. Raises when the SMTP server refuses (outbox retries)."""
    ticket = event.ticket
    mailbox = _sender_mailbox(ticket)
    from_addr = mailbox.address if mailbox is not None else _from_address()
    domain = from_addr.rpartition("@")[2] or "localhost"
    row = _row(event, plan, domain)
    if row.status != OutboundStatus.PENDING:
        return row
    links = _one_time_links(plan, ticket)
    if links is None:
        row.status, row.last_error = OutboundStatus.SKIPPED, ""
        row.save(update_fields=["status", "last_error"])
        return row
    with translation.override(plan.language):
        context = {"ticket": ticket, "vendor": settings.VENDOR_NAME, "base_url": settings.BASE_URL, **plan.context,
                   **links, "link_days": settings.MAIL_LINK_DAYS, "portal_url": _link("portal:ticket-detail", ticket)}
        subject = _subject(plan.kind, ticket, plan.context)
        body = render_to_string(f"mail/out/{plan.kind}.txt", context)
    headers = {"Message-ID": f"<{row.message_id}>", "X-Weibao-Ticket": ticket.number, **_thread_headers(ticket, row)}
    if plan.kind in AUTOMATIC:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"  # asks Exchange/Outlook not to answer with out-of-office
    email = EmailMessage(
        subject=subject, body=body, from_email=f"{settings.VENDOR_NAME} <{from_addr}>", to=[plan.recipient],
        reply_to=[reply_address(from_addr, ticket.id)], headers=headers,
    )
    row.subject = subject[:500]
    row.attempts += 1
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.save(update_fields=["subject", "attempts", "last_error"])
        raise
    row.status, row.sent_at, row.last_error = OutboundStatus.SENT, clock.now(), ""
    row.save(update_fields=["subject", "attempts", "last_error", "status", "sent_at"])
    return row


PASS_SECONDS = 60  # mail sent per delivery pass before the rest of the pass's events are retried


class MailPassDeferred(Exception):
    """The pass's time for mail ran out before this event's mails: the outbox retries it shortly."""


_EVENT_RELATED = ("ticket", "ticket__requester", "ticket__requester__user", "ticket__assignee", "ticket__team")


@outbox_batch_handler("ticket.event")
def on_ticket_events(payloads: list[dict[str, Any]]) -> dict[str, Exception]:
    """The mails of a pass's events (events read in one query). An event with a refused mail is reported by its
    key, after every other recipient was tried, so the outbox retries it alone (sent rows are not sent twice)."""
    keys = {int(p["event_id"]): str(p.get("_key") or p["event_id"]) for p in payloads if p.get("event_id")}
    events = TicketEvent.objects.select_related(*_EVENT_RELATED).filter(id__in=list(keys)).order_by("id")
    failures: dict[str, Exception] = {}
    started = time.monotonic()
    for i, event in enumerate(events):
        if i and time.monotonic() - started > PASS_SECONDS:
            # A slow or hanging SMTP server (20 s a refusal) must not hold the pass's claims past the outbox's
            # claim timeout, when another worker would take them over and send the same mails again.
            failures[keys[event.id]] = MailPassDeferred(f"the pass's {PASS_SECONDS} s for mail ran out; retried shortly")
            continue
        problems: list[str] = []
        for plan in planned_mails(event):
            try:
                mail_send(event=event, plan=plan)
            except Exception as exc:  # noqa: BLE001 - try every recipient, then fail so the outbox retries the rest
                problems.append(f"{plan.kind} → {plan.recipient}: {exc}")
        if problems:
            failures[keys[event.id]] = RuntimeError("; ".join(problems))
    return failures
