"""PostgreSQL full-text index backend; see the package docstring."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction

from weibao.search.backends import base
from weibao.search.backends.base import IndexRow, Scope

# Above this many documents a word's document count comes from the statistics ANALYZE keeps (see
# doc_freq); below it counting is cheap, exact, and independent of when ANALYZE last ran.
STATS_MIN_ROWS = 100_000
STATS_SECONDS = 300.0
_stats: tuple[float, dict[str, int] | None] | None = None


def common_words() -> dict[str, int] | None:
    """Estimated documents per word for the words ANALYZE found most common (`most_common_elems` of
    the tsv column: with statistics target 1000, every word in more than about 0.05 % of the documents),
    or None when the index is small or has no statistics yet; cached a few minutes per process."""
    global _stats
    now = time.monotonic()
    if _stats is not None and now - _stats[0] < STATS_SECONDS:
        return _stats[1]
    words: dict[str, int] | None = None
    with connection.cursor() as cur:
        # anyarray cannot be cast to text[] directly; through text it can.
        cur.execute(
            "SELECT c.reltuples, s.null_frac, s.most_common_elems::text::text[], s.most_common_elem_freqs "
            "FROM pg_class c JOIN pg_stats s ON s.schemaname = c.relnamespace::regnamespace::text "
            "AND s.tablename = c.relname AND s.attname = 'tsv' "
            "WHERE c.oid = 'search_searchdocument'::regclass"
        )
        row = cur.fetchone()
    if row is not None and row[2] and row[0] >= STATS_MIN_ROWS:
        # Frequencies are shares of the documents that have words (non-null tsv).
        rows = float(row[0]) * (1.0 - float(row[1] or 0.0))
        # The frequency list ends with a few summary values (minimum, maximum, …): zip stops at the words.
        words = {w: max(1, round(f * rows)) for w, f in zip(row[2], row[3], strict=False)}
    _stats = (now, words)
    return words


# Every tsvector also holds one position-less lexeme naming its id's bucket of BUCKET ids ("~b123"; the
# parser drops "~", so no query word can be it). A query among the newest documents ANDs the buckets
# of that window with its words, so the GIN index returns the window's matches only (without it, a
# multi-word query read every match in the table to keep the few in the window). Migration
# search/0004 restates the rule.
BUCKET = 10_000
_BUCKET_SQL = f"array_to_tsvector(ARRAY['~b' || (id / {BUCKET})])"
_TSV = ("setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') || "
        f"{_BUCKET_SQL}")


def window_buckets(top: int, window: int) -> str:
    """The tsquery (text) of the buckets holding ids in (top - window, top]."""
    return " | ".join(f"'~b{n}'" for n in range(max(0, top - window + 1) // BUCKET, max(0, top) // BUCKET + 1))


# An OR of rare words expected to match more documents than this ranks the newest of them (see match()).
RANK_ALL_ROWS = 2500


class PostgresBackend:
    name = "postgresql"
    rank_all_max: int | None = 10_000
    window = 50_000  # see match()

    def write(self, rows: Sequence[IndexRow], *, fresh: bool = False) -> None:
        if not rows:
            return
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE search_searchdocument SET tsv = {_TSV} WHERE id = %s",  # noqa: S608 - constant
                            [(r.title, r.body, r.doc_id) for r in rows])

    def insert(self, columns: Sequence[str], values: Sequence[Sequence[Any]], rows: Sequence[IndexRow]) -> None:
        """COPY into a session-temporary table, then one INSERT … SELECT that computes the tsvector:
        one round trip per batch instead of an INSERT and an UPDATE per document."""
        if not values:
            return
        # atomic: the staged rows live until the end of the transaction (ON COMMIT DELETE ROWS)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS search_stage (LIKE search_searchdocument INCLUDING DEFAULTS, "
                        "title_words text, body_words text) ON COMMIT DELETE ROWS")
            names = [*columns, "title_words", "body_words"]
            with cur.cursor.copy(f"COPY search_stage ({', '.join(names)}) FROM STDIN") as copy:
                for value, row in zip(values, rows, strict=True):
                    copy.write_row([*value, row.title, row.body])
            cur.execute(
                f"INSERT INTO search_searchdocument ({', '.join(columns)}, tsv) "  # noqa: S608 - constants
                f"SELECT {', '.join(columns)}, setweight(to_tsvector('simple', title_words), 'A') || "
                f"setweight(to_tsvector('simple', body_words), 'B') || {_BUCKET_SQL} FROM search_stage"
            )
            cur.execute("DELETE FROM search_stage")

    def delete(self, doc_ids: Sequence[int]) -> None:
        """The words live on the document row; deleting the row removes them."""

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute("UPDATE search_searchdocument SET tsv = NULL WHERE tsv IS NOT NULL")

    @staticmethod
    def scope_where(scope: Scope) -> tuple[str, list[Any]]:
        sql: list[str] = []
        params: list[Any] = []
        if not scope.everything:
            if scope.org_id:
                sql.append("(d.visibility = 'public' OR (d.visibility = 'orgs' AND d.org_ids LIKE %s))")
                params.append(f"%,{int(scope.org_id)},%")
            else:
                sql.append("d.visibility = 'public'")
        if scope.kinds:
            sql.append(f"d.kind IN ({', '.join(['%s'] * len(scope.kinds))})")
            params += list(scope.kinds)
        if scope.statuses:
            sql.append(f"d.status IN ({', '.join(['%s'] * len(scope.statuses))})")
            params += list(scope.statuses)
        if scope.organisation_id is not None:
            sql.append("d.organisation_id = %s")
            params.append(int(scope.organisation_id))
        if scope.system_id is not None:
            sql.append("d.system_ids LIKE %s")
            params.append(f"%,{int(scope.system_id)},%")
        if scope.created_from is not None:
            sql.append("d.source_created_at >= %s")
            params.append(scope.created_from)
        if scope.created_to is not None:
            sql.append("d.source_created_at < %s")
            params.append(scope.created_to)
        return "".join(f" AND {s}" for s in sql), params

    def refresh_word_counts(self) -> int:
        """Nothing to do: the counts of common words are ANALYZE's statistics (autovacuum keeps them)."""
        return 0

    def doc_freq(self, word: str, cap: int) -> int:
        """Counting reads a heap row per match (GIN holds no counts): up to `cap` rows scattered over the
        table, 20–180 ms cold at 1M documents, for every word of a long query. A word common enough
        to be in the statistics takes its estimate from there (a 300,000-row sample: within a few
        per cent); only rarer words, a few hundred rows at most, are counted."""
        common = common_words()
        if common is not None and word in common:
            return min(cap, common[word])
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM (SELECT 1 FROM search_searchdocument "
                        "WHERE tsv @@ plainto_tsquery('simple', %s) LIMIT %s) s", [word, cap])
            return int(cur.fetchone()[0])

    @staticmethod
    def _top() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT max(id) FROM search_searchdocument")
            return int(cur.fetchone()[0] or 0)

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None,
              rank_words: Sequence[str] | None = None, dfs: Mapping[str, int] | None = None) -> list[tuple[int, float]]:
        if not words:
            return []
        # One plainto_tsquery per word, bound as parameters: no tsquery syntax can come from the user.
        op = " || " if any_word else " && "
        query = op.join(["plainto_tsquery('simple', %s)"] * len(words))
        where, params = self.scope_where(scope)
        # Few matches: the GIN index finds them all and all are ranked. Many: the id index is walked
        # backwards, checking each row, until `candidates` match; only those are ranked. The planner is
        # not left to choose: ORDER BY id … LIMIT tempts it to walk the id index for a rare word too.
        rank_all = estimate is not None and self.rank_all_max is not None and estimate <= self.rank_all_max
        rank = f"ts_rank('{{0.1, 0.2, {1.0 / base.TITLE_WEIGHT}, 1.0}}', c.tsv, q.q, 1)"
        if rank_all and anchor is not None and not any_word and len(words) > 1:
            # The GIN index looks up the rare words only (intersecting with a word in every other
            # document reads that word's whole posting list; the posting lists of words in at most
            # DF_CAP documents are short), and the other words are checked on the rows they leave: a long
            # description's AND read every row of its rarest word, most of them without the next rare one.
            rare = list(dict.fromkeys([anchor, *(rank_words or ())]))
            lookup = " && ".join(["plainto_tsquery('simple', %s)"] * len(rare))
            sql = (
                f"WITH c AS MATERIALIZED (SELECT d.id, d.tsv FROM search_searchdocument d "  # noqa: S608
                f"WHERE d.tsv @@ ({lookup}){where}) "
                f"SELECT c.id, {rank} AS r FROM c, (SELECT {query} AS q) q WHERE c.tsv @@ q.q ORDER BY r DESC LIMIT %s"
            )
            args = [*rare, *params, *words, limit]
        elif rank_all:
            # Every match is read from the table to be ranked, a heap row each, scattered (≈ 15 ms per 1,000
            # rows cold at 1M documents). An OR (a long description's rare words) expected to match more than
            # RANK_ALL_ROWS ranks the matches among the newest ids only, in a window sized to hold about
            # RANK_ALL_ROWS of them if the matches are spread evenly (the buckets keep the GIN lookup inside
            # it), as the other paths rank only the newest matches. An index not much larger than `window`
            # (the quality bench's) ranks every match.
            top = self._top() if any_word and estimate is not None and estimate > RANK_ALL_ROWS else 0
            span = -(-top * RANK_ALL_ROWS // max(1, estimate or 1))
            if top > 2 * self.window and span < top:
                # `d.id + 0`: checked on the rows the GIN lookup returns, not through the primary key (the
                # planner ANDed a bitmap of every id in the window: 15 ms for 290,000 ids); the buckets
                # already keep the lookup to the window, give or take a bucket.
                sql = (
                    f"SELECT c.id, {rank} AS r "  # noqa: S608
                    f"FROM (SELECT {query} AS q) q, LATERAL (SELECT d.id, d.tsv FROM search_searchdocument d "
                    f"WHERE d.tsv @@ (q.q && %s::tsquery) AND d.id + 0 > %s{where}) c ORDER BY r DESC LIMIT %s"
                )
                args = [*words, window_buckets(top, span), top - span, *params, limit]
            else:
                sql = (
                    f"SELECT c.id, {rank} AS r "  # noqa: S608
                    f"FROM (SELECT {query} AS q) q, LATERAL (SELECT d.id, d.tsv FROM search_searchdocument d "
                    f"WHERE d.tsv @@ q.q{where}) c ORDER BY r DESC LIMIT %s"
                )
                args = [*words, *params, limit]
        else:
            # Many matches: the newest `candidates` of those among the newest `window` documents. The
            # window bounds the rows read whichever plan the planner picks (the GIN index with the
            # window's buckets, or the id index walked backwards), however few of the rows the words
            # and tenancy keep.
            # One word and no condition (staff): its matches are dense enough in the newest documents
            # that walking the id index finds `candidates` sooner than the GIN index lists the window's
            # matches (bench/README.md), so the buckets are left out and the planner walks. Nor are
            # they used while the window is most of the index: they would prune little, and merging
            # their posting lists costs.
            top = self._top()
            walk = (len(words) == 1 and not where) or top <= 2 * self.window
            sql = (
                f"SELECT c.id, {rank} AS r "  # noqa: S608
                f"FROM (SELECT {query} AS q) q, LATERAL (SELECT d.id, d.tsv FROM search_searchdocument d "
                f"WHERE d.tsv @@ {'q.q' if walk else '(q.q && %s::tsquery)'} AND d.id > %s{where} "
                "ORDER BY d.id DESC LIMIT %s) c ORDER BY r DESC LIMIT %s"
            )
            buckets = [] if walk else [window_buckets(top, self.window)]
            args = [*words, *buckets, top - self.window, *params, candidates, limit]
        with connection.cursor() as cur:
            cur.execute(sql, args)
            return [(int(i), float(r)) for i, r in cur.fetchall()]
