"""Due-time computations per second on the standard calendar (CN holidays 2024–2026) — prints figures.

    /work/main/.venv/bin/python bench/sla_due.py [N]

Uses the seed rows of the sla data migration directly (no database needed), and the same
WorkCalendar.due_at that sla_due_at() calls for every clock, API preview and CLI answer.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weibao.sla.workcal import WorkCalendar


def seed_rows() -> list[tuple[str, str, str, bool]]:
    path = Path(__file__).resolve().parent.parent / "weibao/sla/migrations/0002_seed_cn_holidays.py"
    spec = importlib.util.spec_from_file_location("seed", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.ROWS)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rows = seed_rows()
    holidays = {date.fromisoformat(d): name for d, kind, name, _l in rows if kind == "holiday"}
    makeup = {date.fromisoformat(d): name for d, kind, name, _l in rows if kind == "makeup_workday"}
    office = {d: ((510, 720), (810, 1050)) for d in range(5)}
    rnd = random.Random(7)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(minutes=rnd.randrange(0, 3 * 365 * 1440)) for _ in range(n)]
    minutes = [rnd.choice([120, 240, 900, 1800, 4500, 9900]) for _ in range(n)]
    for label, tz in (("Asia/Shanghai", "Asia/Shanghai"), ("Europe/Berlin (DST)", "Europe/Berlin")):
        cal = WorkCalendar(tz, office, holidays, makeup)
        t0 = time.perf_counter()
        cal.due_at(starts[0], 60)  # the first call builds a year's table
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for s, m in zip(starts, minutes, strict=True):
            cal.due_at(s, m)
        elapsed = time.perf_counter() - t0
        print(f"{label:<22} {n:>8} due computations in {elapsed:.3f} s = {n / elapsed:>10,.0f} /s "
              f"(goal >= 50,000 /s); first-year table build {build * 1000:.1f} ms")
        t0 = time.perf_counter()
        for s, m in zip(starts, minutes, strict=True):
            cal.working_minutes_between(s, s + timedelta(minutes=m * 3))
        elapsed = time.perf_counter() - t0
        print(f"{label:<22} {n:>8} working_minutes_between in {elapsed:.3f} s = {n / elapsed:>10,.0f} /s")


if __name__ == "__main__":
    main()
