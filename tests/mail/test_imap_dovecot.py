"""IMAP intake against a real Dovecot server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.mail.factories import mailbox
from tests.mail.samples import make_mail
from tests.mail.servers import Dovecot
from weibao.mail import services
from weibao.mail.imap import PROCESSED_FLAG, mailbox_idle, mailbox_poll
from weibao.mail.models import InboundMessage, Mailbox, ProcessedAction, Protocol, Security
from weibao.mail.parsing import parse_message
from weibao.mail.storage import raw_read

pytestmark = [pytest.mark.slow]


def _account(dovecot: Dovecot, **kwargs: Any) -> tuple[Mailbox, IMAPClient]:
    user = dovecot.take_user()
    box = mailbox(
        name=user, address=f"{user}@weibao.test", protocol=Protocol.IMAP, imap_host="127.0.0.1",
        imap_port=dovecot.port, imap_user=user, password="s3cret-口令", **kwargs,
    )
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10)
    client.plain_login(user, "s3cret-口令")
    return box, client


def _subjects(client: IMAPClient, folder: str) -> list[str]:
    client.select_folder(folder)
    uids = client.search("ALL")
    data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return sorted(parse_message(d[b"BODY[]"]).subject for d in data.values())


@pytest.mark.django_db
def test_poll_stores_every_message_then_moves_it(dovecot: Dovecot) -> None:
    box, client = _account(dovecot)
    for subject in ("自动回复：休假中", "Out of Office", "退订通知"):
        client.append("INBOX", make_mail(subject=subject, charset="gb2312", codec="gbk", headers={"Precedence": "bulk"}))
    result = mailbox_poll(mailbox=box)
    assert result.error == "" and result.fetched == 3 and result.new == 3
    rows = list(InboundMessage.objects.filter(mailbox=box))
    assert sorted(r.subject for r in rows) == ["Out of Office", "自动回复：休假中", "退订通知"]
    for row in rows:
        assert parse_message(raw_read(row.raw_path)).subject == row.subject
    assert _subjects(client, "INBOX") == []
    assert _subjects(client, box.processed_folder.replace("/", ".")) == ["Out of Office", "自动回复：休假中", "退订通知"]
    # polling again finds nothing new
    assert mailbox_poll(mailbox=box).fetched == 0
    client.logout()


@pytest.mark.django_db
def test_flag_mode_leaves_mail_in_place_and_skips_it_next_time(dovecot: Dovecot) -> None:
    box, client = _account(dovecot, processed_action=ProcessedAction.FLAG)
    client.append("INBOX", make_mail(subject="标记模式", headers={"Precedence": "bulk"}))
    assert mailbox_poll(mailbox=box).new == 1
    client.select_folder("INBOX")
    flags = list(client.get_flags(client.search("ALL")).values())
    assert len(flags) == 1 and PROCESSED_FLAG.encode() in flags[0]
    assert b"\\Seen" not in flags[0]  # fetched with BODY.PEEK: people reading the mailbox still see it unread
    assert mailbox_poll(mailbox=box).fetched == 0
    client.logout()


@pytest.mark.django_db
def test_nothing_leaves_the_server_when_storing_fails(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    box, client = _account(dovecot)
    client.append("INBOX", make_mail(subject="磁盘已满时的来信"))

    def disk_full(raw: bytes, **kw: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "raw_store", disk_full)
    result = mailbox_poll(mailbox=box)
    assert "No space left" in result.error
    assert InboundMessage.objects.count() == 0
    assert _subjects(client, "INBOX") == ["磁盘已满时的来信"]
    box.refresh_from_db()
    assert "No space left" in box.last_error
    monkeypatch.undo()
    assert mailbox_poll(mailbox=box).new == 1
    assert _subjects(client, "INBOX") == []
    client.logout()


@pytest.mark.django_db
def test_wrong_password_is_reported_on_the_mailbox(dovecot: Dovecot) -> None:
    box, client = _account(dovecot)
    client.logout()
    box.password_encrypted = ""
    box.password_env = "WEIBAO_TEST_UNSET_PASSWORD_VAR"
    box.save()
    result = mailbox_poll(mailbox=box)
    assert "WEIBAO_TEST_UNSET_PASSWORD_VAR" in result.error
    box.password_env = ""
    box.password_file = "/nonexistent/secret"
    box.save()
    assert "/nonexistent/secret" in mailbox_poll(mailbox=box).error


@pytest.mark.django_db(transaction=True)
def test_idle_fetches_mail_as_it_arrives(dovecot: Dovecot) -> None:
    box, client = _account(dovecot)
    stop = threading.Event()
    worker = threading.Thread(target=mailbox_idle, kwargs={"mailbox": box, "stop": stop, "wait": 20}, daemon=True)
    worker.start()
    try:
        time.sleep(1.0)  # let it reach IDLE; the mail below must come through the IDLE notification
        client.append("INBOX", make_mail(subject="IDLE 即时收信", headers={"Precedence": "bulk"}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not InboundMessage.objects.filter(mailbox=box).exists():
            time.sleep(0.1)
        assert InboundMessage.objects.get(mailbox=box).subject == "IDLE 即时收信"
    finally:
        stop.set()
        worker.join(timeout=10)
        client.logout()
    assert not worker.is_alive()


@pytest.mark.django_db
def test_worker_schedule_polls_mailboxes_without_a_live_idle_connection(dovecot: Dovecot) -> None:
    from weibao.mail.tasks import mailbox_poll_due

    box, client = _account(dovecot, use_idle=False)
    client.append("INBOX", make_mail(subject="定时收信", headers={"Precedence": "bulk"}))
    assert mailbox_poll_due() == 1  # the test settings run queued tasks at once
    assert InboundMessage.objects.get(mailbox=box).subject == "定时收信"
    box.refresh_from_db()
    box.use_idle = True
    box.save()
    assert mailbox_poll_due() == 0  # just polled: an IDLE process is presumed to keep it fresh
    client.logout()


@pytest.mark.django_db
def test_check_reports_mailbox_problems_and_quarantine(dovecot: Dovecot) -> None:
    from weibao.core.health import Level
    from weibao.mail.checks import check_mailboxes

    box, client = _account(dovecot)
    client.logout()
    broken = mailbox(name="坏邮箱", address="broken@weibao.test", protocol=Protocol.IMAP, imap_host="")
    lines = {r.name: r for r in check_mailboxes()}
    assert lines[f"mailbox {broken.name}"].level == Level.FAIL
    assert lines[f"mailbox {box.name}"].level == Level.OK
    Mailbox.objects.filter(id=box.id).update(last_error="LoginError: bad password")
    lines = {r.name: r for r in check_mailboxes()}
    assert lines[f"mailbox {box.name}"].level == Level.WARN and "bad password" in lines[f"mailbox {box.name}"].detail
    assert lines["mail quarantine"].level == Level.OK


@pytest.mark.django_db
def test_poll_command_prints_what_it_fetched(dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.cli import main

    monkeypatch.setattr("weibao.cli._setup", lambda: None)
    box, client = _account(dovecot)
    client.append("INBOX", make_mail(subject="命令行收信", headers={"Auto-Submitted": "auto-replied"}))
    assert main(["mail", "poll", "--mailbox", box.name]) == 0
    assert f"{box.name}: fetched 1, new 1 (machine: 1)" in capsys.readouterr().out
    client.logout()


@pytest.mark.django_db
@pytest.mark.parametrize("security", [Security.SSL, Security.STARTTLS])
def test_tls_connections_verify_the_server_certificate(dovecot: Dovecot, security: str, settings: Any) -> None:
    box, client = _account(dovecot)
    client.append("INBOX", make_mail(subject="加密连接", headers={"Precedence": "bulk"}))
    client.logout()
    box.imap_security = security
    box.imap_port = dovecot.tls_port if security == Security.SSL else dovecot.port
    box.save()
    settings.MAIL_CA_FILE = ""
    refused = mailbox_poll(mailbox=box)
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error and refused.fetched == 0  # an unknown CA is refused
    settings.MAIL_CA_FILE = str(dovecot.cert_file)
    assert mailbox_poll(mailbox=box).new == 1
