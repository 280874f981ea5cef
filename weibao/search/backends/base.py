"""What both index backends share: the scope and row types, the filter tokens, the backend interface."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# A word in the title counts as much as four in the body. The backends read it as `base.TITLE_WEIGHT`
# at query time, so bench/search_quality.py can vary it.
TITLE_WEIGHT = 4.0


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

    def refresh_word_counts(self) -> int:
        """Refresh what `doc_freq` reads common words' counts from, where the backend keeps it itself."""
        ...

    def doc_freq(self, word: str, cap: int) -> int:
        """How many documents contain the word, counted up to `cap` (cheap for common words)."""
        ...

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None,
              rank_words: Sequence[str] | None = None, dfs: Mapping[str, int] | None = None) -> list[tuple[int, float]]:
        """Document ids with a relevance score (higher is better), best first, of the `candidates`
        newest matching documents in scope; `estimate`: at most this many documents match, all of
        them containing `anchor` (the rarest word of an AND query); `rank_words`: the words worth
        scoring (None: all); `dfs`: the documents per word the caller chose the words by (counted, or a
        snapshot), which a backend may use instead of counting them again."""
        ...


def _insert_documents(cur: Any, columns: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    cur.executemany(
        f"INSERT INTO search_searchdocument ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 - constants
        [list(v) for v in values],
    )
