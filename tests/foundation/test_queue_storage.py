"""The embedded queue's SQLite file: WAL, commits without an fsync each (the outbox is the durable record)."""

from __future__ import annotations

from pathlib import Path

from weibao.core.queue import EmbeddedHuey


def test_embedded_queue_commits_with_synchronous_normal_in_wal(tmp_path: Path) -> None:
    huey = EmbeddedHuey("t", filename=str(tmp_path / "queue.sqlite3"))
    conn = huey.storage.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL; Huey's own choices are FULL or OFF
    huey.storage.enqueue(b"task", 0)
    assert huey.storage.dequeue() == b"task"
    huey.storage.close()
