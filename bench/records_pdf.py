"""Service-record PDF rendering and archiving speed — prints figures (no assertions).

    /work/main/.venv/bin/python bench/records_pdf.py [N]

Builds a throw-away SQLite database in a temporary WEIBAO_DATA_DIR, takes one request through the
workflow, then renders each of the seven records N times (median / p95 ms, size) and archives it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["WEIBAO_DATA_DIR"] = tempfile.mkdtemp(prefix="weibao-bench-records-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibao.config.settings_test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from weibao.core.fonts import cjk_font_path  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    call_command("migrate", verbosity=0)
    from tests.personas import build_world
    from tests.records.factories import make_ticket, work_to
    from weibao.records.kinds import RecordKind
    from weibao.records.rendering import record_pdf_render
    from weibao.records.services import ticket_archive

    world = build_world()
    ticket = work_to(make_ticket(world), world)
    print(f"font: {cjk_font_path()}")
    print(f"{'record':<14}{'median ms':>10}{'p95 ms':>9}{'KiB':>8}")
    for kind in RecordKind:
        times, size = [], 0
        for _ in range(n):
            start = time.perf_counter()
            size = len(record_pdf_render(ticket, kind.value, language="zh-hans"))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{kind.value:<14}{statistics.median(times):>10.0f}{p95:>9.0f}{size / 1024:>8.0f}")
    start = time.perf_counter()
    archive = ticket_archive(actor=world.users["manager"], ticket=ticket)
    total = sum(d.size for d in archive.documents.all())
    print(f"archive (7 PDFs rendered, then stored with SHA-256 under the row lock): {(time.perf_counter() - start) * 1000:.0f} ms, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
