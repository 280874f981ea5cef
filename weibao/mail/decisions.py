"""One-time confirm / reject links in the resolution mail: the contact decides without signing in.

A link is a signed token naming its row, the request, the contact and the action, plus a nonce whose hash
only is stored. Opening it (GET) shows a confirmation page and changes nothing, so mail scanners that fetch
every link are harmless; the decision is the page's POST. It expires (WEIBAO_MAIL_LINK_DAYS), answers one
resolution, and the first decision spends both links of the mail.

The decision is the request's own `confirm` / `reject` transition: fired as the contact's customer account
when it has one, else by the system on the contact's behalf; a `decided_by_mail_link` event names the contact.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts.models import CUSTOMER_ROLES, Contact, User
from weibao.core import clock
from weibao.core.errors import Conflict, NotFound, ValidationFailed
from weibao.mail.models import DecisionAction, DecisionLink
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_record_event, ticket_transition
from weibao.tickets.states import Status

_SALT = "weibao.mail.decision"


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def contact_language(contact: Contact | None) -> str:
    """The language mail to this contact is written in, and its no-login pages are shown in."""
    if contact is None:
        return settings.LANGUAGE_CODE
    user = contact.user
    return (user.language if user is not None else contact.language) or settings.LANGUAGE_CODE


@transaction.atomic
def decision_links_issue(*, ticket: Ticket, contact: Contact) -> dict[str, str]:
    """A confirm and a reject token for the request's current resolution, for this contact."""
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        raise ValidationFailed(_("请求不在待确认状态。"), details={"status": [ticket.status]})
    if contact.organisation_id != ticket.organisation_id:
        raise ValidationFailed(_("联系人不属于该客户。"), details={"contact": [str(contact.pk)]})
    expires = clock.now() + timedelta(days=int(settings.MAIL_LINK_DAYS))
    tokens: dict[str, str] = {}
    for action in DecisionAction.values:
        nonce = secrets.token_urlsafe(18)
        link = DecisionLink.objects.create(nonce_hash=_hash(nonce), ticket=ticket, contact=contact, action=action,
                                           resolved_at=ticket.resolved_at, expires_at=expires)
        tokens[action] = signing.dumps([link.id, ticket.id, contact.id, action, nonce], salt=_SALT)
    return tokens


def _link_for(token: str, *, lock: bool = False) -> DecisionLink | None:
    try:
        link_id, ticket_id, contact_id, action, nonce = signing.loads(token or "", salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    qs = DecisionLink.objects.select_related("ticket", "ticket__organisation", "contact", "contact__user")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(id=link_id).first() if isinstance(link_id, int) else None
    if link is None or not isinstance(nonce, str) or not hmac.compare_digest(link.nonce_hash, _hash(nonce)):
        return None
    if (link.ticket_id, link.contact_id, link.action) != (ticket_id, contact_id, action):
        return None
    return link


@dataclass(frozen=True)
class DecisionPage:
    link: DecisionLink
    state: str  # "open", "used" (decided already, by this link or its sibling) or "moved" (request no longer awaits it)

    @property
    def ticket(self) -> Ticket:
        return self.link.ticket


def decision_link_find(token: str) -> DecisionPage | None:
    """What a link shows; None for a forged, unknown or expired one (all look the same to the visitor)."""
    link = _link_for(token)
    if link is None or link.expires_at < clock.now():
        return None
    return DecisionPage(link, _state(link))


def _state(link: DecisionLink) -> str:
    if link.used_at is not None:
        return "used"
    ticket = link.ticket
    if ticket.status != Status.RESOLVED or ticket.resolved_at != link.resolved_at:
        return "moved"
    return "open"


def _actor(contact: Contact, ticket: Ticket) -> User | None:
    user = contact.user
    if user is not None and user.is_active and user.role in CUSTOMER_ROLES and user.organisation_id == ticket.organisation_id:
        return user
    return None


@transaction.atomic
def decision_link_use(*, token: str, reason: str = "") -> DecisionLink:
    """Confirm or reject through the link (the page's POST). Single use: a second call is a Conflict."""
    link = _link_for(token, lock=True)
    if link is None or link.expires_at < clock.now():
        raise NotFound(_("链接无效或已过期。"))
    state = _state(link)
    if state == "used":
        raise Conflict(_("此链接已经使用过。"))
    if state == "moved":
        raise Conflict(_("请求状态已变化，此链接不再适用。"))
    params: dict[str, Any] = {"expected_status": Status.RESOLVED.value}
    if link.action == DecisionAction.REJECT:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed(_("请说明还存在什么问题。"), details={"reason": [_("必填。")]})
        params["reason"] = reason
    else:
        params["note"] = _("客户通过邮件中的链接确认")
    actor = _actor(link.contact, link.ticket)
    ticket = ticket_transition(actor=actor, ticket=link.ticket, transition=link.action, **params)
    now = clock.now()
    DecisionLink.objects.filter(ticket_id=link.ticket_id, resolved_at=link.resolved_at, used_at__isnull=True).update(used_at=now)
    link.used_at, link.ticket = now, ticket
    ticket_record_event(actor=actor, ticket=ticket, kind="decided_by_mail_link", data={
        "decision": link.action, "contact_id": link.contact_id, "contact": link.contact.name, "link_id": link.id,
    })
    return link
