"""The fast working-time arithmetic agrees with a minute-by-minute reference on random calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sla.reference import Reference
from weibao.sla.workcal import WorkCalendar

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago"]
# Around daylight-saving changes of 2026 (and Chinese holidays), where bugs live.
ANCHORS = [datetime(2026, 3, 6), datetime(2026, 3, 27), datetime(2026, 4, 2), datetime(2026, 9, 24),
           datetime(2026, 10, 22), datetime(2026, 10, 30), datetime(2026, 12, 28), datetime(2026, 1, 31)]


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[int, int]]:
    cuts = sorted(set(draw(st.lists(st.integers(0, 96), min_size=0, max_size=6))))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    # quarter-hour grid, including midnight-to-midnight and slots that cross DST hours (01:00–03:00)
    return [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]


@st.composite
def calendars(draw: st.DrawFn) -> tuple[WorkCalendar, Reference, datetime]:
    tz = draw(st.sampled_from(ZONES))
    weekdays = {d: draw(day_intervals()) for d in range(7)}
    if not any(weekdays.values()):
        weekdays[0] = [(540, 1020)]
    anchor = draw(st.sampled_from(ANCHORS))
    special = draw(st.lists(st.integers(-3, 20), max_size=8, unique=True))
    holidays: set[date] = set()
    makeup: set[date] = set()
    for offset in special:
        day = (anchor + timedelta(days=offset)).date()
        (holidays if draw(st.booleans()) else makeup).add(day)
    always = draw(st.integers(0, 9)) == 0
    wc = WorkCalendar(tz, {d: tuple(v) for d, v in weekdays.items()}, {d: "h" for d in holidays},
                      {d: "m" for d in makeup}, always_open=always)
    ref = Reference(tz, weekdays, holidays, makeup, always_open=always)
    start = anchor.replace(tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    return wc, ref, start


COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(calendars(), st.integers(0, 2400))
def test_due_time_matches_minute_by_minute_reference(cal: tuple[WorkCalendar, Reference, datetime], minutes: int) -> None:
    wc, ref, start = cal
    expected = ref.due(start, minutes)
    assert wc.due_at(start, minutes) == expected
    # and the inverse: exactly `minutes` working minutes lie between start and the due time
    assert wc.working_minutes_between(start, expected) == minutes


@COMMON
@given(calendars(), st.integers(0, 5 * 1440))
def test_working_minutes_between_matches_reference(cal: tuple[WorkCalendar, Reference, datetime], length: int) -> None:
    wc, ref, start = cal
    end = start + timedelta(minutes=length)
    assert wc.working_minutes_between(start, end) == ref.between(start, end)


@COMMON
@given(calendars(), st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 900)), max_size=3), st.integers(1, 1500))
def test_paused_spans_are_not_counted(cal: tuple[WorkCalendar, Reference, datetime],
                                      pauses: list[tuple[int, int]], minutes: int) -> None:
    """A clock that pauses: due = first moment `minutes` unpaused working minutes have passed."""
    wc, ref, start = cal
    spans: list[tuple[datetime, datetime]] = []
    cursor = start
    for gap, length in pauses:  # disjoint pauses after the start, in order
        p0 = cursor + timedelta(minutes=gap)
        spans.append((p0, p0 + timedelta(minutes=length)))
        cursor = p0 + timedelta(minutes=length)
    # the clock's way: consume working time between pauses, then continue from the last resume
    left, run_from = minutes * 60, start
    due = None
    for p0, p1 in spans:
        chunk = wc.between_seconds(int(run_from.timestamp()), int(p0.timestamp()))
        if chunk >= left:
            due = wc.due_at(run_from, left / 60)
            break
        left -= chunk
        run_from = p1
    if due is None:
        due = wc.due_at(run_from, left / 60)
    # the reference's way: walk minutes, skipping paused ones
    t, n = start, 0
    while True:
        paused = any(a <= t < b for a, b in spans)
        if not paused and ref.is_working(t):
            n += 1
            if n == minutes:
                break
        t += timedelta(minutes=1)
    assert due == t + timedelta(minutes=1)


def test_fall_back_hour_counts_twice_and_spring_forward_hour_not_at_all() -> None:
    cal = WorkCalendar("America/New_York", {d: ((0, 240),) for d in range(7)})
    # 2026-11-01: 01:00–02:00 happens twice; 00:00–04:00 on the wall is 5 real hours
    day = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert cal.working_minutes_between(day, day + timedelta(hours=10)) == 300
    # 2026-03-08: 02:00–03:00 does not exist; 00:00–04:00 on the wall is 3 real hours
    day = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert cal.working_minutes_between(day, day + timedelta(hours=10)) == 180
    assert cal.due_at(day, 180) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 04:00 EDT


def test_due_time_skips_national_day_and_counts_makeup_saturday() -> None:
    office = {d: ((510, 720), (810, 1050)) for d in range(5)}
    holidays = {date(2026, 10, d): "国庆节" for d in range(1, 8)}
    cal = WorkCalendar("Asia/Shanghai", office, holidays, {date(2026, 10, 10): "国庆节"})
    start = datetime(2026, 9, 30, 16, 0).replace(tzinfo=cal.tz)  # Wednesday 16:00, 90 minutes left that day
    # 4 working hours: 90 min on 30 Sep, then nothing until Thu 8 Oct 08:30, +150 min → 11:00
    assert cal.due_at(start, 240) == datetime(2026, 10, 8, 11, 0, tzinfo=cal.tz)
    # two working days (900 min) from Fri 9 Oct 08:30: Fri 450 + Sat 10 Oct (调休) 450 → Sat 17:30
    assert cal.due_at(datetime(2026, 10, 9, 8, 30, tzinfo=cal.tz), 900) == datetime(2026, 10, 10, 17, 30, tzinfo=cal.tz)


def test_year_without_holiday_rows_runs_as_ordinary_weekdays() -> None:
    cal = WorkCalendar("Asia/Shanghai", {d: ((540, 1020),) for d in range(5)})
    start = datetime(2027, 10, 1, 9, 0).replace(tzinfo=cal.tz)  # a Friday; no 2027 data: worked as usual
    assert cal.due_at(start, 60) == datetime(2027, 10, 1, 10, 0, tzinfo=cal.tz)


def test_negative_duration_is_refused() -> None:
    cal = WorkCalendar("Asia/Shanghai", {0: ((540, 1020),)})
    try:
        cal.due_at(datetime(2026, 1, 1, tzinfo=UTC), -1)
    except ValueError as exc:
        assert "negative" in str(exc)
    else:
        raise AssertionError("a negative duration was accepted")
