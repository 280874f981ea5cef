"""What a processed message does to requests: machine mail is recorded, human mail threads or opens one."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from weibao.core.errors import DomainError, TransitionNotAllowed
from weibao.mail.lookups import IngestLookups
from weibao.mail.models import InboundMessage, OutboundMail, OutboundStatus, Outcome, UnknownSenderPolicy
from weibao.mail.parsing import ParsedMail
from weibao.mail.senders import Sender, resolve_sender
from weibao.mail.threads import _by_references, thread_for
from weibao.tickets.attachments import IncomingFile, checked
from weibao.tickets.models import Ticket
from weibao.tickets.services import (
    ticket_attach,
    ticket_create,
    ticket_link,
    ticket_record_event,
    ticket_reply,
    ticket_transition,
)
from weibao.tickets.states import Status

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|回复|答复|回覆|转发|轉寄|转寄)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_TAG = re.compile(r"\[\s*SR-\d{4}-\d{4,}\s*\]", re.IGNORECASE)
_TEMPORARY = ("delayed", "relayed", "delivered", "expanded")


def machine_mail(*, inbound: InboundMessage, parsed: ParsedMail, lookups: IngestLookups | None = None) -> str:
    """Machine mail never opens or reopens a request; a bounce of our mail is put on its request."""
    report = parsed.report
    ids = [*(report.original_message_ids if report else []), *parsed.thread_ids]
    permanent = report is None or (report.action not in _TEMPORARY and not report.status.startswith("4."))
    if parsed.machine.kind == "bounce" and ids and permanent:
        outs = list(OutboundMail.objects.filter(message_id__in=ids).select_related("ticket"))
        for out in outs:
            if out.status == OutboundStatus.BOUNCED:
                continue  # the same bounce seen again (reprocessing, a second copy)
            out.status = OutboundStatus.BOUNCED
            out.last_error = (report.diagnostic or report.status if report else parsed.machine.reason)[:2000]
            out.save(update_fields=["status", "last_error"])
            ticket_record_event(actor=None, ticket=out.ticket, kind="delivery_failed", data={
                "recipient": out.recipient, "mail_kind": out.kind, "message_id": out.message_id,
                "status": report.status if report else "", "diagnostic": report.diagnostic if report else "",
                "inbound_id": inbound.id,
            })
        if outs:
            inbound.ticket = outs[0].ticket
            return Outcome.DELIVERY_FAILURE
    # An auto-reply to our mail is shown with its request, but changes nothing there.
    inbound.ticket = _by_references(parsed.thread_ids, lookups)
    return Outcome.MACHINE


def _clean_subject(subject: str) -> str:
    return _TAG.sub("", _REPLY_PREFIX.sub("", subject or "")).strip()


def _files(parsed: ParsedMail) -> tuple[list[IncomingFile], list[str]]:
    """Attachments the request may hold; the others are named in the text (the raw mail keeps them)."""
    ok: list[IncomingFile] = []
    notes: list[str] = []
    for att in parsed.attachments:
        item = IncomingFile(att.filename, att.data)
        try:
            checked([item])
        except DomainError as exc:
            notes.append(_("附件“%(name)s”未保存：%(why)s（原始邮件已保留）") % {"name": att.filename, "why": exc.message})
            continue
        ok.append(item)
    return ok, notes


def _body(parsed: ParsedMail, sender: Sender, *, named: bool, notes: list[str]) -> str:
    parts = []
    if named:
        who = f"{sender.name}（{sender.address}）" if sender.name else sender.address
        parts.append(_("来信人：%(who)s") % {"who": who})
    parts.append(parsed.new_text or "")
    parts += [f"_{n}_" for n in notes]
    return "\n\n".join(p for p in parts if p.strip()).strip()


def _reply(inbound: InboundMessage, parsed: ParsedMail, ticket: Ticket, sender: Sender) -> None:
    contact = sender.contact if sender.contact and sender.contact.organisation_id == ticket.organisation_id else None
    actor = sender.actor_for(ticket.organisation_id)
    files, notes = _files(parsed)
    body = _body(parsed, sender, named=contact is None and actor is None, notes=notes)
    if not body and not files:
        body = _("（邮件无正文）")
    message = ticket_reply(actor=actor, ticket=ticket, body=body, contact=contact, channel="email", attachments=files)
    inbound.ticket, inbound.ticket_message, inbound.contact = ticket, message, contact


def _new_request(inbound: InboundMessage, parsed: ParsedMail, sender: Sender, quarantine: type[Exception],
                 previous: Ticket | None = None) -> Ticket:
    if sender.contact is not None:
        organisation, unverified = sender.contact.organisation, False
    elif previous is not None:
        organisation, unverified = previous.organisation, True
    else:
        mailbox = inbound.mailbox
        if mailbox is None:
            raise quarantine(_("发件人 %(addr)s 不是已知联系人，其域名也不属于任何客户；导入时未指定邮箱，无法决定如何处理") % {"addr": sender.address})
        if mailbox.unknown_sender_policy == UnknownSenderPolicy.QUARANTINE:
            raise quarantine(_("发件人 %(addr)s 不是已知联系人，其域名也不属于任何客户（邮箱设置：陌生来信放入隔离区）") % {"addr": sender.address})
        if mailbox.fallback_organisation is None:
            raise quarantine(_("发件人 %(addr)s 未知，邮箱“%(box)s”未设置未验证来信的归属组织") % {"addr": sender.address, "box": mailbox.name})
        organisation, unverified = mailbox.fallback_organisation, True
    files, notes = _files(parsed)
    subject = _clean_subject(parsed.subject) or (parsed.new_text.strip().splitlines() or [""])[0][:60] or _("（无主题）")
    requester = sender.contact if not unverified else None
    description = _body(parsed, sender, named=requester is None, notes=notes)
    ticket = ticket_create(actor=None, organisation=organisation, subject=subject[:300], description=description,
                           channel="email", requester=requester, unverified_requester=unverified)
    if files:
        ticket_attach(actor=None, ticket=ticket, attachments=files)
    if previous is not None:
        ticket_link(actor=None, ticket=ticket, other=previous, kind="related")
    inbound.ticket, inbound.contact = ticket, requester
    return ticket


def human_mail(*, inbound: InboundMessage, parsed: ParsedMail, quarantine: type[Exception],
               lookups: IngestLookups | None = None) -> str:
    lookups = lookups or IngestLookups()
    if parsed.from_addr in lookups.our_addresses():
        inbound.ticket = _by_references(parsed.thread_ids, lookups)
        return Outcome.MACHINE  # our own mail come back (a forwarding loop): never a request
    twin = None if lookups.no_twin(inbound) else (
        InboundMessage.objects.filter(dedupe_key=inbound.dedupe_key, ticket__isnull=False).exclude(id=inbound.id)
        .select_related("ticket").first()
    )
    if twin is not None:
        # The same mail reached another of our addresses: one request, not two.
        inbound.ticket, inbound.ticket_message, inbound.contact = twin.ticket, twin.ticket_message, twin.contact
        return Outcome.DUPLICATE
    match = thread_for(parsed, envelope_to=list(inbound.envelope_to or []), lookups=lookups)
    sender = resolve_sender(address=parsed.from_addr, name=parsed.from_name,
                            organisation_id=match.ticket.organisation_id if match else None, lookups=lookups)
    if match is None:
        _new_request(inbound, parsed, sender, quarantine)
        return Outcome.CREATED
    ticket = match.ticket
    if Status(ticket.status) in (Status.CLOSED, Status.DECLINED):
        if Status(ticket.status) == Status.CLOSED:
            try:
                ticket = ticket_transition(actor=sender.actor_for(ticket.organisation_id), ticket=ticket, transition="reopen",
                                           note=_("客户来信"))
            except TransitionNotAllowed:
                ticket = None  # type: ignore[assignment]
            if ticket is not None:
                _reply(inbound, parsed, ticket, sender)
                return Outcome.REOPENED
        _new_request(inbound, parsed, sender, quarantine, previous=match.ticket)
        return Outcome.CREATED
    _reply(inbound, parsed, ticket, sender)
    return Outcome.JOINED
