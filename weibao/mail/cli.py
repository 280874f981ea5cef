"""`weibao mail import|reprocess|poll` and `weibao smtpd` (registered through cli.COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _setup() -> None:
    from weibao.cli import _setup as setup

    setup()


def _mailbox(name: str | None) -> Any:
    from weibao.mail.models import Mailbox

    if not name:
        return None
    found = Mailbox.objects.filter(name=name).first() or Mailbox.objects.filter(address__iexact=name).first()
    if found is None:
        print(f"weibao: no mailbox named {name!r}", file=sys.stderr)
        raise SystemExit(2)
    return found


def cmd_import(args: argparse.Namespace) -> int:
    _setup()
    from weibao.core.errors import DomainError
    from weibao.mail.importer import mail_import

    try:
        counts = mail_import(path=Path(args.path), mailbox=_mailbox(args.mailbox))
    except DomainError as exc:
        print(f"weibao: {exc.message}", file=sys.stderr)
        return 2
    for key in ("created", "joined", "machine", "quarantined", "already imported", "other"):
        if key in ("created", "joined", "machine", "quarantined") or counts.get(key):
            print(f"{key}: {counts.get(key, 0)}")
    print(f"total: {sum(counts.values())}")
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    _setup()
    from weibao.mail.models import InboundMessage, InboundStatus
    from weibao.mail.services import mail_reprocess, mail_reprocess_quarantine

    if args.id:
        done = [mail_reprocess(inbound=m) for m in InboundMessage.objects.filter(id__in=args.id)]
    else:
        done = mail_reprocess_quarantine()
    still = sum(1 for m in done if m.status == InboundStatus.QUARANTINED)
    print(f"reprocessed: {len(done)}, processed: {len(done) - still}, still quarantined: {still}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    _setup()
    from weibao.mail.imap import mailbox_idle, mailbox_poll
    from weibao.mail.models import Mailbox, Protocol

    boxes = [_mailbox(args.mailbox)] if args.mailbox else list(Mailbox.objects.filter(is_active=True, protocol=Protocol.IMAP))
    if not boxes:
        print("no active IMAP mailbox configured")
        return 0
    if not args.idle:
        failed = 0
        for box in boxes:
            r = mailbox_poll(mailbox=box)
            failed += bool(r.error)
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(r.outcomes.items()))
            print(f"{box.name}: fetched {r.fetched}, new {r.new}" + (f" ({detail})" if detail else "") + (f"; ERROR {r.error}" if r.error else ""))
        return 1 if failed else 0
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=mailbox_idle, kwargs={"mailbox": b, "stop": stop}, daemon=True) for b in boxes]
    for t in threads:
        t.start()
    print(f"IDLE on {len(threads)} mailbox(es); Ctrl-C stops.", flush=True)
    while not stop.is_set():
        stop.wait(1)
    for t in threads:
        t.join(timeout=5)
    return 0


def cmd_smtpd(args: argparse.Namespace) -> int:
    _setup()
    from weibao.mail.smtpd import smtpd_controller

    controller = smtpd_controller(host=args.host, port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"weibao smtpd listening on {controller.hostname}:{controller.port}", flush=True)
    try:
        while not stop.is_set():
            stop.wait(1)
    finally:
        controller.stop()
    return 0


def register(sub: Any) -> None:
    mail = sub.add_parser("mail", help="Mail intake: import, reprocess, poll.", description="Mail intake.")
    msub = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")

    p = msub.add_parser("import", help="Ingest an .eml file, an mbox, a maildir or a folder of .eml files.")
    p.add_argument("path")
    p.add_argument("--mailbox", help="the mailbox (name or address) the mail counts as received by")
    p.set_defaults(func=cmd_import)

    p = msub.add_parser("reprocess", help="Process quarantined messages again (all, or the given ids).")
    p.add_argument("id", nargs="*", type=int)
    p.set_defaults(func=cmd_reprocess)

    p = msub.add_parser("poll", help="Fetch mail from the IMAP mailboxes once, or keep IDLE connections.")
    p.add_argument("--mailbox", help="only this mailbox (name or address)")
    p.add_argument("--idle", action="store_true", help="stay connected and fetch as mail arrives (IMAP IDLE)")
    p.set_defaults(func=cmd_poll)

    from weibao.config.env import Env

    env = Env()
    p = sub.add_parser("smtpd", help="Receive mail directly by SMTP (aiosmtpd).", description="Direct SMTP intake.")
    p.add_argument("--host", default=env.str("WEIBAO_SMTPD_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=env.int("WEIBAO_SMTPD_PORT", 2525, minimum=1))
    p.set_defaults(func=cmd_smtpd)
