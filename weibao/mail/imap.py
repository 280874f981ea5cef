"""IMAP intake: poll or IDLE, fetch without marking read, store and process, then move or flag.

A message is moved or flagged on the server only after mail_ingest has stored it, so a crash at
any point leaves it on the server and the next poll picks it up (ingestion is idempotent).
"""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from imapclient import IMAPClient

from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.mail.credentials import mailbox_password
from weibao.mail.lookups import IngestLookups
from weibao.mail.models import Mailbox, ProcessedAction, Protocol, Security, Source
from weibao.mail.services import mail_ingest

log = logging.getLogger(__name__)
PROCESSED_FLAG = "$WeibaoProcessed"
BATCH = 25


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    new: int = 0
    error: str = ""
    outcomes: dict[str, int] = field(default_factory=dict)


def mailbox_connect(mailbox: Mailbox, *, timeout: float = 30) -> IMAPClient:
    if not mailbox.imap_host:
        raise ValidationFailed(f"邮箱 {mailbox.name} 未设置 IMAP 服务器", code="mailbox_config")
    # Certificates are always verified; an internal CA is given by WEIBAO_MAIL_CA_FILE.
    context = ssl.create_default_context(cafile=settings.MAIL_CA_FILE or None)
    if mailbox.imap_security == Security.SSL:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=True, ssl_context=context, timeout=timeout)
    else:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=False, timeout=timeout)
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls(context)
    password = mailbox_password(
        encrypted=mailbox.password_encrypted, env_name=mailbox.password_env, file_path=mailbox.password_file
    )
    user = mailbox.imap_user or mailbox.address
    if password.isascii() and user.isascii():
        client.login(user, password)
    else:
        client.plain_login(user, password)  # SASL PLAIN carries UTF-8; LOGIN is ASCII-only in imaplib
    return client


def _mark_done(client: IMAPClient, mailbox: Mailbox, uids: list[int], processed: str) -> None:
    if not uids:
        return
    if mailbox.processed_action == ProcessedAction.FLAG:
        client.add_flags(uids, [PROCESSED_FLAG], silent=True)
        return
    if client.has_capability("MOVE"):
        client.move(uids, processed)
    else:
        client.copy(uids, processed)
        client.delete_messages(uids, silent=True)
        client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def _poll_selected(client: IMAPClient, mailbox: Mailbox, result: PollResult, processed: str) -> None:
    if mailbox.processed_action == ProcessedAction.FLAG:
        uids = client.search(["NOT", "KEYWORD", PROCESSED_FLAG])
    else:
        uids = client.search("ALL")
    lookups = IngestLookups()
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        stored: list[int] = []
        for uid in batch:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged by someone else meanwhile
            result.fetched += 1
            ingested = mail_ingest(raw=bytes(raw), mailbox=mailbox, source=Source.IMAP, lookups=lookups)
            result.new += int(ingested.new)
            key = ingested.inbound.outcome or ingested.inbound.status
            result.outcomes[key] = result.outcomes.get(key, 0) + 1
            stored.append(uid)
        _mark_done(client, mailbox, stored, processed)


def _server_folder(client: IMAPClient, name: str) -> str:
    """Folder names are written with '/'; servers use their own hierarchy delimiter (Dovecot: '.')."""
    try:
        listed = client.list_folders(pattern="INBOX")
        delimiter = listed[0][1] if listed and listed[0][1] else b"/"
    except Exception:  # noqa: BLE001
        delimiter = b"/"
    sep = delimiter.decode() if isinstance(delimiter, bytes) else str(delimiter)
    return name.replace("/", sep)


def _prepare(client: IMAPClient, mailbox: Mailbox) -> str:
    """Select the intake folder; returns the server's name of the processed folder (created if needed)."""
    processed = _server_folder(client, mailbox.processed_folder)
    if mailbox.processed_action == ProcessedAction.MOVE and not client.folder_exists(processed):
        client.create_folder(processed)
    client.select_folder(mailbox.folder)
    return processed


def mailbox_poll(*, mailbox: Mailbox, client: IMAPClient | None = None) -> PollResult:
    """Fetch everything waiting in the mailbox's folder once. Errors are recorded on the mailbox."""
    result = PollResult(mailbox.name)
    own = client is None
    try:
        client = client or mailbox_connect(mailbox)
        processed = _prepare(client, mailbox)
        _poll_selected(client, mailbox, result, processed)
    except Exception as exc:  # noqa: BLE001 - a broken mailbox must not stop the others; the error is shown
        log.warning("polling %s failed: %s", mailbox.name, exc)
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if own and client is not None:
            try:
                client.logout()
            except Exception:  # noqa: BLE001, S110 - the connection is going away either way
                pass
    Mailbox.objects.filter(id=mailbox.id).update(last_polled_at=clock.now(), last_error=result.error[:2000])
    return result


def mailbox_poll_all() -> list[PollResult]:
    return [mailbox_poll(mailbox=m) for m in Mailbox.objects.filter(is_active=True, protocol=Protocol.IMAP)]


def mailbox_idle(*, mailbox: Mailbox, stop: threading.Event, wait: float | None = None) -> None:
    """Keep a connection in IDLE and poll whenever the server says something arrived (or every `wait` s)."""
    wait = wait or settings.MAIL_POLL_SECONDS
    while not stop.is_set():
        client = None
        try:
            client = mailbox_connect(mailbox)
            processed = _prepare(client, mailbox)
            while not stop.is_set():
                result = PollResult(mailbox.name)
                _poll_selected(client, mailbox, result, processed)
                Mailbox.objects.filter(id=mailbox.id).update(last_polled_at=clock.now(), last_error="")
                client.idle()
                # short checks so a stop request is honoured quickly; RFC 2177 asks to re-IDLE within 29 min
                deadline = clock.now().timestamp() + wait
                responses: list[object] = []
                while not stop.is_set() and not responses and clock.now().timestamp() < deadline:
                    responses = client.idle_check(timeout=1)
                client.idle_done()
                close_old_connections()
        except Exception as exc:  # noqa: BLE001 - reconnect after a pause; the error is shown on the mailbox
            log.warning("IDLE on %s failed: %s", mailbox.name, exc)
            Mailbox.objects.filter(id=mailbox.id).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
            stop.wait(min(wait, 30))
        finally:
            if client is not None:
                try:
                    client.logout()
                except Exception:  # noqa: BLE001, S110
                    pass
