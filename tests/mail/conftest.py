from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.servers import Dovecot, SmtpSink, dovecot_binary


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd): the real-IMAP tests need it")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
