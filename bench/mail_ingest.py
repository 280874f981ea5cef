"""Mail intake throughput: messages/s through `weibao mail import` (parse, thread, store) from a maildir.

    python bench/mail_ingest.py [--messages 10000] [--database postgresql://postgres@127.0.0.1:5432/wb_mail_bench]

Builds a throw-away data directory and database (SQLite by default; a PostgreSQL URL is dropped and
re-created), 50 customer organisations with 200 contacts, and a maildir in which 60 % of messages
open requests (in UTF-8, GB2312/GBK, GB18030, Big5), 30 % reply to earlier ones by In-Reply-To or by
subject tag, 5 % are auto-replies and 5 % bounces. Background work (notifications, search) is queued,
not run, so the figure is the intake itself. Prints the counts and the rate.
"""

from __future__ import annotations

import argparse
import mailbox as stdlib_mailbox
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.mail.samples import make_mail

CHARSETS = [("utf-8", "utf-8"), ("gb2312", "gbk"), ("gbk", "gbk"), ("gb18030", "gb18030"), ("big5", "big5")]
TOPICS = ["系统登录后白屏", "报表导出失败", "数据库连接超时", "打印模板错位", "权限配置咨询", "接口返回 500", "升级后菜单丢失"]


def build_maildir(path: Path, n: int, contacts: list[str]) -> None:
    rng = random.Random(2026)
    box = stdlib_mailbox.Maildir(str(path), create=True)
    sent: list[tuple[str, str]] = []  # (message-id, sender)
    for i in range(n):
        roll = rng.random()
        sender = rng.choice(contacts)
        label, codec = rng.choice(CHARSETS)
        topic = rng.choice(TOPICS)
        if label == "big5":
            topic, body = "系統登錄後白屏", f"您好，第 {i} 號問題：系統無法登錄，請協助處理。"
        else:
            body = f"您好，第 {i} 号问题：{topic}，请协助处理。\n\n--\n信息中心"
        mid = f"<bench-{i}@customer.example.cn>"
        headers: dict[str, str] = {}
        if roll < 0.30 and sent:
            parent, sender = rng.choice(sent[-500:])
            headers = {"In-Reply-To": parent, "References": parent}
            body = "补充信息：问题仍然存在。\n\n在 2026年3月1日 写道：\n> " + body
        elif roll < 0.35:
            headers = {"Auto-Submitted": "auto-replied"}
            topic = "自动回复：休假中"
        elif roll < 0.40:
            sender = "mailer-daemon@mx.customer.example.cn"
            topic = "Undelivered Mail Returned to Sender"
        try:
            (topic + body).encode(codec)
        except UnicodeEncodeError:
            label, codec = "utf-8", "utf-8"
        raw = make_mail(body=body, charset=label, codec=codec, subject=topic, from_addr=sender, message_id=mid, headers=headers)
        box.add(raw)
        if not headers and roll >= 0.40:
            sent.append((mid, sender))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print where the time goes (cProfile)")
    parser.add_argument("--queries", action="store_true", help="print the SQL statements per message, grouped")
    parser.add_argument("--database", default="", help="PostgreSQL URL (the database is dropped and re-created)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="weibao-bench-mail-"))
    os.environ["WEIBAO_DATA_DIR"] = str(work / "data")
    os.environ["WEIBAO_QUEUE_URL"] = "memory://"
    os.environ["WEIBAO_SECRET_KEY"] = "bench-secret-key-that-is-long-enough-0123456789"
    os.environ["WEIBAO_MAIL_RATE_LIMIT"] = "1000000"
    os.environ["WEIBAO_LOG_LEVEL"] = "ERROR"
    if args.database:
        import psycopg

        parts = urlsplit(args.database)
        name = parts.path.lstrip("/")
        admin = args.database.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["WEIBAO_DATABASE_URL"] = args.database
    else:
        os.environ.pop("WEIBAO_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "weibao.config.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from weibao.accounts.models import Contact, Organisation
    from weibao.mail.importer import mail_import
    from weibao.mail.models import Mailbox

    call_command("migrate", verbosity=0)
    orgs = [Organisation.objects.create(name=f"客户{i}", code=f"c{i}", email_domains=f"c{i}.example.cn") for i in range(50)]
    contacts = []
    for i in range(200):
        org = orgs[i % 50]
        email = f"user{i}@c{i % 50}.example.cn"
        Contact.objects.create(organisation=org, name=f"联系人{i}", email=email)
        contacts.append(email)
    box = Mailbox.objects.create(name="服务台", address="support@weibao.test", protocol="smtp", fallback_organisation=orgs[0])

    maildir = work / "maildir"
    t0 = time.perf_counter()
    build_maildir(maildir, args.messages, contacts)
    print(f"built maildir of {args.messages} messages in {time.perf_counter() - t0:.1f} s")

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    t0, cpu0 = time.perf_counter(), time.process_time()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        counts = profiler.runcall(mail_import, path=maildir, mailbox=box)
        profiler.dump_stats(str(work / "ingest.prof"))
        print(f"profile written to {work / 'ingest.prof'}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    elif args.queries:
        from collections import Counter

        from django.db import connection

        statements: Counter[str] = Counter()

        def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            statements[re.sub(r'SAVEPOINT "[^"]+"', "SAVEPOINT …", re.sub(r"\s+", " ", sql))[:160]] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            counts = mail_import(path=maildir, mailbox=box)
        n = max(1, sum(counts.values()))
        print(f"{sum(statements.values()) / n:.1f} statements per message")
        for sql, k in statements.most_common(40):
            print(f"{k / n:6.2f}  {sql}")
    else:
        counts = mail_import(path=maildir, mailbox=box)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    total = sum(counts.values())
    print(f"database: {engine}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"ingested {total} messages in {elapsed:.1f} s: {total / elapsed:.0f} messages/s")
    # On a shared machine the wall-clock rate follows the load; the CPU rate is what one free core would do
    # in this process (the database server's own CPU, for PostgreSQL, is not in it).
    print(f"this process used {cpu:.1f} s of CPU: {total / cpu:.0f} messages per CPU-second; load: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
