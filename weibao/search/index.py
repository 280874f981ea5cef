"""Writing the index: what a source says a document is, put into SearchDocument and the backend.

Sources (articles, tickets) register themselves with `register_source`; the outbox handlers and
`weibao search reindex` both ask the source for an object's documents, so incremental and full
indexing cannot disagree. Replacing an object's documents is idempotent: run it twice, same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Q

from weibao.core import clock
from weibao.search import tokenizer
from weibao.search.backends import IndexRow, get_backend, meta_text
from weibao.search.models import SearchDocument

MAX_BODY_CHARS = 100_000  # what snippets are cut from; the words of the whole text are indexed


@dataclass
class DocSpec:
    kind: str
    ref_id: int
    public_id: str
    title: str
    body: str
    visibility: str
    created_at: datetime
    part: str = "main"
    org_ids: Sequence[int] = ()
    organisation_id: int | None = None
    system_ids: Sequence[int] = ()
    status: str = ""
    subtype: str = ""
    label: str = ""
    extra_words: str = field(default="", repr=False)  # indexed, not shown (e.g. ticket number, tags)


class Source(Protocol):
    kind: str

    def documents(self, ids: Sequence[int]) -> dict[int, list[DocSpec]]:
        """The documents of each object; an id missing from the result means: remove it from the index."""
        ...

    def id_batches(self, batch_size: int) -> Iterator[list[int]]: ...

    def count(self) -> int: ...


_sources: dict[str, Source] = {}


def register_source(source: Source) -> None:
    _sources[source.kind] = source


def sources() -> dict[str, Source]:
    return dict(_sources)


def id_range(field: str, ids: Sequence[int]) -> Q:
    """A condition selecting at least `ids`: a range when they are dense (a reindex batch: one index range
    scan instead of a thousand bound parameters), `IN` otherwise. Callers keep only the ids they asked for."""
    if len(ids) > 20:
        lo, hi = min(ids), max(ids)
        if hi - lo < 2 * len(ids):
            return Q(**{f"{field}__gte": lo, f"{field}__lte": hi})
    return Q(**{f"{field}__in": list(ids)})


def _ids(values: Iterable[int]) -> str:
    values = sorted(set(values))
    return f",{','.join(str(v) for v in values)}," if values else ""


def _row(spec: DocSpec) -> SearchDocument:
    return SearchDocument(
        kind=spec.kind, ref_id=spec.ref_id, part=spec.part, public_id=spec.public_id, title=spec.title[:300],
        body=spec.body[:MAX_BODY_CHARS], visibility=spec.visibility, org_ids=_ids(spec.org_ids)[:1000],
        organisation_id=spec.organisation_id, system_ids=_ids(spec.system_ids)[:1000], status=spec.status,
        subtype=spec.subtype, label=spec.label[:40], source_created_at=spec.created_at,
    )


def _words(spec: DocSpec) -> tuple[str, str]:
    title = tokenizer.index_text(f"{spec.title} {spec.label}")
    body = tokenizer.index_text(f"{spec.body}\n{spec.extra_words}")
    return title, body


def _meta(spec: DocSpec) -> str:
    return meta_text(visibility=str(spec.visibility), org_ids=spec.org_ids, kind=spec.kind, status=spec.status,
                     organisation_id=spec.organisation_id, system_ids=spec.system_ids)


def index_row(doc_id: int, spec: DocSpec) -> IndexRow:
    return IndexRow(doc_id, *_words(spec), _meta(spec))


def index_object(kind: str, ref_id: int) -> int:
    """Re-read one object from its source and replace its documents. Returns how many it has now."""
    return index_objects(kind, [ref_id])


@transaction.atomic
def index_objects(kind: str, ref_ids: Sequence[int]) -> int:
    source = _sources[kind]
    specs = source.documents(ref_ids)
    backend = get_backend()
    existing = list(SearchDocument.objects.filter(kind=kind, ref_id__in=ref_ids).values_list("id", "ref_id", "part"))
    wanted = {(ref, s.part) for ref, docs in specs.items() for s in docs}
    stale = [doc_id for doc_id, ref, part in existing if (ref, part) not in wanted]
    if stale:
        backend.delete(stale)
        SearchDocument.objects.filter(id__in=stale).delete()
    by_key = {(ref, part): doc_id for doc_id, ref, part in existing}
    rows: list[IndexRow] = []
    new: list[DocSpec] = []
    count = 0
    for ref, docs in specs.items():
        for spec in docs:
            count += 1
            doc_id = by_key.get((ref, spec.part))
            if doc_id is None:  # a new request's documents: one bulk insert with the others, as a reindex does
                new.append(spec)
                continue
            row = _row(spec)
            row.id = doc_id
            row.save()
            rows.append(index_row(doc_id, spec))
    backend.write(rows)
    _bulk_insert(new)
    return count


def unindex_object(kind: str, ref_id: int) -> None:
    with transaction.atomic():
        ids = list(SearchDocument.objects.filter(kind=kind, ref_id=ref_id).values_list("id", flat=True))
        get_backend().delete(ids)
        SearchDocument.objects.filter(id__in=ids).delete()


_COLUMNS = ("id", "kind", "ref_id", "part", "public_id", "title", "body", "visibility", "org_ids", "organisation_id",
            "system_ids", "status", "subtype", "label", "source_created_at", "indexed_at")


def _values(doc_id: int, spec: DocSpec, now: datetime) -> tuple[Any, ...]:
    """A row in `_COLUMNS` order, as `_row` would make it, without a model instance (a million of them)."""
    return (doc_id, spec.kind, spec.ref_id, spec.part, spec.public_id, spec.title[:300], spec.body[:MAX_BODY_CHARS],
            str(spec.visibility), _ids(spec.org_ids)[:1000], spec.organisation_id, _ids(spec.system_ids)[:1000],
            spec.status, spec.subtype, spec.label[:40], spec.created_at, now)


def _reserve_ids(count: int) -> list[int]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence('search_searchdocument', 'id')) FROM generate_series(1, %s)",
                        [count])
            return [int(r[0]) for r in cur.fetchall()]
        # Above every FTS rowid too: a row deleted behind the index's back must not collide with a new id.
        cur.execute("SELECT MAX(COALESCE((SELECT MAX(id) FROM search_searchdocument), 0), "
                    "COALESCE((SELECT MAX(rowid) FROM search_fts), 0))")
        first = int(cur.fetchone()[0]) + 1
        return list(range(first, first + count))


def _bulk_insert(specs: list[DocSpec]) -> None:
    """New documents and their words in one bulk statement per table (COPY on PostgreSQL): per-row
    model instances and SQL compiling were the slowest steps of a full reindex. Runs inside the
    caller's transaction."""
    if not specs:
        return
    ids = _reserve_ids(len(specs))
    now = clock.now()
    words = tokenizer.index_texts([f"{s.title} {s.label}" for s in specs] + [f"{s.body}\n{s.extra_words}" for s in specs])
    titles, bodies = words[:len(specs)], words[len(specs):]
    get_backend().insert(
        _COLUMNS, [_values(i, s, now) for i, s in zip(ids, specs, strict=True)],
        [IndexRow(i, t, b, _meta(s)) for i, s, t, b in zip(ids, specs, titles, bodies, strict=True)],
    )


def reindex(kinds: Sequence[str] | None = None, *, batch_size: int = 1000,
            progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Rebuild the index of the given kinds (all by default) from their sources; one transaction per batch."""
    done: dict[str, int] = {}
    backend = get_backend()
    kinds = list(kinds or sorted(_sources))
    if set(kinds) >= set(_sources):
        with transaction.atomic():  # everything goes: one statement each, not a delete per document
            backend.clear()
            SearchDocument.objects.all().delete()
    for kind in kinds:
        source = _sources[kind]
        total = source.count()
        with transaction.atomic():
            ids = list(SearchDocument.objects.filter(kind=kind).values_list("id", flat=True))
            for start in range(0, len(ids), 5000):
                backend.delete(ids[start:start + 5000])
            SearchDocument.objects.filter(kind=kind).delete()
        seen = 0
        for batch in source.id_batches(batch_size):
            specs = source.documents(batch)
            with transaction.atomic():
                _bulk_insert([s for docs in specs.values() for s in docs])
            seen += len(batch)
            if progress:
                progress(kind, seen, total)
        done[kind] = seen
    backend.refresh_word_counts()  # most words' counts moved (SQLite: one pass over the index)
    return done


def refresh_word_counts() -> int:
    """The hourly refresh of the common words' counts `doc_freq` reads (config/schedules.py)."""
    return get_backend().refresh_word_counts()
