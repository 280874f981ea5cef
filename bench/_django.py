"""Set up Django for a bench script on its own database (never the developer's or the test suite's).

SQLite: a fresh file under WEIBAO_BENCH_DIR (default /tmp/weibao-bench). PostgreSQL: pass --pg URL
(a database that may be dropped and recreated, e.g. postgresql://postgres@127.0.0.1:5432/wb_bench).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def setup(pg_url: str | None, *, fresh: bool = True, name: str = "bench") -> None:
    root = Path(os.environ.get("WEIBAO_BENCH_DIR", "/tmp/weibao-bench")) / name
    root.mkdir(parents=True, exist_ok=True)
    os.environ["WEIBAO_DATA_DIR"] = str(root)
    os.environ.setdefault("WEIBAO_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    os.environ["WEIBAO_QUEUE_URL"] = "memory://"
    os.environ["WEIBAO_QUEUE_IMMEDIATE"] = "1"
    if pg_url:
        os.environ["WEIBAO_DATABASE_URL"] = pg_url
        if fresh:
            import psycopg

            base, dbname = pg_url.rsplit("/", 1)
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
                conn.execute(f'CREATE DATABASE "{dbname}"')
    else:
        db = root / "bench.sqlite3"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.environ["WEIBAO_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "weibao.config.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def shared_data() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    raise SystemExit("../shared/data (test material) not found next to the checkout")
