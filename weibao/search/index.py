"""Writing the index: what a source says a document is, put into SearchDocument and the backend.

Sources (articles, tickets) register themselves with `register_source`; the outbox handlers and
`weibao search reindex` both ask the source for an object's documents, so incremental and full
indexing cannot disagree. Replacing an object's documents is idempotent: run it twice, same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction

from weibao.core import clock
from weibao.search import tokenizer
from weibao.search.backends import get_backend
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
    rows: list[tuple[int, str, str]] = []
    count = 0
    for ref, docs in specs.items():
        for spec in docs:
            row = _row(spec)
            row.id = by_key.get((ref, spec.part))
            row.save(force_insert=row.id is None)
            rows.append((row.id, *_words(spec)))
            count += 1
    backend.write(rows)
    return count


def unindex_object(kind: str, ref_id: int) -> None:
    with transaction.atomic():
        ids = list(SearchDocument.objects.filter(kind=kind, ref_id=ref_id).values_list("id", flat=True))
        get_backend().delete(ids)
        SearchDocument.objects.filter(id__in=ids).delete()


_COLUMNS = ("id", "kind", "ref_id", "part", "public_id", "title", "body", "visibility", "org_ids", "organisation_id",
            "system_ids", "status", "subtype", "label", "source_created_at", "indexed_at")


def _bulk_insert(objs: list[SearchDocument]) -> None:
    """Insert with ids reserved up front and one executemany: bulk_create's per-row SQL compiling was the
    slowest step of a full reindex (≈0.35 ms a row). Runs inside the caller's transaction."""
    if not objs:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence('search_searchdocument', 'id')) FROM generate_series(1, %s)",
                        [len(objs)])
            ids = [int(r[0]) for r in cur.fetchall()]
        else:
            # Above every FTS rowid too: a row deleted behind the index's back must not collide with a new id.
            cur.execute("SELECT MAX(COALESCE((SELECT MAX(id) FROM search_searchdocument), 0), "
                        "COALESCE((SELECT MAX(rowid) FROM search_fts), 0))")
            first = int(cur.fetchone()[0]) + 1
            ids = list(range(first, first + len(objs)))
        now = clock.now()
        for obj, new_id in zip(objs, ids, strict=True):
            obj.id = new_id
            obj.indexed_at = now
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        cur.executemany(
            f"INSERT INTO search_searchdocument ({', '.join(_COLUMNS)}) VALUES ({placeholders})",  # noqa: S608 - constants
            [[getattr(o, c) for c in _COLUMNS] for o in objs],
        )


def reindex(kinds: Sequence[str] | None = None, *, batch_size: int = 1000,
            progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Rebuild the index of the given kinds (all by default) from their sources; one transaction per batch."""
    done: dict[str, int] = {}
    backend = get_backend()
    for kind in kinds or sorted(_sources):
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
                flat = [s for docs in specs.values() for s in docs]
                objs = [_row(s) for s in flat]
                _bulk_insert(objs)
                backend.write([(o.id, *_words(s)) for o, s in zip(objs, flat, strict=True)], fresh=True)
            seen += len(batch)
            if progress:
                progress(kind, seen, total)
        done[kind] = seen
    return done
