"""Mail intake pages: staff only; customers get 404 (the area does not exist for them)."""

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


CASES = [
    Case("staff:mail-quarantine", "GET", lambda w: "/staff/mail/", STAFF_WEB, api=False),
    Case("staff:mail-message", "GET", lambda w: f"/staff/mail/{_inbound(w)}/", STAFF_WEB, api=False),
    Case("staff:mail-reprocess", "POST", lambda w: f"/staff/mail/{_inbound(w)}/reprocess/", STAFF_POST, api=False),
    Case("staff:mail-raw", "GET", lambda w: f"/staff/mail/{_inbound(w)}/raw/", STAFF_WEB, api=False),
]
