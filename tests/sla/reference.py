"""A deliberately naive minute-by-minute model of working time, to check the fast arithmetic against.

It shares nothing with weibao.sla.workcal but the definition: a minute is working time when the wall
clock (in the calendar's zone) at its start shows a time inside an interval of that wall date's rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


class Reference:
    def __init__(self, tz: str, weekdays: dict[int, list[tuple[int, int]]], holidays: set[date],
                 makeup: set[date], always_open: bool = False) -> None:
        self.tz = ZoneInfo(tz)
        self.weekdays = weekdays
        self.holidays = holidays
        self.makeup = makeup
        self.always_open = always_open
        self.makeup_template = next((weekdays[d] for d in range(5) if weekdays.get(d)), [])

    def is_working(self, moment: datetime) -> bool:
        if self.always_open:
            return True
        wall = moment.astimezone(self.tz)
        day = wall.date()
        if day in self.holidays:
            return False
        intervals = self.makeup_template if day in self.makeup else self.weekdays.get(day.weekday(), [])
        m = wall.hour * 60 + wall.minute
        return any(s <= m < e for s, e in intervals)

    def between(self, a: datetime, b: datetime) -> int:
        n, t = 0, a.astimezone(UTC)
        while t < b:
            n += self.is_working(t)
            t += MINUTE
        return n

    def due(self, start: datetime, minutes: int, limit: int = 200_000) -> datetime:
        t, left = start.astimezone(UTC), minutes
        if left == 0:
            return t
        for _ in range(limit):
            if self.is_working(t):
                left -= 1
                if left == 0:
                    return t + MINUTE
            t += MINUTE
        raise AssertionError("reference ran out of minutes")
