"""Search quality on a labelled query set built from the Endava IT tickets (English, pre-processed).

The labelled set (rebuild it with this script; nothing else is needed):
  * source: ../shared/data/tickets/endava/all_tickets_processed_improved_v3.csv (47,837 rows;
    columns Document = subject + body, lower-cased, and Topic_group = one of 8 classes).
  * queries: rows whose 0-based index i satisfies i % EVERY == 0 (EVERY=50 → 957 rows), the first
    --queries of them (default 500), are held out; their Document (cut to the tokenizer's 500 chars /
    24 words, exactly as a user's query) is the query.
  * corpus: every other row, indexed as a request (title = its first 8 words, body = the Document).
  * relevant: corpus rows with the same Topic_group as the query (same-category solved tickets).
With thousands of relevant rows per query, "recall@k" here is the share of queries with at least one
relevant row in the top k (success@k), MRR@10 the mean of 1/rank of the first relevant row in the top
10, P@10 the mean share of relevant rows in the top 10. Chance level of P@k is Σ p(class)².

Variants: "bm25" (no title weight, no recency), "shipped" (title ×4 + recency, what the product does),
"idf-words" (bench-only experiment: of the query's words keep the 24 rarest that occur in ≥ 2
documents, instead of the first 24).

  python bench/search_quality.py [--pg postgresql://postgres@127.0.0.1:5432/wb_bench_q] [--queries 500]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._django import setup, shared_data

EVERY = 50


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL of a throw-away database")
    ap.add_argument("--queries", type=int, default=500)
    args = ap.parse_args()
    setup(args.pg, name="quality")

    from django.db import transaction
    from django.utils import timezone

    from weibao.accounts.models import Role, User
    from weibao.search import backends, query, tokenizer
    from weibao.search.backends import get_backend
    from weibao.search.index import DocSpec, _row, index_row
    from weibao.search.models import SearchDocument

    path = shared_data() / "tickets" / "endava" / "all_tickets_processed_improved_v3.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    queries = [(i, r) for i, r in enumerate(rows) if i % EVERY == 0][: args.queries]
    held = {i for i, _ in queries}
    corpus = [(i, r) for i, r in enumerate(rows) if i not in held]
    label = {i: r["Topic_group"] for i, r in corpus}
    now = timezone.now()

    started = time.perf_counter()
    backend = get_backend()
    df: Counter[str] = Counter()
    for start in range(0, len(corpus), 2000):
        chunk = corpus[start:start + 2000]
        specs = [DocSpec(kind="ticket", ref_id=i, public_id=f"q{i}", title=" ".join(r["Document"].split()[:8]),
                         body=r["Document"], visibility="staff", created_at=now) for i, r in chunk]
        with transaction.atomic():
            objs = SearchDocument.objects.bulk_create([_row(s) for s in specs])
            rows = [index_row(o.id, s) for o, s in zip(objs, specs, strict=True)]
            backend.write(rows)
        for row in rows:
            df.update(set(row.body.split()))
    backend.refresh_word_counts()  # as after a reindex (and hourly): common words' counts from the snapshot
    took = time.perf_counter() - started
    print(f"backend={backend.name} tokenizer={tokenizer.engine()} corpus={len(corpus)} queries={len(queries)} "
          f"indexed in {took:.1f}s ({len(corpus) / took:,.0f} docs/s)")
    classes = Counter(label.values())
    chance = sum((c / len(label)) ** 2 for c in classes.values())
    staff = User.objects.create(username="bench-staff", role=Role.ENGINEER)

    def idf_words(text: str) -> str:
        cut = tokenizer._clean(tokenizer._cutter().cut(tokenizer.normalise(text)))
        words = [w for w in dict.fromkeys(cut) if w not in tokenizer.STOPWORDS and df.get(w, 0) >= 2]
        return " ".join(sorted(words, key=lambda w: df[w])[: tokenizer.MAX_QUERY_TOKENS])

    variants = {
        "bm25": dict(title=1.0, recency=0.0, rewrite=None),
        "shipped": dict(title=4.0, recency=0.3, rewrite=None),
        "idf-words": dict(title=4.0, recency=0.3, rewrite=idf_words),
    }
    print(f"chance P@k = {chance:.3f}; classes: {dict(classes.most_common())}")
    print(f"{'variant':<10} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'P@10':>6} {'ms/query p50':>13}")
    for name, v in variants.items():
        backends.base.TITLE_WEIGHT = float(v["title"])  # type: ignore[arg-type]
        query.RECENCY_BOOST = float(v["recency"])  # type: ignore[arg-type]
        r1 = r5 = r10 = 0
        rr: list[float] = []
        p10: list[float] = []
        times: list[float] = []
        for _i, r in queries:
            text = r["Document"]
            q = v["rewrite"](text) if v["rewrite"] else text  # type: ignore[operator]
            t0 = time.perf_counter()
            hits = query.search(actor=staff, q=q, limit=10).hits
            times.append((time.perf_counter() - t0) * 1000)
            rel = [label.get(h.ref_id) == r["Topic_group"] for h in hits]
            first = next((k for k, ok in enumerate(rel) if ok), None)
            r1 += first is not None and first < 1
            r5 += first is not None and first < 5
            r10 += first is not None
            rr.append(1 / (first + 1) if first is not None else 0.0)
            p10.append(sum(rel) / 10)
        n = len(queries)
        print(f"{name:<10} {r1 / n:6.3f} {r5 / n:6.3f} {r10 / n:6.3f} {statistics.mean(rr):7.3f} {statistics.mean(p10):6.3f} "
              f"{statistics.median(times):13.1f}")


if __name__ == "__main__":
    main()
