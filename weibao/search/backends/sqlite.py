"""SQLite FTS5 index backend (the default); see the package docstring."""

from __future__ import annotations

import math
import time
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction

from weibao.search.backends import base
from weibao.search.backends.base import IndexRow, Scope, _insert_documents, _tok

# An AND query's rare words are walked alone when they leave at most this many documents, whose text is
# then checked for the common words (see _all_words_among_rare).
VERIFY_MAX = 200
# FTS5 bm25()'s constants (fts5_aux.c), for the rows scored here instead (see _bm25).
BM25_K1 = 1.2
BM25_B = 0.75


def _fold(token: str) -> str:
    """A token as unicode61 with remove_diacritics compares it: letters without their accents (tokens are
    already lower-case and NFKC-folded by the tokenizer)."""
    if token.isascii():
        return token
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def _tokens(text: str, wanted: set[str]) -> set[str]:
    """The tokens of an indexed text, folded (accents off) only when the words are not all there as they
    are and the text has something to fold: folding every token of a long body costs."""
    tokens = set(text.split())
    if wanted <= tokens or unicodedata.is_normalized("NFKD", text):
        return tokens
    return {_fold(t) for t in tokens}


def _counts_of(text: str) -> Counter[str]:
    """Occurrences of each token of an indexed text, folded as unicode61 compares them (see _tokens)."""
    tokens = text.split()
    if unicodedata.is_normalized("NFKD", text):
        return Counter(tokens)
    return Counter(_fold(t) for t in tokens)


def _varints(blob: bytes) -> list[int]:
    """The integers of an FTS5 size record (SQLite's varint: 7 bits a byte, high bit on every byte but
    the last, the ninth byte's 8 bits whole)."""
    out: list[int] = []
    i, n = 0, len(blob)
    while i < n:
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


# What migration search/0002 creates (a migration keeps its own copy).
FTS5_TABLE = "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, meta, tokenize = 'unicode61 remove_diacritics 2')"

# Words in at least this many documents have their count in search_word_count (migration search/0005),
# refreshed after a reindex and every hour (`refresh_word_counts`); rarer words are counted when asked.
COMMON_MIN_DOCS = 1000
COUNTS_SECONDS = 300.0
_counts: tuple[float, dict[str, int]] | None = None


def common_words() -> dict[str, int]:
    """Documents per word for the words of search_word_count, cached a few minutes per process (the
    table is a snapshot anyway): counting a word in 10,001+ documents costs FTS5 about 1 ms, ×20 words
    for a long description seen for the first time."""
    global _counts
    now = time.monotonic()
    if _counts is None or now - _counts[0] >= COUNTS_SECONDS:
        with connection.cursor() as cur:
            cur.execute("SELECT term, docs FROM search_word_count")
            _counts = (now, {str(t): int(d) for t, d in cur.fetchall()})
    return _counts[1]


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

    def refresh_word_counts(self) -> int:
        """Rewrite the snapshot of the words in COMMON_MIN_DOCS or more documents from FTS5's own term
        list (`fts5vocab`, 'row': documents per term; one pass over the index, ≈ 2–4 s at 1M documents).
        The filter tokens of the `meta` column are terms of the same table; they are left out, so a word
        that happens to spell one ("o12") is counted over titles and bodies instead. Returns the words kept."""
        # The scan reads outside any transaction (WAL: writers go on meanwhile); only the few thousand rows
        # it kept are written under the write lock, which every request's write would otherwise wait seconds for.
        with connection.cursor() as cur:
            cur.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fts_rows USING fts5vocab(main, search_fts, 'row')")
            cur.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fts_cols USING fts5vocab(main, search_fts, 'col')")
            cur.execute("SELECT term, doc FROM temp.search_fts_rows WHERE doc >= %s AND term NOT IN "
                        "(SELECT term FROM temp.search_fts_cols WHERE col = 'meta')", [COMMON_MIN_DOCS])
            rows = cur.fetchall()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM search_word_count")
            cur.executemany("INSERT INTO search_word_count (term, docs) VALUES (%s, %s)", rows)
        kept = len(rows)
        global _counts
        _counts = None
        return kept

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
        """A common word's count from the snapshot (search_word_count); any other word is counted, up to
        `cap` (fewer than COMMON_MIN_DOCS rows unless it became common since the snapshot)."""
        common = common_words().get(word)
        if common is not None:
            return min(cap, common)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s)",
                        ["{title body} : " + self._quote(word), cap])
            return int(cur.fetchone()[0])

    def _all_words_among_rare(self, cur: Any, words: Sequence[str], rank_words: Sequence[str] | None,
                              scope: Scope, texts: dict[int, tuple[str, str]] | None = None) -> list[int] | None:
        """The documents in scope with every word, newest first, found through the rare words: None when
        that does not pay (no common word in the query, or the rare words together are in more than
        VERIFY_MAX documents). An AND with a word in hundreds of thousands of documents costs FTS5 10–25 ms
        at 1M documents even when the rare words leave a dozen rows (every word of a long description is
        ANDed first); the rows the rare words find are checked for the common ones in their indexed text
        (stored by FTS5), which is the text FTS5 matched: tokens split on spaces (see the tokenizer). The
        found rows' (title, body) are put in `texts` when given (they are scored from it, see _bm25)."""
        if rank_words is None or not rank_words or set(rank_words) >= set(words):
            return None
        join, dates, date_params = self._dates(scope)
        cur.execute(f"SELECT search_fts.rowid FROM search_fts{join} WHERE search_fts MATCH %s{dates} "  # noqa: S608
                    "ORDER BY search_fts.rowid DESC LIMIT %s",
                    [self._expression(rank_words, any_word=False, scope=scope), *date_params, VERIFY_MAX + 1])
        ids = [int(r[0]) for r in cur.fetchall()]
        if len(ids) > VERIFY_MAX:
            return None
        if not ids:
            return []
        common = {_fold(w) for w in words} - {_fold(w) for w in rank_words}
        cur.execute(f"SELECT rowid, title, body FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(ids))})",  # noqa: S608
                    ids)
        have = {int(i): (str(title), str(body)) for i, title, body in cur.fetchall()
                if common <= _tokens(f"{title} {body}", common)}
        if texts is not None:
            texts.update(have)
        return [i for i in ids if i in have]

    @staticmethod
    def _title_matches(cur: Any, ids: Sequence[int], words: Sequence[str], *, any_word: bool) -> set[int]:
        """Which of the rows have the words (any, or all) in their indexed title: the tokens FTS5 matched,
        split on spaces and folded as unicode61 folds them (see _tokens)."""
        wanted = {_fold(w) for w in words}
        titled: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            cur.execute(f"SELECT rowid, title FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                        chunk)
            for doc_id, title in cur.fetchall():
                have = _tokens(str(title), wanted)
                if (have & wanted) if any_word else (wanted <= have):
                    titled.add(int(doc_id))
        return titled

    def _bm25(self, cur: Any, texts: Mapping[int, tuple[str, str]], ranking: Sequence[str],
              dfs: Mapping[str, int]) -> dict[int, float]:
        """FTS5's bm25() of `ranking` (an OR or AND of the words over title and body, title weight
        TITLE_WEIGHT) for a few rows whose text is at hand, positive. bm25() first counts the documents of
        every phrase over the whole index (the words of a long description's AND: tens of thousands of
        rows, 2–6 ms at 1M documents, for a dozen rows to score); here the counts are the ones the query
        chose its words by (`dfs`: counted, or the common words' snapshot) and the rest is what bm25()
        reads: the table's totals (FTS5's averages record) and each row's size (its docsize record)."""
        cur.execute("SELECT block FROM search_fts_data WHERE id = 1")
        totals = _varints(bytes(cur.fetchone()[0]))
        n_rows, n_tokens = totals[0], sum(totals[1:])
        avgdl = n_tokens / n_rows
        ids = list(texts)
        cur.execute(f"SELECT id, sz FROM search_fts_docsize WHERE id IN ({', '.join(['%s'] * len(ids))})",  # noqa: S608
                    ids)
        sizes = {int(i): sum(_varints(bytes(sz))) for i, sz in cur.fetchall()}
        idf = [math.log((n_rows - dfs[w] + 0.5) / (dfs[w] + 0.5)) for w in ranking]
        idf = [v if v > 0.0 else 1e-6 for v in idf]  # as bm25() keeps a word in most rows
        folded = [_fold(w) for w in ranking]
        scores: dict[int, float] = {}
        for doc_id, (title, body) in texts.items():
            size = sizes.get(doc_id)
            if size is None:
                continue
            in_title, in_body = _counts_of(title), _counts_of(body)
            norm = BM25_K1 * (1 - BM25_B + BM25_B * size / avgdl)
            score = 0.0
            for word, weight in zip(folded, idf, strict=True):
                freq = base.TITLE_WEIGHT * in_title[word] + in_body[word]
                score += weight * ((freq * (BM25_K1 + 1.0)) / (freq + norm))
            scores[doc_id] = score
        return scores

    def match(self, words: Sequence[str], *, any_word: bool, scope: Scope, limit: int, candidates: int,
              estimate: int | None = None, anchor: str | None = None, rank_words: Sequence[str] | None = None,
              dfs: Mapping[str, int] | None = None) -> list[tuple[int, float]]:
        if not words:
            return []
        expr = self._expression(words, any_word=any_word, scope=scope)
        join, dates, date_params = self._dates(scope)
        ranking = list(words if rank_words is None else rank_words)
        # bm25() counts, for every phrase of the expression, all the documents containing it: a word in a
        # quarter of a million documents costs tens of ms. Words that common weigh almost nothing (low IDF),
        # so only `rank_words` are scored, over the rows the walk found. The scope's tokens stay out of an
        # AND's scored expression for the same reason (a customer's "public" and organisation tokens are in
        # tens of thousands of documents each): the rows are picked out of the walk's here, and an AND of
        # scored words matches few. An OR of the rare words of a long text matches up to tens of thousands
        # out of scope: there counting the scope's documents once is cheaper than returning those rows.
        scoped = self.scope_query(scope) if any_word else ""
        rank_expr = "{title body} : (" + self.fts_query(ranking, any_word=any_word) + ")" + (f" AND {scoped}" if scoped else "")
        with connection.cursor() as cur:
            texts: dict[int, tuple[str, str]] = {}
            found = None if any_word else self._all_words_among_rare(cur, words, rank_words, scope, texts)
            if found is None and ranking and set(ranking) == set(words) and not join and (any_word or not self.scope_query(scope)):
                # Every word scored, no date join, the scope inside the expression (or none): the scored rows
                # are the walk's rows, so one statement walks the newest `candidates` and scores them, and
                # SQLite keeps the best (equal scores: the newest). Walking first and then scoring the rows
                # above the walk's last id read the doclists twice and took 10,000 ids through Python (≈ 5 ms
                # of a long description's OR at 1M documents).
                cur.execute(
                    f"SELECT rowid, r FROM (SELECT rowid, bm25(search_fts, {base.TITLE_WEIGHT}, 1.0, 0.0) AS r "  # noqa: S608
                    "FROM search_fts WHERE search_fts MATCH %s ORDER BY rowid DESC LIMIT %s) ORDER BY r, rowid DESC LIMIT %s",
                    [rank_expr, candidates, limit],
                )
                # bm25() is negative, lower is better: flip it so every backend says "higher is better".
                return [(int(i), -float(r)) for i, r in cur.fetchall()]
            if found is None:
                # Walking the match newest first without scoring is cheap (FTS5 merges the doclists).
                cur.execute(f"SELECT search_fts.rowid FROM search_fts{join} WHERE search_fts MATCH %s{dates} "  # noqa: S608
                            "ORDER BY search_fts.rowid DESC LIMIT %s", [expr, *date_params, candidates])
                found = [int(r[0]) for r in cur.fetchall()]
            if not found:
                return []
            floor, wanted = found[-1], set(found)
            scores: dict[int, float] = {}
            if ranking and texts and dfs is not None and all(w in dfs for w in ranking):
                # The AND's few rows found through its rare words, their text at hand: scored here, without
                # bm25()'s count of every word's documents (see _bm25).
                scores = self._bm25(cur, texts, ranking, dfs)
            elif ranking:
                cur.execute(
                    f"SELECT rowid, bm25(search_fts, {base.TITLE_WEIGHT}, 1.0, 0.0) AS r FROM search_fts "  # noqa: S608
                    "WHERE search_fts MATCH %s AND rowid >= %s", [rank_expr, floor],
                )
                scores = {int(i): -float(r) for i, r in cur.fetchall() if int(i) in wanted}
            elif len(found) < candidates and len(set(words)) > 1:
                # Every word is that common, and the walk found every match (sparse: its floor is the oldest
                # match, so a second FTS5 pass over the title would intersect the common words' whole doclists,
                # ≈ 25 ms at 1M). A title match is a match, so it is among the walk's rows: their titles are
                # read by rowid and checked here (≈ 1 ms per 200 rows). One word's pass reads one doclist and
                # stays cheaper than reading the rows back.
                titled = self._title_matches(cur, found, words, any_word=any_word)
                scores = {doc_id: (base.TITLE_WEIGHT if doc_id in titled else 1.0) for doc_id in found}
            else:
                # Every word is that common: title matches first, then the newest (the walk's order).
                # In scope too (no bm25 here, so its tokens cost only a merge): the title matches a customer
                # may not read would be most of the rows above the floor. Dense matches: the floor is recent
                # and this pass short.
                scoped = self.scope_query(scope)
                title_expr = "title : (" + self.fts_query(words, any_word=any_word) + ")"
                cur.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s",
                            [title_expr + (f" AND {scoped}" if scoped else ""), floor])
                titled = {int(r[0]) for r in cur.fetchall()}
                scores = {doc_id: (base.TITLE_WEIGHT if doc_id in titled else 1.0) for doc_id in found}
        # Newer first among equal scores, as the walk found them (ids descending). Scores are positive, so
        # the rows left unscored follow every scored one and only the scored rows (often a page) are sorted.
        best = sorted(scores, key=lambda i: (-scores[i], -i))[:limit]
        if len(best) < limit:
            best += [i for i in found if i not in scores][:limit - len(best)]
        return [(i, scores.get(i, 0.0)) for i in best]
