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

from django.db import connection

from weibao.search.backends.base import TITLE_WEIGHT, IndexRow, Scope, SearchBackend, meta_text
from weibao.search.backends.postgres import PostgresBackend
from weibao.search.backends.sqlite import FTS5_TABLE, SqliteFts5Backend

__all__ = ["FTS5_TABLE", "TITLE_WEIGHT", "IndexRow", "PostgresBackend", "Scope", "SearchBackend",
           "SqliteFts5Backend", "get_backend", "meta_text"]


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFts5Backend()
