"""`weibao check` lines for the mailboxes."""

from __future__ import annotations

from weibao.core.checks import register_check
from weibao.core.health import CheckResult, Level
from weibao.mail.models import InboundMessage, InboundStatus, Mailbox, Protocol


@register_check
def check_mailboxes() -> list[CheckResult]:
    results: list[CheckResult] = []
    for box in Mailbox.objects.filter(is_active=True):
        name = f"mailbox {box.name}"
        if box.protocol == Protocol.IMAP and not (box.imap_host and box.has_password):
            results.append(CheckResult(name, Level.FAIL, "IMAP server or password not set"))
        elif box.last_error:
            results.append(CheckResult(name, Level.WARN, f"last poll failed: {box.last_error[:200]}"))
        else:
            when = box.last_polled_at.isoformat(timespec="seconds") if box.last_polled_at else "never"
            results.append(CheckResult(name, Level.OK, f"{box.protocol} {box.address}, last poll {when}"))
    held = InboundMessage.objects.filter(status=InboundStatus.QUARANTINED).count()
    results.append(CheckResult("mail quarantine", Level.WARN if held else Level.OK,
                               f"{held} message(s) waiting in quarantine (/staff/mail/)" if held else "empty"))
    return results
