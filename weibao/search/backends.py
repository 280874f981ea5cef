"""Two index backends behind one small interface: SQLite FTS5 (default) and PostgreSQL full text.

Both receive words already cut by `tokenizer` (space separated), so they rank the same words and the
choice is only about the database in use. Queries are built from those words only — never from raw
user input — and every word is quoted (FTS5) or passed as a bound parameter (PostgreSQL), so FTS
syntax typed by users (quotes, `*`, NEAR, `-`, parentheses) is plain text, never an operator.

Latency does not grow with the index (bench/search_scale.py): a query ranks at most `candidates`
documents — the newest ones that match, found by walking the match in id order without scoring it —
and what the actor may read is part of that walk (FTS5: tokens in the `meta` column; PostgreSQL:
columns of the same row), so a customer's candidates are all readable and nothing is filtered after
ranking. Ids grow with indexing order, which is the source's creation order after a full reindex.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import connection, transaction

TITLE_WEIGHT = 4.0  # a word in the title counts as much as four in the body


@dataclass(frozen=True)
class Scope:
    """Who reads and which filters apply, as data; each backend turns it into its own conditions."""

    everything: bool = False  # staff: every visibility
    org_id: int | None = None  # a customer: public documents and those of this organisation
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    organisation_id: int | None = None
    system_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class IndexRow:
    doc_id: int
    title: str  # words, space separated
    body: str
    meta: str  # `meta_text()` of the document


_NOT_TOKEN = re.compile(r"[^0-9a-z]")


def _tok(prefix: str, value: object) -> str:
    # One FTS5 token per value: lower-case letters and digits only, so unicode61 never splits it.
    if isinstance(value, int):  # ids: most tokens, and nothing to clean (a reindex makes millions)
        return f"{prefix}{value}"
    return prefix + _NOT_TOKEN.sub("", str(value).lower())


def meta_text(*, visibility: str, org_ids: Sequence[int], kind: str, status: str, organisation_id: int | None,
              system_ids: Sequence[int]) -> str:
    """The filter tokens of a document (FTS5 `meta` column); migration search/0002 writes the same in SQL."""
    tokens = [_tok("v", visibility), _tok("k", kind), _tok("s", status)]
    tokens += [_tok("o", o) for o in org_ids] + [_tok("y", s) for s in system_ids]
    if organisation_id is not None:
        tokens.append(_tok("g", organisation_id))
    return " ".join(tokens)


class SearchBackend(Protocol):
    name: str
    # Below this many matches the backend ranks every match (PostgreSQL: a GIN bitmap scan is cheap,
    # walking the id index for a rare word is not); None: always the newest `candidates`.
    rank_all_max: int | None

    def write(self, rows: Sequence[IndexRow], *, fresh: bool = False) -> None:
        """Insert or replace the words of existing document rows; fresh: the ids are new (reindex)."""

    def insert(self, columns: Sequence[str], values: Sequence[Sequence[Any]], rows: Sequence[IndexRow]) -> None:
        """Insert new document rows (`values` in `columns` order) and their words, in bulk (full reindex)."""

    def delete(self, doc_ids: Sequence[int]) -> None: ...

    def clear(self) -> None: ...

    def doc_freq(self, word: str, cap: int) -> int:
        """How many documents contain the word, counted up to `cap` (cheap for common words)."""
        ...

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None,
              rank_words: Sequence[str] | None = None) -> list[tuple[int, float]]:
        """Document ids with a relevance score (higher is better), best first, of the `candidates`
        newest matching documents in scope; `estimate`: at most this many documents match, all of
        them containing `anchor` (the rarest word of an AND query); `rank_words`: the words worth
        scoring (None: all)."""
        ...


def _insert_documents(cur: Any, columns: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    cur.executemany(
        f"INSERT INTO search_searchdocument ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 - constants
        [list(v) for v in values],
    )


# What migration search/0002 creates (a migration keeps its own copy).
FTS5_TABLE = "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, meta, tokenize = 'unicode61 remove_diacritics 2')"


class SqliteFts5Backend:
    name = "sqlite-fts5"
    rank_all_max: int | None = None

    def write(self, rows: Sequence[IndexRow], *, fresh: bool = False) -> None:
        if not rows:
            return
        with connection.cursor() as cur:
            if not fresh:
                cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(r.doc_id,) for r in rows])
            cur.executemany("INSERT INTO search_fts (rowid, title, body, meta) VALUES (%s, %s, %s, %s)",
                            [(r.doc_id, r.title, r.body, r.meta) for r in rows])

    def insert(self, columns: Sequence[str], values: Sequence[Sequence[Any]], rows: Sequence[IndexRow]) -> None:
        with connection.cursor() as cur:
            _insert_documents(cur, columns, values)
        self.write(rows, fresh=True)

    def delete(self, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            with connection.cursor() as cur:
                cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in doc_ids])

    def clear(self) -> None:
        """Empty the index. A fresh table, not DELETE: FTS5 deletes a row by re-reading its words."""
        with connection.cursor() as cur:
            cur.execute("DROP TABLE search_fts")
            cur.execute(FTS5_TABLE)

    @staticmethod
    def _quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    @classmethod
    def fts_query(cls, words: Sequence[str], *, any_word: bool) -> str:
        # Each word becomes a quoted FTS5 string; a quote inside is doubled, as FTS5 requires.
        return (" OR " if any_word else " AND ").join(cls._quote(w) for w in words)

    @classmethod
    def scope_query(cls, scope: Scope) -> str:
        """Scope as FTS5 conditions on the `meta` column (ANDed groups of ORed tokens)."""
        groups: list[list[str]] = []
        if not scope.everything:
            groups.append([_tok("v", "public")] + ([_tok("o", scope.org_id)] if scope.org_id else []))
        if scope.kinds:
            groups.append([_tok("k", k) for k in scope.kinds])
        if scope.statuses:
            groups.append([_tok("s", s) for s in scope.statuses])
        if scope.organisation_id is not None:
            groups.append([_tok("g", scope.organisation_id)])
        if scope.system_id is not None:
            groups.append([_tok("y", scope.system_id)])
        return " AND ".join("meta : (" + " OR ".join(cls._quote(t) for t in g) + ")" for g in groups)

    def _expression(self, words: Sequence[str], *, any_word: bool, scope: Scope) -> str:
        expr = "{title body} : (" + self.fts_query(words, any_word=any_word) + ")"
        extra = self.scope_query(scope)
        return f"{expr} AND {extra}" if extra else expr

    @staticmethod
    def _dates(scope: Scope) -> tuple[str, str, list[Any]]:
        """Date filters need the document row: (join, conditions, params); empty without them."""
        sql: list[str] = []
        params: list[Any] = []
        if scope.created_from is not None:
            sql.append("d.source_created_at >= %s")
            params.append(scope.created_from)
        if scope.created_to is not None:
            sql.append("d.source_created_at < %s")
            params.append(scope.created_to)
        if not sql:
            return "", "", []
        return " JOIN search_searchdocument d ON d.id = search_fts.rowid", " AND " + " AND ".join(sql), params

    def doc_freq(self, word: str, cap: int) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s)",
                        ["{title body} : " + self._quote(word), cap])
            return int(cur.fetchone()[0])

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None,
              rank_words: Sequence[str] | None = None) -> list[tuple[int, float]]:
        if not words:
            return []
        expr = self._expression(words, any_word=any_word, scope=scope)
        join, dates, date_params = self._dates(scope)
        with connection.cursor() as cur:
            # Walking the match newest first without scoring is cheap (FTS5 merges the doclists).
            cur.execute(f"SELECT search_fts.rowid FROM search_fts{join} WHERE search_fts MATCH %s{dates} "  # noqa: S608
                        "ORDER BY search_fts.rowid DESC LIMIT %s", [expr, *date_params, candidates])
            found = [int(r[0]) for r in cur.fetchall()]
            if not found:
                return []
            floor, wanted = found[-1], set(found)
            ranking = list(words if rank_words is None else rank_words)
            scores: dict[int, float] = {}
            if ranking:
                # bm25() counts, for every word of the expression, all the documents containing it: a
                # word in a quarter of a million documents costs tens of ms. Words that common weigh
                # almost nothing (low IDF), so only `rank_words` are scored, over the rows the walk found.
                # With all the words scored (and no date join) the scored rows are the walk's rows, and
                # SQLite keeps only the best; otherwise the rows of the walk are picked out here.
                exact = set(ranking) == set(words) and not join
                scoped = self.scope_query(scope)
                rank_expr = "{title body} : (" + self.fts_query(ranking, any_word=any_word or not exact) + ")"
                cur.execute(
                    f"SELECT rowid, bm25(search_fts, {TITLE_WEIGHT}, 1.0, 0.0) AS r FROM search_fts "  # noqa: S608
                    f"WHERE search_fts MATCH %s AND rowid >= %s{' ORDER BY r LIMIT %s' if exact else ''}",
                    [rank_expr + (f" AND {scoped}" if scoped else ""), floor, *([limit] if exact else [])],
                )
                # bm25() is negative, lower is better: flip it so every backend says "higher is better".
                scores = {int(i): -float(r) for i, r in cur.fetchall() if int(i) in wanted}
            else:
                # Every word is that common: title matches first, then the newest (the walk's order).
                cur.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s",
                            ["title : (" + self.fts_query(words, any_word=any_word) + ")", floor])
                titled = {int(r[0]) for r in cur.fetchall()}
                scores = {doc_id: (TITLE_WEIGHT if doc_id in titled else 1.0) for doc_id in found}
        # Newer first among equal scores, as the walk found them.
        order = {doc_id: n for n, doc_id in enumerate(found)}
        best = sorted(found, key=lambda i: (-scores.get(i, 0.0), order[i]))[:limit]
        return [(i, scores.get(i, 0.0)) for i in best]


_TSV = "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"


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
                "setweight(to_tsvector('simple', body_words), 'B') FROM search_stage"
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

    def doc_freq(self, word: str, cap: int) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM (SELECT 1 FROM search_searchdocument "
                        "WHERE tsv @@ plainto_tsquery('simple', %s) LIMIT %s) s", [word, cap])
            return int(cur.fetchone()[0])

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None,
              rank_words: Sequence[str] | None = None) -> list[tuple[int, float]]:
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
        rank = f"ts_rank('{{0.1, 0.2, {1.0 / TITLE_WEIGHT}, 1.0}}', c.tsv, q.q, 1)"
        if rank_all and anchor is not None and not any_word and len(words) > 1:
            # The GIN index looks up the rare word only (intersecting with a word in every other
            # document reads that word's whole posting list); the other words are checked on its rows.
            sql = (
                f"WITH c AS MATERIALIZED (SELECT d.id, d.tsv FROM search_searchdocument d "  # noqa: S608
                f"WHERE d.tsv @@ plainto_tsquery('simple', %s){where}) "
                f"SELECT c.id, {rank} AS r FROM c, (SELECT {query} AS q) q WHERE c.tsv @@ q.q ORDER BY r DESC LIMIT %s"
            )
            args = [anchor, *params, *words, limit]
        else:
            # Many matches: the newest `candidates` of those among the newest `window` documents. The
            # window bounds the rows read whichever plan the planner picks (GIN ∧ id range bitmap, or
            # the id index walked backwards), however few of the rows the words and tenancy keep.
            newest = "" if rank_all else (" AND d.id > (SELECT max(id) FROM search_searchdocument) - %s "
                                          "ORDER BY d.id DESC LIMIT %s")
            sql = (
                f"SELECT c.id, {rank} AS r "  # noqa: S608
                f"FROM (SELECT {query} AS q) q, LATERAL (SELECT d.id, d.tsv FROM search_searchdocument d "
                f"WHERE d.tsv @@ q.q{where}{newest}) c ORDER BY r DESC LIMIT %s"
            )
            args = [*words, *params, *([] if rank_all else [self.window, candidates]), limit]
        with connection.cursor() as cur:
            cur.execute(sql, args)
            return [(int(i), float(r)) for i, r in cur.fetchall()]


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFts5Backend()
