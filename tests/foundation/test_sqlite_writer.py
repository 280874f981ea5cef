"""SQLite writers of one process queue on a Python lock (weibao.core.sqlite), held exactly for a transaction."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from weibao.core.models import CacheVersion
from weibao.core.sqlite import base as sqlite_base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the writer lock is the SQLite backend's"),
]


def _try_lock_elsewhere() -> bool:
    """Whether another thread could take the writer lock right now (it is released again at once)."""
    got: list[bool] = []

    def probe() -> None:
        took = sqlite_base._writer.acquire(blocking=False)
        if took:
            sqlite_base._writer.release()
        got.append(took)

    t = threading.Thread(target=probe)
    t.start()
    t.join(5)
    return got[0]


def test_the_lock_is_held_inside_a_transaction_and_released_by_commit_and_rollback() -> None:
    assert connection.settings_dict["ENGINE"] == "weibao.core.sqlite"
    assert _try_lock_elsewhere()
    with transaction.atomic():
        CacheVersion.objects.create(name="writer-1", version=1)
        assert not _try_lock_elsewhere()
        with transaction.atomic():  # a savepoint takes nothing more
            CacheVersion.objects.create(name="writer-2", version=1)
        assert not _try_lock_elsewhere()
    assert _try_lock_elsewhere()
    with pytest.raises(RuntimeError), transaction.atomic():
        CacheVersion.objects.create(name="writer-3", version=1)
        raise RuntimeError("rolled back")
    assert _try_lock_elsewhere()
    assert set(CacheVersion.objects.filter(name__startswith="writer-").values_list("name", flat=True)) == {"writer-1", "writer-2"}


def test_concurrent_writers_of_one_process_all_commit_in_turn() -> None:
    errors: list[BaseException] = []
    inside = threading.Lock()
    overlap: list[bool] = []

    def writer(i: int) -> None:
        try:
            for j in range(10):
                with transaction.atomic():
                    if not inside.acquire(blocking=False):
                        overlap.append(True)  # two transactions of this process at once: the lock failed
                    try:
                        CacheVersion.objects.create(name=f"w{i}-{j}", version=j)
                    finally:
                        if inside.locked():
                            inside.release()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and overlap == []
    assert CacheVersion.objects.filter(name__startswith="w").count() == 60
