"""In-process caches of rarely-changing, admin-edited data (priority matrix, assignment rules, SLA policies).

Every write path bumps a per-cache version row (`CacheVersion`) in the writer's transaction, through model
signals, so admin pages, services and plain ORM writes all count. A process compares its versions with the
database at most once every `CHECK_SECONDS` (one query for all caches), so another process's edit is seen
within that many seconds; this process's own edit is seen at once (the local copy is dropped immediately and
again at commit). A rolled-back edit leaves a version that no longer matches and is re-read at the next check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F

from weibao.core.models import CacheVersion

T = TypeVar("T")
CHECK_SECONDS = 2.0

_lock = threading.Lock()
_versions: dict[str, int] = {}
_checked_at = [float("-inf")]
_caches: dict[str, Cached[Any]] = {}


def _current_versions() -> dict[str, int]:
    now = time.monotonic()
    if now - _checked_at[0] >= CHECK_SECONDS:
        fresh = dict(CacheVersion.objects.values_list("name", "version"))
        with _lock:
            _versions.clear()
            _versions.update(fresh)
            _checked_at[0] = now
    return _versions


class Cached(Generic[T]):
    """A value loaded by `load` and kept until its version changes."""

    def __init__(self, name: str, load: Callable[[], T]) -> None:
        self.name = name
        self._load = load
        self._entry: tuple[int, T] | None = None
        _caches[name] = self

    def get(self) -> T:
        version = _current_versions().get(self.name, 0)
        entry = self._entry
        if entry is not None and entry[0] == version:
            return entry[1]
        # The version was read before the data: a write committed in between makes the pair look old and
        # be re-read at the next check, never the other way round.
        value = self._load()
        self._entry = (version, value)
        return value

    def drop(self) -> None:
        self._entry = None


def bump(name: str) -> None:
    """Mark a cache stale in every process; call inside the writing transaction."""
    cache = _caches.get(name)
    if cache is not None:
        cache.drop()
        transaction.on_commit(cache.drop)
    _checked_at[0] = float("-inf")  # this process re-reads the versions on its next look-up
    if CacheVersion.objects.filter(name=name).update(version=F("version") + 1):
        return
    try:
        with transaction.atomic():
            CacheVersion.objects.create(name=name, version=1)
    except IntegrityError:
        CacheVersion.objects.filter(name=name).update(version=F("version") + 1)


def clear_local() -> None:
    """Forget every cached value in this process (tests: each test's database starts over)."""
    for cache in _caches.values():
        cache.drop()
    _checked_at[0] = float("-inf")
