"""Search at scale: full reindex time of N requests, and query latency over N requests + M articles.

  python bench/search_scale.py [--pg postgresql://postgres@127.0.0.1:5432/wb_bench_scale]
                               [--tickets 1000000] [--articles 100000] [--queries 300]

Requests and articles are real rows (Ticket, Article) made with bulk_create from the Endava texts
(English) mixed with generated Chinese maintenance sentences; then `reindex()` — the code behind
`weibao search reindex` — rebuilds the index from them, timed. Latency is measured through
`search()` (tokenising, tenancy filter, backend, ranking, snippets) for a mix of queries: one common
word, two or three words (Chinese and English), a request number, and a long description (what
the portal's suggestions send), each as an engineer and as a customer. Prints p50/p95/max in ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._django import setup, shared_data

SYSTEMS = ["政务数据共享交换平台", "医院信息系统", "生产调度管理系统", "检验信息系统", "统一身份认证", "财务报销系统", "OA办公系统"]
PARTS = ["接口网关", "数据目录", "交换节点", "调度台", "报表服务", "移动端", "门诊", "住院", "药房", "仪器接口", "数据库", "消息队列"]
PROBLEMS = ["访问超时", "无法登录", "页面空白", "数据不同步", "导出失败", "打印报错", "证书过期", "磁盘空间不足", "连接池耗尽",
            "响应缓慢", "权限不足", "密码重置", "升级后报错", "定时任务未执行", "统计结果不一致"]
DETAILS = ["请尽快处理", "影响全院业务", "今天上午开始出现", "已重启服务但无效", "附件为错误截图", "只在生产环境出现",
           "测试环境正常", "多个科室反映", "夜间批处理后出现", "用户反映频繁"]


def chinese(rng: random.Random) -> tuple[str, str]:
    subject = f"{rng.choice(SYSTEMS)}{rng.choice(PARTS)}{rng.choice(PROBLEMS)}"
    body = "，".join(rng.sample(DETAILS, 3)) + f"。错误代码 E{rng.randint(1000, 9999)}。{rng.choice(PARTS)}{rng.choice(PROBLEMS)}。"
    return subject, body


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reuse", action="store_true", help="keep the database of the previous run (skip creating rows)")
    ap.add_argument("--no-reindex", action="store_true", help="with --reuse: query the index of the previous run")
    ap.add_argument("--load-only", action="store_true", help="create the rows and stop (then run again with --reuse)")
    args = ap.parse_args()
    setup(args.pg, fresh=not args.reuse, name="scale")

    from django.core.management import call_command
    from django.db import connection, transaction

    if args.reuse:
        call_command("migrate", interactive=False, verbosity=0)  # rows of a run with older code

    from weibao.accounts.models import Organisation, Role, User
    from weibao.knowledge.models import Article
    from weibao.search.index import reindex
    from weibao.search.query import search
    from weibao.tickets.models import Ticket

    rng = random.Random(20261122)
    english = [r["Document"] for r in csv.DictReader((shared_data() / "tickets/endava/all_tickets_processed_improved_v3.csv")
                                                     .open(encoding="utf-8"))]
    if not args.reuse:
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:  # a throw-away bench file: no fsync per batch
                cur.execute("PRAGMA synchronous = OFF")
        orgs = [Organisation.objects.create(name=f"客户{i}", code=f"c{i}") for i in range(50)]
        User.objects.create(username="eng", role=Role.ENGINEER)
        User.objects.create(username="cust", role=Role.CUSTOMER, organisation=orgs[0])
        t0 = time.perf_counter()
        statuses = ["new", "in_progress", "resolved", "closed", "closed", "closed"]
        for start in range(0, args.tickets, 5000):
            batch = []
            for i in range(start, min(start + 5000, args.tickets)):
                if i % 2:
                    words = rng.choice(english).split()
                    subject, body = " ".join(words[:6]), " ".join(words)
                else:
                    subject, body = chinese(rng)
                batch.append(Ticket(organisation=orgs[i % 50], number=f"SR-2025-{i:07d}", subject=subject[:300],
                                    description=body, channel="portal", status=rng.choice(statuses)))
            with transaction.atomic():
                Ticket.objects.bulk_create(batch)
            if start % 100_000 == 0:
                print(f"  tickets {start:,} ({time.perf_counter() - t0:.0f}s)", flush=True)
        audiences = ["public", "public", "orgs", "internal"]
        for start in range(0, args.articles, 5000):
            batch_a = []
            for i in range(start, min(start + 5000, args.articles)):
                subject, body = chinese(rng) if i % 2 else (lambda w: (" ".join(w[:6]), " ".join(w)))(rng.choice(english).split())
                batch_a.append(Article(title=f"{subject} 的处理方法"[:200], body=body * 3, audience=audiences[i % 4],
                                       status="published"))
            Article.objects.bulk_create(batch_a)
        print(f"rows created in {time.perf_counter() - t0:.0f}s", flush=True)
    if args.load_only:
        return

    marks: dict[str, float] = {}

    def progress(kind: str, done: int, total: int) -> None:
        marks[kind] = time.perf_counter()
        if done % 100_000 < 1000 or done == total:
            print(f"  reindex {kind}: {done:,}/{total:,} ({time.perf_counter() - t1:.0f}s)", flush=True)

    if not args.no_reindex:
        # Every kind at once, as `weibao search reindex` does: a fresh index, not a delete per document.
        t1 = time.perf_counter()
        counts = reindex(progress=progress)
        total_time = time.perf_counter() - t1
        # Sources run in name order: articles (after emptying the index), then requests.
        article_time = marks.get("article", t1) - t1
        ticket_time = total_time - article_time
        print(f"backend={connection.vendor} full reindex: {counts.get('ticket', 0):,} requests in {ticket_time:.0f}s "
              f"({counts.get('ticket', 0) / max(ticket_time, 1e-9):,.0f}/s); {counts.get('article', 0):,} articles "
              f"(+ deleting the old index) in {article_time:.0f}s; total {total_time:.0f}s "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE search_searchdocument")
    else:
        # The index of an earlier run (maybe made by older code): the common words' counts as a reindex
        # leaves them (SQLite; `reindex()` ends with the same call, inside its timing).
        from weibao.search.index import refresh_word_counts

        t1 = time.perf_counter()
        kept = refresh_word_counts()
        print(f"word counts refreshed: {kept:,} words in {time.perf_counter() - t1:.1f}s", flush=True)

    eng, cust = User.objects.get(username="eng"), User.objects.get(username="cust")
    kinds = {
        "one common word": ["网关", "超时", "登录", "password", "access", "数据库"],
        "two-three words": ["接口网关 访问超时", "医院信息系统 无法登录", "证书过期", "reset password expired", "new laptop purchase",
                            "消息队列 连接池耗尽", "报表服务 导出失败 生产环境"],
        "request number": [f"SR-2025-{rng.randrange(args.tickets):07d}" for _ in range(5)],
        "long description": [chinese(rng)[1] * 2 for _ in range(5)] + [rng.choice(english) for _ in range(5)],
    }
    for actor_name, actor in (("engineer", eng), ("customer", cust)):
        for label, qs in kinds.items():
            times: list[float] = []
            for n in range(max(1, args.queries // (2 * len(kinds)))):
                q = qs[n % len(qs)]
                t0 = time.perf_counter()
                search(actor=actor, q=q, limit=20)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{connection.vendor:<10} {actor_name:<9} {label:<17} n={len(times):<4} p50={statistics.median(times):7.1f} ms "
                  f"p95={pct(times, 0.95):7.1f} ms max={max(times):7.1f} ms load={os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
