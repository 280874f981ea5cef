"""The embedded queue: Huey on a SQLite file, committed without waiting for the disk.

Huey's SQLite storage offers `synchronous` FULL (an fsync per enqueue and per dequeue) or OFF (no fsync at
all, and a file that a power cut may corrupt). A task here only says "deliver the outbox" or "run this
schedule": the outbox rows in the main database are the durable record and the minute sweep delivers what a
lost task would have. So the queue takes NORMAL, as the main database does: in WAL mode a commit does not
fsync (a power cut may lose the last few tasks, never the file).
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class WalNormalSqliteStorage(SqliteStorage):  # type: ignore[misc]
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class EmbeddedHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = WalNormalSqliteStorage
