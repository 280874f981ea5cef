"""`python -m weibao smtpd` as its own process: a real SMTP conversation creates a request; SIGTERM stops it cleanly.

The child shares the test database (committed rows: a transactional test) and the data directory, as a
second process of the same installation would; its queue is in memory so it leaves nothing behind.
"""

from __future__ import annotations

import signal
import smtplib
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.foundation.processes import Proc, free_port, weibao_env
from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.personas import World
from weibao.mail.models import InboundMessage, InboundStatus, Outcome
from weibao.mail.storage import raw_read

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_listening(proc: Proc, port: int, timeout: float = 90) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.popen.poll() is not None:
            raise AssertionError(f"weibao smtpd exited with {proc.popen.returncode}:\n{proc.output}")
        if f"listening on 127.0.0.1:{port}" in proc.output:
            return
        time.sleep(0.05)
    raise AssertionError(f"weibao smtpd not listening within {timeout} s:\n{proc.output}")


def test_smtpd_process_turns_an_smtp_conversation_into_a_request(world: World) -> None:
    box = mailbox()
    port = free_port()
    env = weibao_env(Path(settings.DATA_DIR), WEIBAO_DATABASE_URL=_database_url(), WEIBAO_QUEUE_URL="memory://",
                     WEIBAO_SECRET_KEY=settings.SECRET_KEY)
    proc = Proc(["smtpd", "--host", "127.0.0.1", "--port", str(port)], env)
    try:
        _wait_listening(proc, port)
        raw = make_mail(from_addr="cust_a@example.com", subject="独立进程收信", body="打印模板错位，请协助。",
                        message_id="<smtpd-process@example.com>")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            code, _banner = smtp.ehlo("client.example.com")
            assert code == 250
            refused = smtp.sendmail("cust_a@example.com", ["support+x@weibao.test"], raw)
        assert refused == {}
        # 250 came after the message was stored and processed in the child: it is all in the database now
        row = InboundMessage.objects.select_related("ticket").get(mailbox=box)
        assert row.status == InboundStatus.PROCESSED and row.outcome == Outcome.CREATED, row.error
        assert row.ticket is not None and row.ticket.subject == "独立进程收信"
        assert (row.ticket.organisation, row.ticket.requester, row.ticket.channel) == (world.org_a, world.contact_a, "email")
        assert row.envelope_from == "cust_a@example.com" and row.envelope_to == ["support+x@weibao.test"]
        assert raw_read(row.raw_path).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")

        proc.popen.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.output
        with pytest.raises(OSError):
            smtplib.SMTP("127.0.0.1", port, timeout=5)  # the port is closed again
    finally:
        proc.kill()
