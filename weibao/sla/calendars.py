"""Calendars as the arithmetic sees them, and the two public working-time functions.

`sla_due_at` and `working_minutes_between` accept a Calendar row or a prepared WorkCalendar; the API,
the CLI and the clocks all call these, so a preview and a ticket's deadline can never disagree.
"""

from __future__ import annotations

import threading
from datetime import date, datetime

from django.db.models import Count, Max

from weibao.sla.models import Calendar, DayKind, HolidayDate
from weibao.sla.workcal import WorkCalendar

_cache: dict[int, tuple[tuple[object, ...], WorkCalendar]] = {}
_lock = threading.Lock()


def _holiday_stamp(region: str) -> tuple[object, ...]:
    if not region:
        return ()
    agg = HolidayDate.objects.filter(region=region).aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def work_calendar(calendar: Calendar) -> WorkCalendar:
    """The prepared arithmetic for a calendar row; rebuilt only when its rows changed (two small queries)."""
    intervals = list(calendar.intervals.values_list("weekday", "start", "end"))
    stamp = (calendar.time_zone, calendar.always_open, calendar.holiday_region, tuple(sorted(intervals)),
             _holiday_stamp(calendar.holiday_region))
    with _lock:
        hit = _cache.get(calendar.pk)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    weekdays: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in intervals:
        e = end.hour * 60 + end.minute
        weekdays.setdefault(weekday, []).append((start.hour * 60 + start.minute, 1440 if e == 0 else e))
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    if calendar.holiday_region and not calendar.always_open:
        for day, kind, name in HolidayDate.objects.filter(region=calendar.holiday_region).values_list("date", "kind", "name"):
            (holidays if kind == DayKind.HOLIDAY else makeup)[day] = name
    prepared = WorkCalendar(
        time_zone=calendar.time_zone,
        weekdays={d: tuple(iv) for d, iv in weekdays.items()},
        holidays=holidays,
        makeup_days=makeup,
        always_open=calendar.always_open,
    )
    with _lock:
        _cache[calendar.pk] = (stamp, prepared)
    return prepared


def _prepared(calendar: Calendar | WorkCalendar) -> WorkCalendar:
    return calendar if isinstance(calendar, WorkCalendar) else work_calendar(calendar)


def sla_due_at(calendar: Calendar | WorkCalendar, start: datetime, minutes: float) -> datetime:
    """The moment `minutes` working minutes after `start` (UTC, aware). Raises ValueError if minutes < 0."""
    return _prepared(calendar).due_at(start, minutes)


def working_minutes_between(calendar: Calendar | WorkCalendar, a: datetime, b: datetime) -> float:
    """Working minutes in [a, b); 0 when b <= a."""
    return _prepared(calendar).working_minutes_between(a, b)


def holiday_years_missing(years: list[int], region: str = "CN") -> list[int]:
    """Years with no holiday row for the region (their dates then run as ordinary weekdays)."""
    present = set(
        HolidayDate.objects.filter(region=region, date__year__in=years).values_list("date__year", flat=True).distinct()
    )
    return [y for y in years if y not in present]


def calendar_find(ref: str) -> Calendar:
    """A calendar by public id, numeric id or exact name (the CLI's --calendar)."""
    from weibao.core.errors import NotFound

    qs = Calendar.objects.all()
    found = qs.filter(public_id=ref).first() or qs.filter(name=ref).first()
    if found is None and ref.isdigit():
        found = qs.filter(pk=int(ref)).first()
    if found is None:
        raise NotFound(f"没有名为或编号为 {ref!r} 的日历", details={"calendar": [ref]})
    return found


def parse_due_request(calendar: Calendar, start: str | None, minutes: str | None, hours: str | None) -> tuple[datetime, float]:
    """Parse the preview inputs (API and CLI): ISO 8601 start (naive = the calendar's zone), minutes or hours."""
    from zoneinfo import ZoneInfo

    from django.utils.dateparse import parse_datetime

    from weibao.core.errors import ValidationFailed

    errors: dict[str, list[str]] = {}
    moment: datetime | None = None
    if not start:
        errors["start"] = ["必填：ISO 8601 日期时间，例如 2026-09-30T16:00:00+08:00。"]
    else:
        try:
            moment = parse_datetime(start.strip().replace(" ", "T", 1))
        except ValueError:
            moment = None
        if moment is None:
            errors["start"] = [f"不是 ISO 8601 日期时间：{start!r}。"]
        elif moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(calendar.time_zone))
    amount: float | None = None
    if (minutes is None) == (hours is None):
        errors["minutes"] = ["请给出 minutes 或 hours 之一。"]
    else:
        field, raw = ("minutes", minutes) if minutes is not None else ("hours", hours)
        try:
            value = float(str(raw))
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            errors[field] = [f"应为数字：{raw!r}。"]
        else:
            if value < 0:
                errors[field] = ["时长不能为负数。"]
            elif value > 10_000_000:
                errors[field] = ["时长过大。"]
            else:
                amount = value if field == "minutes" else value * 60
    if errors or moment is None or amount is None:
        raise ValidationFailed("参数无效", details=errors)
    return moment, amount


def default_calendar() -> Calendar | None:
    from weibao.sla.models import Policy

    policy = Policy.objects.select_related("calendar").filter(is_default=True).first()
    if policy is not None:
        return policy.calendar
    return Calendar.objects.filter(public_id="cal-standard").first() or Calendar.objects.order_by("id").first()


def working_days_between_for(start: datetime, end: datetime, organisation: object = None) -> int:
    """Whole working days after start's local date up to end's local date (holidays and 调休 applied)."""
    from datetime import timedelta

    calendar = default_calendar()
    if calendar is None:
        raise LookupError("no calendar")  # pragma: no cover - the seed migration creates one
    wc = work_calendar(calendar)
    first = start.astimezone(wc.tz).date()
    last = end.astimezone(wc.tz).date()
    days, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if wc.rule_for(day).intervals:
            days += 1
    return days
