"""Searching: sanitise what the user typed, ask the backend, keep only what the actor may read, rank.

Tenancy is part of the index query (not a filter on the results afterwards), so a customer gets a
full page of their own hits and a document they may not read never leaves the database. Each query
ranks a bounded set of candidates (`CANDIDATES`, see backends/__init__.py), so latency does not grow with the
number of documents a common word matches.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import escape  # what django.utils.html.escape runs, without its lazy-string wrapper (thousands of calls a page)

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core import clock
from weibao.search import tokenizer
from weibao.search.backends import Scope, SearchBackend, get_backend
from weibao.search.models import SearchDocument

MAX_LIMIT = 50
RECENCY_BOOST = 0.3  # a document from today scores up to 30 % above an equally relevant old one
RECENCY_HALF_LIFE_DAYS = 180.0
SNIPPET_CHARS = 160
SHORT_QUERY_WORDS = 3
OR_WORDS = 12
MAX_SNIPPET_SCAN = 50_000
SNIPPET_WINDOW_MATCHES = 40
# At most this many matching documents are ranked per query (the newest); see backends/__init__.py. Measured
# with bench/search_quality.py and bench/search_scale.py (bench/README.md).
CANDIDATES = 2000  # all the words
OR_CANDIDATES = 10_000  # some of the words (the partial matches of long queries)
OR_WORD_MAX_DF = 5000  # a word more documents contain is left out of OR queries
# Document frequencies are counted up to this (above every backend's rank_all_max); a word found this
# often is not scored (SQLite: see SqliteFts5Backend.match).
DF_CAP = 10_001
DF_CACHE_SECONDS = 300.0
DF_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    organisation_id: int | None = None
    system_id: int | None = None
    status: str = ""
    statuses: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class Hit:
    kind: str
    ref_id: int
    public_id: str
    title: str
    title_html: str
    snippet_html: str
    label: str
    status: str
    subtype: str
    organisation_id: int | None
    created_at: datetime
    score: float
    part: str
    matched_all: bool = False  # every query word is in the document


@dataclass(frozen=True)
class SearchResult:
    query: str
    words: list[str]
    hits: list[Hit]


def scope(actor: Actor | None, f: Filters) -> Scope:
    """Staff read everything; a customer public documents and their own organisation's; others public only."""
    staff = access.is_staff(actor)
    org_id = getattr(actor, "organisation_id", None) if access.is_customer(actor) else None
    return Scope(everything=staff, org_id=None if staff or not org_id else int(org_id), kinds=tuple(f.kinds),
                 statuses=tuple(f.statuses) + ((f.status,) if f.status else ()),
                 organisation_id=None if f.organisation_id is None else int(f.organisation_id),
                 system_id=None if f.system_id is None else int(f.system_id),
                 created_from=f.created_from, created_to=f.created_to)


_df_cache: dict[tuple[str, str], tuple[int, float]] = {}


def doc_freq(backend: SearchBackend, word: str) -> int:
    """Documents containing the word, counted up to DF_CAP; cached a few minutes (it moves slowly)."""
    now = time.monotonic()
    key = (backend.name, word)
    cached = _df_cache.get(key)
    if cached is not None and now - cached[1] < DF_CACHE_SECONDS:
        return cached[0]
    if len(_df_cache) >= DF_CACHE_SIZE:
        _df_cache.clear()
    df = backend.doc_freq(word, DF_CAP)
    _df_cache[key] = (df, now)
    return df


def or_words(backend: SearchBackend, words: list[str]) -> tuple[list[str], int]:
    """The words an OR query ranks by, and how many documents they match at most: the first OR_WORDS
    that at most OR_WORD_MAX_DF documents contain (or, if none does, the rarest one), and on a backend
    that ranks every match (`rank_all_max`) only while together they stay under it. A word that many
    documents contain says little about relevance (its BM25 weight is near zero) but would make
    every document a candidate."""
    chosen: list[str] = []
    total = 0
    rarest: tuple[int, str] | None = None
    budget = backend.rank_all_max
    for word in words:
        df = doc_freq(backend, word)
        if df == 0:
            continue
        if df <= OR_WORD_MAX_DF and (budget is None or not chosen or total + df <= budget):
            chosen.append(word)
            total += df
            if len(chosen) >= OR_WORDS:
                break
        elif rarest is None or df < rarest[0]:
            rarest = (df, word)
    if chosen:
        return chosen, total
    return ([rarest[1]], rarest[0]) if rarest else ([], 0)


def search(*, actor: Actor | None, q: str, filters: Filters | None = None, limit: int = 20) -> SearchResult:
    """Never raises on what a user typed: nothing searchable in it gives no hits."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    words = tokenizer.query_tokens(q or "")
    if not words:
        return SearchResult(q, [], [])
    where = scope(actor, filters or Filters())
    backend = get_backend()
    # Fetch more than asked: one object may have several documents (main text, notes, attachments).
    want = limit * 3
    scored: dict[int, float] = {}
    # The rarest word bounds how many documents have them all (a backend may then rank them all).
    dfs = {w: doc_freq(backend, w) for w in words}
    estimate, anchor = min((df, w) for w, df in dfs.items())
    rank_words = [w for w in words if dfs[w] < DF_CAP]  # the others are in too many documents to weigh
    for doc_id, score in backend.match(words, any_word=False, scope=where, limit=want, candidates=CANDIDATES,
                                       estimate=estimate, anchor=anchor, rank_words=rank_words, dfs=dfs):
        scored[doc_id] = 1000.0 + score  # every document with all the words ranks above partial matches
    complete = set(scored)
    # Partial matches fill up a short list for long queries (a customer's description, a whole ticket);
    # a short query that found documents with all its words is precise, and partial matches are noise.
    if len(scored) < want and len(words) > 1 and (not scored or len(words) > SHORT_QUERY_WORDS):
        rare, estimate = or_words(backend, words)
        dfs.update({w: doc_freq(backend, w) for w in rare})
        if rare:
            for doc_id, score in backend.match(rare, any_word=True, scope=where, limit=want, candidates=OR_CANDIDATES,
                                               estimate=estimate, rank_words=[w for w in rare if dfs.get(w, 0) < DF_CAP],
                                               dfs=dfs):
                scored.setdefault(doc_id, score)
    # Ranking needs three columns of each scored document (a long description scores ~120); the whole row,
    # body included (up to 100k characters), is read for the returned page only, below.
    rows = {r[0]: r[1:] for r in SearchDocument.objects.filter(id__in=list(scored))
            .values_list("id", "kind", "ref_id", "source_created_at")}
    now = clock.now()
    best: dict[tuple[str, int], tuple[float, int]] = {}
    for doc_id in scored:  # in the backends' order: it breaks ties
        if doc_id not in rows:
            continue
        kind, ref_id, created_at = rows[doc_id]
        age_days = max(0.0, (now - created_at).total_seconds() / 86400)
        ranked = scored[doc_id] * (1 + RECENCY_BOOST * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS))
        key = (kind, ref_id)
        if key not in best or ranked > best[key][0]:
            best[key] = (ranked, doc_id)
    terms = tokenizer.highlight_terms(q)
    ordered = sorted(best.values(), key=lambda pair: pair[0], reverse=True)[:limit]
    docs = SearchDocument.objects.in_bulk([doc_id for _s, doc_id in ordered])
    hits = [
        Hit(kind=d.kind, ref_id=d.ref_id, public_id=d.public_id, title=d.title, title_html=highlight(d.title, terms),
            snippet_html=snippet(d.body, terms), label=d.label, status=d.status, subtype=d.subtype,
            organisation_id=d.organisation_id, created_at=d.source_created_at, score=round(s, 4), part=d.part,
            matched_all=d.id in complete)
        for s, d in ((s, docs.get(doc_id)) for s, doc_id in ordered) if d is not None
    ]
    return SearchResult(q, words, hits)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    return _compiled(tuple(terms))


@functools.lru_cache(maxsize=256)
def _compiled(terms: tuple[str, ...], flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
    # Built once per query text, not for each of a page's ~60 titles, snippets and windows (a long
    # description's 24 terms escaped, sorted and joined each time: ≈ 2 ms a page).
    kept = [t for t in terms if t]
    if not kept:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(kept, key=len, reverse=True)), flags)


@functools.lru_cache(maxsize=256)
def _compiled_lower(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    # For ASCII terms in ASCII text: the lower-cased terms in the lower-cased text find what the
    # IGNORECASE pattern finds (ASCII letters fold only among themselves) at the same offsets, ≈ 6×
    # faster for a long description's 24 alternatives (Python's re tries each of them at every
    # position, and case-insensitively that is slow).
    if not all(t.isascii() for t in terms):
        return None
    return _compiled(tuple(t.lower() for t in terms), 0)


def _spans(text: str, terms: list[str]) -> Iterator[tuple[int, int]]:
    """Where the terms are in the text, case ignored, left to right, the longest term first at a place."""
    key = tuple(terms)
    lower = _compiled_lower(key) if text.isascii() else None
    if lower is not None:
        return (m.span() for m in lower.finditer(text.lower()))
    pattern = _compiled(key)
    return (m.span() for m in pattern.finditer(text)) if pattern is not None else iter(())


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with the terms in <mark>; safe to insert into a page as it is."""
    out: list[str] = []
    pos = 0
    for first, last in _spans(text, terms):
        out.append(escape(text[pos:first]))
        out.append(f"<mark>{escape(text[first:last])}</mark>")
        pos = last
    out.append(escape(text[pos:]))
    return "".join(out)


def snippet(text: str, terms: list[str], size: int = SNIPPET_CHARS) -> str:
    """The window of `size` characters with the most different terms in it, highlighted."""
    text = " ".join(text.split())
    scanned = text[:MAX_SNIPPET_SCAN]
    found = [(first, last, scanned[first:last].lower()) for first, last in itertools.islice(_spans(scanned, terms), 200)]
    start = 0
    if found:
        # The window opening at each match holds the next matches (at most SNIPPET_WINDOW_MATCHES) that end
        # within `size`; matches do not overlap, so both ends only move forward: one pass, counting the
        # distinct terms in the window (a long description's page of hits made ~200 matches × 40 sets per hit).
        counts: dict[str, int] = {}
        best, end = -1, 0
        for i, (first, _end, _term) in enumerate(found):
            while end < len(found) and end < i + SNIPPET_WINDOW_MATCHES and found[end][1] <= first + size:
                counts[found[end][2]] = counts.get(found[end][2], 0) + 1
                end += 1
            if len(counts) > best:
                best, start = len(counts), first
            if end > i:  # the opening match leaves the window
                term = found[i][2]
                counts[term] -= 1
                if not counts[term]:
                    del counts[term]
            else:
                end = i + 1
        start = max(0, start - size // 4)
    piece = text[start:start + size]
    body = highlight(piece, terms)
    return ("…" if start > 0 else "") + body + ("…" if start + size < len(text) else "")
