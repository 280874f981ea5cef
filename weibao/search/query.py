"""Searching: sanitise what the user typed, ask the backend, keep only what the actor may read, rank.

Tenancy is part of the SQL (not a filter on the results afterwards), so a customer gets a full page
of their own hits and a document they may not read never leaves the database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.html import escape

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core import clock
from weibao.search import tokenizer
from weibao.search.backends import Where, get_backend
from weibao.search.models import SearchDocument, Visibility

MAX_LIMIT = 50
RECENCY_BOOST = 0.3  # a document from today scores up to 30 % above an equally relevant old one
RECENCY_HALF_LIFE_DAYS = 180.0
SNIPPET_CHARS = 160
SHORT_QUERY_WORDS = 3
OR_WORDS = 12
MAX_SNIPPET_SCAN = 50_000


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


def visibility_where(actor: Actor | None) -> Where:
    """Staff read everything; a customer public documents and their own organisation's; others public only."""
    if access.is_staff(actor):
        return Where("", [])
    org_id = getattr(actor, "organisation_id", None) if access.is_customer(actor) else None
    if org_id:
        return Where("(d.visibility = %s OR (d.visibility = %s AND d.org_ids LIKE %s))",
                     [Visibility.PUBLIC.value, Visibility.ORGS.value, f"%,{int(org_id)},%"])
    return Where("d.visibility = %s", [Visibility.PUBLIC.value])


def filters_where(f: Filters) -> Where:
    sql: list[str] = []
    params: list[Any] = []
    if f.kinds:
        sql.append(f"d.kind IN ({', '.join(['%s'] * len(f.kinds))})")
        params += list(f.kinds)
    if f.organisation_id is not None:
        sql.append("d.organisation_id = %s")
        params.append(int(f.organisation_id))
    if f.system_id is not None:
        sql.append("d.system_ids LIKE %s")
        params.append(f"%,{int(f.system_id)},%")
    if f.status:
        sql.append("d.status = %s")
        params.append(f.status)
    if f.statuses:
        sql.append(f"d.status IN ({', '.join(['%s'] * len(f.statuses))})")
        params += list(f.statuses)
    if f.created_from is not None:
        sql.append("d.source_created_at >= %s")
        params.append(f.created_from)
    if f.created_to is not None:
        sql.append("d.source_created_at < %s")
        params.append(f.created_to)
    return Where(" AND ".join(sql), params)


def _and(*parts: Where) -> Where:
    used = [p for p in parts if p.sql]
    return Where(" AND ".join(f"({p.sql})" for p in used), [x for p in used for x in p.params])


def search(*, actor: Actor | None, q: str, filters: Filters | None = None, limit: int = 20) -> SearchResult:
    """Never raises on what a user typed: nothing searchable in it gives no hits."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    words = tokenizer.query_tokens(q or "")
    if not words:
        return SearchResult(q, [], [])
    where = _and(visibility_where(actor), filters_where(filters or Filters()))
    backend = get_backend()
    # Fetch more than asked: one object may have several documents (main text, notes, attachments).
    want = limit * 3
    scored: dict[int, float] = {}
    for doc_id, score in backend.match(words, any_word=False, where=where, limit=want):
        scored[doc_id] = 1000.0 + score  # every document with all the words ranks above partial matches
    complete = set(scored)
    # Partial matches fill up a short list for long queries (a customer's description, a whole ticket);
    # a short query that found documents with all its words is precise, and partial matches are noise.
    if len(scored) < want and len(words) > 1 and (not scored or len(words) > SHORT_QUERY_WORDS):
        # The first OR_WORDS words only: every extra word of an OR query reads another posting list.
        for doc_id, score in backend.match(words[:OR_WORDS], any_word=True, where=where, limit=want):
            scored.setdefault(doc_id, score)
    docs = SearchDocument.objects.in_bulk(list(scored))
    now = clock.now()
    best: dict[tuple[str, int], tuple[float, SearchDocument]] = {}
    for doc_id, score in scored.items():
        doc = docs.get(doc_id)
        if doc is None:
            continue
        age_days = max(0.0, (now - doc.source_created_at).total_seconds() / 86400)
        ranked = score * (1 + RECENCY_BOOST * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS))
        key = (doc.kind, doc.ref_id)
        if key not in best or ranked > best[key][0]:
            best[key] = (ranked, doc)
    terms = tokenizer.highlight_terms(q)
    ordered = sorted(best.values(), key=lambda pair: pair[0], reverse=True)[:limit]
    hits = [
        Hit(kind=d.kind, ref_id=d.ref_id, public_id=d.public_id, title=d.title, title_html=highlight(d.title, terms),
            snippet_html=snippet(d.body, terms), label=d.label, status=d.status, subtype=d.subtype,
            organisation_id=d.organisation_id, created_at=d.source_created_at, score=round(s, 4), part=d.part,
            matched_all=d.id in complete)
        for s, d in ordered
    ]
    return SearchResult(q, words, hits)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    terms = [t for t in terms if t]
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with the terms in <mark>; safe to insert into a page as it is."""
    pattern = _pattern(terms)
    if pattern is None:
        return str(escape(text))
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


def snippet(text: str, terms: list[str], size: int = SNIPPET_CHARS) -> str:
    """The window of `size` characters with the most different terms in it, highlighted."""
    text = " ".join(text.split())
    pattern = _pattern(terms)
    matches = list(pattern.finditer(text[:MAX_SNIPPET_SCAN])) if pattern else []
    matches = matches[:200]
    start = 0
    if matches:
        best = -1
        for i, m in enumerate(matches):
            window = {x.group(0).lower() for x in matches[i:i + 40] if x.end() <= m.start() + size}
            if len(window) > best:
                best, start = len(window), m.start()
        start = max(0, start - size // 4)
    piece = text[start:start + size]
    body = highlight(piece, terms)
    return ("…" if start > 0 else "") + body + ("…" if start + size < len(text) else "")
