"""Working-time arithmetic, free of the database: the one implementation every SLA figure comes from.

Definition (docs/architecture.md, "Working time"): a moment is working time when the wall clock of
the calendar's time zone shows a time inside one of the working intervals of the wall date's day
type. Day types: a statutory holiday is closed; a make-up workday (调休) works the intervals of the
first weekday Monday–Friday that has any; every other date works its weekday's intervals. A year
without holiday rows therefore simply runs on ordinary weekdays. A 7×24 calendar is always open and
ignores holidays. Durations are real elapsed seconds, so a repeated hour when daylight saving ends
counts twice and a skipped hour counts zero.

Speed: per calendar and year we precompute each day's working spans as UTC epoch seconds and the
cumulative working seconds at each day start; a due time is then two bisections and a short walk
over one day's spans, and whole years are skipped by their totals.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
HORIZON_YEARS = 30  # a duration that needs more working time than this is an error, never a hang
_EPOCH = datetime(1970, 1, 1)


class NoWorkingTime(ValueError):
    """The calendar has no working time within the horizon (e.g. no intervals at all)."""


Interval = tuple[int, int]  # minutes of the day, 0 <= start < end <= 1440


@dataclass(frozen=True)
class DayRule:
    kind: str  # "weekday", "holiday", "makeup_workday", "always"
    intervals: tuple[Interval, ...]
    name: str = ""


@dataclass
class _Year:
    starts: list[int]  # UTC epoch of each local day start, plus the next year's first day start
    spans: list[tuple[tuple[int, int], ...]]
    cum: list[int]  # working seconds before each day; cum[-1] = the year's total

    @property
    def total(self) -> int:
        return self.cum[-1]


@dataclass
class WorkCalendar:
    """An immutable description of a calendar plus its lazily built per-year tables."""

    time_zone: str
    weekdays: dict[int, tuple[Interval, ...]]  # 0 = Monday
    holidays: dict[date, str] = field(default_factory=dict)
    makeup_days: dict[date, str] = field(default_factory=dict)
    always_open: bool = False
    _years: dict[int, _Year] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.time_zone)
        self.weekdays = {d: tuple(sorted(iv)) for d, iv in self.weekdays.items() if iv}
        self.makeup_intervals: tuple[Interval, ...] = next(
            (self.weekdays[d] for d in range(5) if d in self.weekdays), ()
        )
        if not self.always_open and not self.weekdays:
            raise NoWorkingTime("the calendar has no working intervals")

    # --- day rules ------------------------------------------------------------------------
    def rule_for(self, day: date) -> DayRule:
        if self.always_open:
            return DayRule("always", ((0, 1440),))
        if day in self.holidays:
            return DayRule("holiday", (), self.holidays[day])
        if day in self.makeup_days:
            return DayRule("makeup_workday", self.makeup_intervals, self.makeup_days[day])
        return DayRule("weekday", self.weekdays.get(day.weekday(), ()))

    # --- time zone conversions -----------------------------------------------------------
    def _offset(self, ts: int) -> int:
        off = datetime.fromtimestamp(ts, self.tz).utcoffset()
        return int(off.total_seconds()) if off else 0

    def _first_instant(self, wall: datetime) -> int:
        """The first UTC moment whose wall time is >= `wall` (exact across DST gaps and folds)."""
        naive = int((wall - _EPOCH).total_seconds())
        u0, u1 = (int(wall.replace(tzinfo=self.tz, fold=f).timestamp()) for f in (0, 1))
        lo, hi = min(u0, u1), max(u0, u1)
        for u in (lo, hi):  # exists (when ambiguous, the earlier of the two)
            if u + self._offset(u) == naive:
                return u
        # In a gap: wall time jumps forward inside [lo, hi]; bisect for the first instant past it.
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + self._offset(mid) >= naive:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _change_points(self, a: int, b: int) -> list[int]:
        """UTC instants in (a, b) where the offset changes (at most a couple per day)."""
        points: list[int] = []
        step = 3600
        t = a
        prev = self._offset(a)
        while t < b:
            nxt = min(t + step, b - 1)
            cur = self._offset(nxt)
            if cur != prev:
                lo, hi = t, nxt
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self._offset(mid) == prev:
                        lo = mid
                    else:
                        hi = mid
                points.append(hi)
                prev = cur
            if nxt >= b - 1:
                break
            t = nxt
        return points

    # --- per-year tables -----------------------------------------------------------------
    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> _Year:
        first = date(year, 1, 1)
        n = (date(year + 1, 1, 1) - first).days
        days = [first + timedelta(days=i) for i in range(n + 1)]
        starts = [self._first_instant(datetime.combine(d, time())) for d in days]
        spans: list[tuple[tuple[int, int], ...]] = []
        cum = [0]
        for i in range(n):
            a, b = starts[i], starts[i + 1]
            day_spans = self._day_spans(days[i], a, b)
            spans.append(day_spans)
            cum.append(cum[-1] + sum(e - s for s, e in day_spans))
        return _Year(starts, spans, cum)

    def _day_spans(self, day: date, a: int, b: int) -> tuple[tuple[int, int], ...]:
        intervals = self.rule_for(day).intervals
        if not intervals:
            return ()
        wall0 = int((datetime.combine(day, time()) - _EPOCH).total_seconds())
        off_a, off_b = self._offset(a), self._offset(b - 1)
        segments: list[tuple[int, int, int]]
        if off_a == off_b and b - a == DAY:
            segments = [(a, b, off_a)]
        else:
            cuts = [a, *self._change_points(a, b), b]
            segments = [(cuts[k], cuts[k + 1], self._offset(cuts[k])) for k in range(len(cuts) - 1)]
        out: list[tuple[int, int]] = []
        for seg_a, seg_b, off in segments:
            for s, e in intervals:
                lo = max(seg_a, wall0 + s * 60 - off)
                hi = min(seg_b, wall0 + e * 60 - off)
                if lo < hi:
                    out.append((lo, hi))
        out.sort()
        merged: list[tuple[int, int]] = []
        for s, e in out:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        return tuple(merged)

    # --- positions -----------------------------------------------------------------------
    def _locate(self, ts: int) -> tuple[int, int, int]:
        """(year, day index, working seconds of that year before ts)."""
        year = datetime.fromtimestamp(ts, self.tz).year
        table = self._year(year)
        i = bisect.bisect_right(table.starts, ts) - 1
        # The wall year and the bisect agree except within a second of midnight rounding.
        if i < 0:
            year -= 1
            table = self._year(year)
            i = len(table.spans) - 1
        elif i >= len(table.spans):
            year += 1
            table = self._year(year)
            i = 0
        done = table.cum[i]
        for s, e in table.spans[i]:
            if ts <= s:
                break
            done += min(ts, e) - s
        return year, i, done

    # --- the two operations ----------------------------------------------------------------
    def due_ts(self, start: int, seconds: int) -> int:
        if seconds < 0:
            raise ValueError("duration must not be negative")
        if seconds == 0:
            return start
        year, _i, done = self._locate(start)
        need = done + seconds
        for _ in range(HORIZON_YEARS):
            table = self._year(year)
            if need <= table.total:
                j = bisect.bisect_left(table.cum, need) - 1
                rest = need - table.cum[j]
                for s, e in table.spans[j]:
                    if rest <= e - s:
                        return s + rest
                    rest -= e - s
                raise AssertionError("cumulative table inconsistent")  # pragma: no cover
            need -= table.total
            year += 1
        raise NoWorkingTime(f"not enough working time within {HORIZON_YEARS} years")

    def between_seconds(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        ya, _ia, da = self._locate(a)
        yb, _ib, db = self._locate(b)
        total = db - da
        for y in range(ya, yb):
            total += self._year(y).total
        return total

    def due_at(self, start: datetime, minutes: float) -> datetime:
        return datetime.fromtimestamp(self.due_ts(_ts(start), round(minutes * 60)), UTC)

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        return self.between_seconds(_ts(a), _ts(b)) / 60

    def spans_between(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """The working spans inside [a, b), as aware UTC datetimes (for explanations)."""
        lo, hi = _ts(a), _ts(b)
        out: list[tuple[datetime, datetime]] = []
        year, i, _ = self._locate(lo)
        while True:
            table = self._year(year)
            while i < len(table.spans):
                if table.starts[i] >= hi:
                    return out
                for s, e in table.spans[i]:
                    s2, e2 = max(s, lo), min(e, hi)
                    if s2 < e2:
                        out.append((datetime.fromtimestamp(s2, UTC), datetime.fromtimestamp(e2, UTC)))
                i += 1
            year, i = year + 1, 0


def _ts(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("a time zone–aware datetime is required")
    return int(moment.timestamp())
