"""Two index backends behind one small interface: SQLite FTS5 (default) and PostgreSQL full text.

Both receive words already cut by `tokenizer` (space separated), so they rank the same words and the
choice is only about the database in use. Queries are built from those words only — never from raw
user input — and every word is quoted (FTS5) or passed as a bound parameter (PostgreSQL), so FTS
syntax typed by users (quotes, `*`, NEAR, `-`, parentheses) is plain text, never an operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection

TITLE_WEIGHT = 4.0  # a word in the title counts as much as four in the body


@dataclass(frozen=True)
class Where:
    sql: str  # conditions on alias `d` (search_searchdocument), joined by AND
    params: list[Any]


class SearchBackend(Protocol):
    name: str

    def write(self, rows: Sequence[tuple[int, str, str]], *, fresh: bool = False) -> None:
        """(document id, title words, body words) — insert or replace; fresh: the ids are new (reindex)."""

    def delete(self, doc_ids: Sequence[int]) -> None: ...

    def clear(self) -> None: ...

    def match(self, words: Sequence[str], *, any_word: bool, where: Where, limit: int) -> list[tuple[int, float]]:
        """Document ids with a relevance score (higher is better), best first."""
        ...


class SqliteFts5Backend:
    name = "sqlite-fts5"

    def write(self, rows: Sequence[tuple[int, str, str]], *, fresh: bool = False) -> None:
        if not rows:
            return
        with connection.cursor() as cur:
            if not fresh:
                cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(r[0],) for r in rows])
            cur.executemany("INSERT INTO search_fts (rowid, title, body) VALUES (%s, %s, %s)", list(rows))

    def delete(self, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            with connection.cursor() as cur:
                cur.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in doc_ids])

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM search_fts")

    @staticmethod
    def fts_query(words: Sequence[str], *, any_word: bool) -> str:
        # Each word becomes a quoted FTS5 string; a quote inside is doubled, as FTS5 requires.
        quoted = ['"' + w.replace('"', '""') + '"' for w in words]
        return (" OR " if any_word else " AND ").join(quoted)

    def match(self, words: Sequence[str], *, any_word: bool, where: Where, limit: int) -> list[tuple[int, float]]:
        if not words:
            return []
        # Only constants and `where.sql` (built from constants by query.py) are formatted in; values are bound.
        sql = (
            f"SELECT d.id, bm25(search_fts, {TITLE_WEIGHT}, 1.0) AS r FROM search_fts "  # noqa: S608
            "JOIN search_searchdocument d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s{' AND ' + where.sql if where.sql else ''} ORDER BY r LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [self.fts_query(words, any_word=any_word), *where.params, limit])
            # bm25() is negative, lower is better: flip it so every backend says "higher is better".
            return [(int(i), -float(r)) for i, r in cur.fetchall()]


class PostgresBackend:
    name = "postgresql"

    def write(self, rows: Sequence[tuple[int, str, str]], *, fresh: bool = False) -> None:
        if not rows:
            return
        with connection.cursor() as cur:
            cur.executemany(
                "UPDATE search_searchdocument SET tsv = setweight(to_tsvector('simple', %s), 'A') || "
                "setweight(to_tsvector('simple', %s), 'B') WHERE id = %s",
                [(title, body, doc_id) for doc_id, title, body in rows],
            )

    def delete(self, doc_ids: Sequence[int]) -> None:
        """The words live on the document row; deleting the row removes them."""

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute("UPDATE search_searchdocument SET tsv = NULL WHERE tsv IS NOT NULL")

    def match(self, words: Sequence[str], *, any_word: bool, where: Where, limit: int) -> list[tuple[int, float]]:
        if not words:
            return []
        # One plainto_tsquery per word, bound as parameters: no tsquery syntax can come from the user.
        op = " || " if any_word else " && "
        query = op.join(["plainto_tsquery('simple', %s)"] * len(words))
        # constants and query.py's placeholders only; every value is bound
        sql = (
            f"SELECT d.id, ts_rank('{{0.1, 0.2, {1.0 / TITLE_WEIGHT}, 1.0}}', d.tsv, q.q, 1) AS r "  # noqa: S608
            f"FROM search_searchdocument d, (SELECT {query} AS q) q "
            f"WHERE d.tsv @@ q.q{' AND ' + where.sql if where.sql else ''} ORDER BY r DESC LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*words, *where.params, limit])
            return [(int(i), float(r)) for i, r in cur.fetchall()]


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFts5Backend()
