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


def test_no_way_out_of_a_transaction_leaves_the_lock_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """BEGIN failing, the connection closed inside the block (close_if_unusable_or_obsolete, a test's
    close_all), and COMMIT failing (a deferred foreign key) all free the lock for the other threads."""
    from django.db import IntegrityError, OperationalError
    from django.db.backends.sqlite3 import base as django_sqlite

    from weibao.sla.models import TicketCursor

    def refuse(self: object) -> None:
        raise OperationalError("database is locked")

    with monkeypatch.context() as m:
        m.setattr(django_sqlite.DatabaseWrapper, "_start_transaction_under_autocommit", refuse)
        with pytest.raises(OperationalError), transaction.atomic():
            pass
    assert _try_lock_elsewhere() and connection.get_autocommit()

    with transaction.atomic():
        CacheVersion.objects.create(name="closed-inside", version=1)
        connection.close_if_unusable_or_obsolete()  # autocommit is off in here: it closes the connection
        assert connection.closed_in_transaction
        assert _try_lock_elsewhere()
    assert not CacheVersion.objects.filter(name="closed-inside").exists()  # rolled back with the connection

    with pytest.raises(IntegrityError), transaction.atomic():
        TicketCursor.objects.create(ticket_id=987654321)  # no such ticket: SQLite refuses at COMMIT
    assert _try_lock_elsewhere() and not connection.in_atomic_block
    with transaction.atomic():
        CacheVersion.objects.create(name="after-failed-commit", version=1)
    assert _try_lock_elsewhere()
