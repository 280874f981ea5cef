"""`weibao search ...`: rebuild the index (with a progress bar), try a query, list dictionary words."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def _bar(kind: str, done: int, total: int, started: float) -> None:
    width = 30
    frac = done / total if total else 1.0
    rate = done / max(time.monotonic() - started, 1e-6)
    eta = (total - done) / rate if rate else 0
    filled = int(width * frac)
    sys.stderr.write(f"\r{kind:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:,.0f}/s eta {eta:,.0f}s ")
    sys.stderr.flush()


def cmd_reindex(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.search.index import reindex, sources

    kinds = args.kind or sorted(sources())
    unknown = set(kinds) - set(sources())
    if unknown:
        print(f"unknown kind(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(sources()))}", file=sys.stderr)
        return 2
    started = time.monotonic()
    last: dict[str, Any] = {"kind": None}

    def progress(kind: str, done: int, total: int) -> None:
        if last["kind"] not in (None, kind):
            sys.stderr.write("\n")
        last["kind"] = kind
        if not args.quiet:
            _bar(kind, done, total, started)

    counts = reindex(kinds, batch_size=args.batch_size, progress=progress)
    if not args.quiet:
        sys.stderr.write("\n")
    took = time.monotonic() - started
    print(", ".join(f"{k}: {n}" for k, n in counts.items()) + f" objects indexed in {took:.1f}s")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from weibao.cli import _setup

    _setup()
    from weibao.accounts.models import Role, User
    from weibao.search.query import search

    # The command line is an operator's tool: it searches as the first active administrator.
    actor = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    result = search(actor=actor, q=args.q, limit=args.limit)
    print("words:", " ".join(result.words))
    for hit in result.hits:
        print(f"{hit.score:8.3f}  {hit.kind:<7} {hit.label or hit.public_id:<16} {hit.title}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="Search index: reindex, query.", description="Search index: reindex, query.")
    group = p.add_subparsers(dest="search_command", required=True, metavar="ACTION")
    r = group.add_parser("reindex", help="Rebuild the search index from the database, with a progress bar.")
    r.add_argument("--kind", action="append", help="article or ticket (repeatable); default all")
    r.add_argument("--batch-size", type=int, default=1000)
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_reindex)
    q = group.add_parser("query", help="Run a query as an administrator and print the ranked hits.")
    q.add_argument("q")
    q.add_argument("--limit", type=int, default=10)
    q.set_defaults(func=cmd_query)
