"""Django's SQLite backend, with the threads of one process queueing for the write lock in Python.

SQLite lets one writer in at a time; a second `BEGIN IMMEDIATE` gets SQLITE_BUSY and its busy handler
sleeps and retries (1, 2, 5, 10 … up to 100 ms a try), so under concurrent writes a thread often sleeps long
after the lock was freed: in the embedded shape (web threads and the outbox consumer in one process) the
process sat idle half the time while creates waited. Here a write transaction first takes a process-wide
lock, so the next writer of the same process starts the moment the previous one commits. Other processes
(a separate `weibao worker`, the CLI) still meet at SQLite's own lock, as before.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

# Re-entrant: one thread may hold transactions on two connections (e.g. the test database and another alias).
_writer = threading.RLock()
_WAIT_SECONDS = 20.0  # as long as SQLite's own busy timeout; after that SQLite decides (and may say "locked")


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        took = _writer.acquire(timeout=_WAIT_SECONDS)
        self._holds_writer = took
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
