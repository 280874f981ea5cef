"""Mail intake pages: staff only; customers get 404 (the area does not exist for them).

The resolution mail's one-time decision links work for whoever holds the token, signed in or not (like the
survey link): the token is the credential, tied to one request and one contact.
"""

from __future__ import annotations

from tests.personas import World
from tests.tenancy.matrix import Case, expect

STAFF_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
STAFF_POST = expect(404, anonymous=302, engineer=302, manager=302, admin=302)


def _inbound(w: World) -> int:
    """A received (unprocessed) message with its raw file, made once per world."""
    if "mail_inbound" not in w.extra:
        from weibao.mail.models import Source
        from weibao.mail.services import mail_receive

        raw = b"From: cust_a@example.com\r\nSubject: =?utf-8?B?5rWL6K+V?=\r\nMessage-ID: <tenancy@example.com>\r\n\r\nbody\r\n"
        w.extra["mail_inbound"] = mail_receive(raw=raw, mailbox=None, source=Source.IMPORT).inbound.id
    return int(w.extra["mail_inbound"])


def _decision_token(w: World, action: str) -> str:
    """A confirm / reject token for org A's resolved request and its requester, issued once per world."""
    key = f"decision_{action}"
    if key not in w.extra:
        from tests.tenancy.cases_tickets import resolved, ticket
        from weibao.mail.decisions import decision_links_issue
        from weibao.tickets.models import Ticket

        resolved(w)
        tokens = decision_links_issue(ticket=Ticket.objects.get(pk=ticket(w).pk), contact=w.contact_a)
        w.extra["decision_confirm"], w.extra["decision_reject"] = tokens["confirm"], tokens["reject"]
    return str(w.extra[key])


def _closed_by_link(w: World, persona: str, response: object) -> None:
    from tests.tenancy.cases_tickets import ticket
    from weibao.tickets.models import Ticket

    assert Ticket.objects.get(pk=ticket(w).pk).status == "closed", persona


CASES = [
    Case("staff:mail-quarantine", "GET", lambda w: "/staff/mail/", STAFF_WEB, api=False),
    Case("staff:mail-message", "GET", lambda w: f"/staff/mail/{_inbound(w)}/", STAFF_WEB, api=False),
    Case("staff:mail-reprocess", "POST", lambda w: f"/staff/mail/{_inbound(w)}/reprocess/", STAFF_POST, api=False),
    Case("staff:mail-raw", "GET", lambda w: f"/staff/mail/{_inbound(w)}/raw/", STAFF_WEB, api=False),
    Case("portal:mail-decision", "GET", lambda w: f"/portal/mail/decision/{_decision_token(w, 'confirm')}/", expect(200),
         api=False),
    Case("portal:mail-decision", "GET", lambda w: "/portal/mail/decision/not-a-token/", expect(404), api=False,
         name="bad token"),
    Case("portal:mail-decision", "POST", lambda w: f"/portal/mail/decision/{_decision_token(w, 'confirm')}/", expect(200),
         api=False, fmt="form", body=lambda w: {}, check=_closed_by_link),
    Case("portal:mail-decision", "POST", lambda w: f"/portal/mail/decision/{_decision_token(w, 'reject')}/", expect(200),
         api=False, fmt="form", body=lambda w: {"reason": "仍然报错"}, name="reject"),
    Case("portal:mail-decision", "POST", lambda w: "/portal/mail/decision/not-a-token/", expect(404), api=False,
         fmt="form", body=lambda w: {}, name="bad token"),
]
