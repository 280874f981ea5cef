from __future__ import annotations

from datetime import timedelta

from huey.contrib.djhuey import db_task

from weibao.core import clock
from weibao.mail.imap import mailbox_poll
from weibao.mail.models import Mailbox, Protocol


@db_task(retries=0)
def mailbox_poll_task(mailbox_id: int) -> None:
    mailbox = Mailbox.objects.filter(id=mailbox_id, is_active=True).first()
    if mailbox is not None:
        mailbox_poll(mailbox=mailbox)


def mailbox_poll_due() -> int:
    """Queue a poll of each IMAP mailbox that no IDLE process (`weibao mail poll --idle`) is keeping fresh."""
    stale = clock.now() - timedelta(minutes=3)
    due = Mailbox.objects.filter(is_active=True, protocol=Protocol.IMAP)
    ids = [m.id for m in due if not m.use_idle or m.last_polled_at is None or m.last_polled_at < stale]
    for mailbox_id in ids:
        mailbox_poll_task(mailbox_id)
    return len(ids)
