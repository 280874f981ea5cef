"""Calendars and holidays through the services, the API, the CLI and `weibao check`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from weibao.cli import main as weibao_main
from weibao.core.checks import run_checks
from weibao.core.errors import ValidationFailed
from weibao.sla.calendars import calendar_find, sla_due_at, working_minutes_between
from weibao.sla.models import Calendar, HolidayDate, WorkingInterval
from weibao.sla.services import calendar_save, holidays_import_file

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_seed_has_every_row_of_the_state_council_schedule(shared_data_dir: Path) -> None:
    import csv

    path = shared_data_dir / "calendars" / "cn_holidays_and_makeup_workdays_2024_2026.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    seeded = {(h.date.isoformat(), h.kind) for h in HolidayDate.objects.filter(region="CN")}
    assert seeded == {(r["date"], r["kind"]) for r in rows}
    assert len(seeded) == 108


def test_standard_calendar_skips_golden_week_and_works_makeup_saturday() -> None:
    office = Calendar.objects.get(public_id="cal-standard")
    start = datetime(2025, 9, 30, 16, 0, tzinfo=SH)  # Tuesday; 90 min left that day
    assert sla_due_at(office, start, 240) == datetime(2025, 10, 9, 11, 0, tzinfo=SH)
    # Sunday 28 Sep 2025 is a make-up workday: a report on Saturday evening is answered on Sunday
    assert sla_due_at(office, datetime(2025, 9, 27, 20, 0, tzinfo=SH), 60) == datetime(2025, 9, 28, 9, 30, tzinfo=SH)
    assert working_minutes_between(office, datetime(2025, 9, 28, tzinfo=SH), datetime(2025, 9, 29, tzinfo=SH)) == 450


def test_editing_intervals_changes_due_times_at_once() -> None:
    office = Calendar.objects.get(public_id="cal-standard")
    start = datetime(2026, 11, 23, 8, 30, tzinfo=SH)  # Monday
    assert sla_due_at(office, start, 240) == datetime(2026, 11, 23, 14, 0, tzinfo=SH)
    calendar_save(actor=None, calendar=office, intervals=[{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)])
    assert sla_due_at(office, start, 240) == datetime(2026, 11, 23, 13, 0, tzinfo=SH)


@pytest.mark.parametrize(("rows", "field"), [
    ([{"weekday": 0, "start": "12:00", "end": "08:30"}], "intervals[0].end"),
    ([{"weekday": 0, "start": "08:30", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}], "intervals[1].start"),
    ([{"weekday": 7, "start": "08:30", "end": "12:00"}], "intervals[0].weekday"),
    ([{"weekday": 1, "start": "8h", "end": "12:00"}], "intervals[0].start"),
    ([{"weekday": 1, "start": "09:00", "end": "25:00"}], "intervals[0].end"),
])
def test_bad_intervals_are_refused_naming_the_field_and_nothing_is_saved(rows: list[dict[str, Any]], field: str) -> None:
    office = Calendar.objects.get(public_id="cal-standard")
    before = list(office.intervals.values_list("weekday", "start", "end"))
    with pytest.raises(ValidationFailed) as info:
        calendar_save(actor=None, calendar=office, time_zone="Europe/Berlin", intervals=rows)
    assert field in info.value.details
    office.refresh_from_db()
    assert office.time_zone == "Asia/Shanghai"
    assert list(office.intervals.values_list("weekday", "start", "end")) == before


def test_unknown_time_zone_and_empty_calendar_are_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        calendar_save(actor=None, name="夜班", time_zone="Mars/Olympus", intervals=[])
    assert set(info.value.details) >= {"time_zone"}
    with pytest.raises(ValidationFailed) as info:
        calendar_save(actor=None, name="夜班", time_zone="Asia/Shanghai", intervals=[])
    assert "intervals" in info.value.details
    assert not Calendar.objects.filter(name="夜班").exists()


def test_calendar_with_lunch_break_and_midnight_end() -> None:
    cal = calendar_save(actor=None, name="夜班", time_zone="Asia/Shanghai",
                        intervals=[{"weekday": 0, "start": "20:00", "end": "24:00"}])
    assert WorkingInterval.objects.get(calendar=cal).minutes == (1200, 1440)
    start = datetime(2026, 11, 23, 23, 0, tzinfo=SH)
    assert sla_due_at(cal, start, 90) == datetime(2026, 11, 30, 20, 30, tzinfo=SH)


CSV_2027 = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,makeup_workday,春节\n2027-02-07,休,春节\n"


def test_csv_import_adds_a_year_and_the_check_line_turns_ok() -> None:
    with time_machine.travel(datetime(2026, 11, 22, 12, tzinfo=SH)):
        line = next(r for r in run_checks() if r.name == "holidays CN")
        assert line.level == "WARN" and "2027" in line.detail and "ordinary weekdays" in line.detail
        result = holidays_import_file(actor=None, filename="2027.csv", data=CSV_2027.encode())
        assert (result.created, result.years) == (3, [2027])
        assert next(r for r in run_checks() if r.name == "holidays CN").level == "OK"
    office = Calendar.objects.get(public_id="cal-standard")
    # Saturday 6 Feb 2027 is now a make-up workday
    assert sla_due_at(office, datetime(2027, 2, 6, 8, 30, tzinfo=SH), 30) == datetime(2027, 2, 6, 9, 0, tzinfo=SH)


@pytest.mark.parametrize(("content", "where"), [
    ("date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n", "row 3"),
    ("date,kind\n2027-01-01,holiday\n2027-01-02,vacation\n", "row 3"),
    ("date,kind\n2027-01-01,holiday\n2027-01-01,makeup_workday\n", "row 3"),
    ("day,type\n2027-01-01,holiday\n", "header"),
])
def test_bad_holiday_csv_names_the_row_and_saves_nothing(content: str, where: str) -> None:
    before = HolidayDate.objects.count()
    with pytest.raises(ValidationFailed) as info:
        holidays_import_file(actor=None, filename="bad.csv", data=content.encode())
    assert where in info.value.details
    assert HolidayDate.objects.count() == before


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//holidays//CN\r
BEGIN:VEVENT\r
UID:1@test\r
DTSTART;VALUE=DATE:20270101\r
DTEND;VALUE=DATE:20270104\r
SUMMARY:\xe5\x85\x83\xe6\x97\xa6\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@test\r
DTSTART;VALUE=DATE:20270206\r
SUMMARY:\xe6\x98\xa5\xe8\x8a\x82\xe8\xa1\xa5\xe7\x8f\xad\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ics_import_reads_multi_day_holidays_and_makeup_days() -> None:
    result = holidays_import_file(actor=None, filename="cn2027.ics", data=ICS)
    assert result.created == 4
    kinds = dict(HolidayDate.objects.filter(date__year=2027).values_list("date", "kind"))
    assert kinds == {date(2027, 1, 1): "holiday", date(2027, 1, 2): "holiday", date(2027, 1, 3): "holiday",
                     date(2027, 2, 6): "makeup_workday"}


def test_ics_with_timed_event_is_refused_naming_the_event() -> None:
    bad = ICS.replace(b"DTSTART;VALUE=DATE:20270206", b"DTSTART:20270206T090000Z")
    with pytest.raises(ValidationFailed) as info:
        holidays_import_file(actor=None, filename="cn2027.ics", data=bad)
    assert any(k.startswith("event 2") for k in info.value.details)
    assert not HolidayDate.objects.filter(date__year=2027).exists()


# --- API ------------------------------------------------------------------------------------------
def test_api_lists_calendars_and_previews_due_time(world: Any, api: Callable[..., Any]) -> None:
    client = api(world.users["engineer"])
    listed = client.get("/api/v1/calendars").json()["results"]
    assert {"cal-standard", "cal-24x7"} <= {c["id"] for c in listed}
    r = client.get("/api/v1/calendars/cal-standard/due", {"start": "2025-09-30T16:00:00+08:00", "minutes": "240"})
    assert r.status_code == 200, r.content
    assert r.json()["due"] == "2025-10-09T11:00:00+08:00"
    r = client.get("/api/v1/calendars/cal-standard/due", {"start": "2025-09-30T16:00", "hours": "4"})
    assert r.json()["due_utc"] == "2025-10-09T03:00:00+00:00"


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "yesterday", "minutes": "60"}, "start"),
    ({"start": "2026-01-05T09:00:00+08:00", "minutes": "-5"}, "minutes"),
    ({"start": "2026-01-05T09:00:00+08:00", "hours": "abc"}, "hours"),
    ({"start": "2026-01-05T09:00:00+08:00"}, "minutes"),
])
def test_api_due_with_bad_parameters_is_400_naming_the_field(world: Any, api: Callable[..., Any],
                                                             params: dict[str, str], field: str) -> None:
    r = api(world.users["customer_a"]).get("/api/v1/calendars/cal-standard/due", params)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and field in body["details"] and body["message"]


def test_api_holiday_import_is_all_or_nothing(world: Any, api: Callable[..., Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(world.users["manager"])
    bad = SimpleUploadedFile("h.csv", b"date,kind\n2027-01-01,holiday\nnot-a-date,holiday\n", "text/csv")
    r = client.post("/api/v1/holidays/import", {"file": bad}, format="multipart")
    assert r.status_code == 400 and "row 3" in r.json()["details"]
    assert not HolidayDate.objects.filter(date__year=2027).exists()
    good = SimpleUploadedFile("h.csv", CSV_2027.encode(), "text/csv")
    r = client.post("/api/v1/holidays/import", {"file": good}, format="multipart")
    assert r.json() == {"created": 3, "updated": 0, "years": [2027]}
    assert len(client.get("/api/v1/holidays", {"year": "2027"}).json()["results"]) == 3


# --- CLI ------------------------------------------------------------------------------------------
def test_cli_due_uses_the_same_function(capsys: pytest.CaptureFixture[str]) -> None:
    assert weibao_main(["sla", "due", "--calendar", "标准工作日历", "--start", "2025-09-30T16:00:00+08:00",
                        "--minutes", "240"]) == 0
    assert capsys.readouterr().out.strip() == "2025-10-09T11:00:00+08:00"
    assert weibao_main(["sla", "due", "--calendar", "cal-24x7", "--start", "2025-09-30T16:00", "--hours", "24",
                        "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["due"] == "2025-10-01T16:00:00+08:00"


def test_cli_due_rejects_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert weibao_main(["sla", "due", "--calendar", "nope", "--start", "2025-09-30T16:00", "--minutes", "1"]) == 2
    assert "nope" in capsys.readouterr().err
    assert weibao_main(["sla", "due", "--calendar", "cal-standard", "--start", "2025-09-30T16:00", "--minutes", "-1"]) == 2
    assert "minutes" in capsys.readouterr().err


def test_cli_holiday_import_reports_bad_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "h.csv"
    f.write_text("date,kind\n2027-01-01,holiday\n2027-13-01,holiday\n", encoding="utf-8")
    assert weibao_main(["sla", "holidays", "import", str(f)]) == 2
    assert "row 3" in capsys.readouterr().err
    assert not HolidayDate.objects.filter(date__year=2027).exists()


def test_calendar_find_by_name_id_and_pk() -> None:
    cal = Calendar.objects.get(public_id="cal-24x7")
    assert calendar_find("7×24") == cal == calendar_find("cal-24x7") == calendar_find(str(cal.pk))


# --- staff pages ----------------------------------------------------------------------------------
def test_staff_dashboard_warns_about_missing_next_year(world: Any, web: Callable[..., Any]) -> None:
    with time_machine.travel(datetime(2026, 11, 22, 12, tzinfo=SH)):
        page = web(world.users["engineer"]).get("/staff/").content.decode()
    assert "2027" in page and "普通工作日" in page


def test_staff_calendar_edit_shows_the_error_and_saves_nothing(world: Any, web: Callable[..., Any]) -> None:
    client = web(world.users["manager"])
    data = {f"day{d}": "" for d in range(7)} | {"day0": "08:30-12:00, 11:00-13:00", "time_zone": "Asia/Shanghai"}
    r = client.post("/staff/sla/calendars/cal-standard/", data)
    assert r.status_code == 400 and "intervals[1].start" in r.content.decode()
    assert Calendar.objects.get(public_id="cal-standard").intervals.count() == 10
    data["day0"] = "09:00-17:00"
    r = client.post("/staff/sla/calendars/cal-standard/", data)
    assert r.status_code == 302
    assert Calendar.objects.get(public_id="cal-standard").intervals.count() == 1


def test_ticket_auto_close_counts_working_days_on_the_holiday_calendar() -> None:
    from weibao.tickets.states import working_days_between

    friday = datetime(2026, 5, 8, 10, 0, tzinfo=SH)
    # Sat 9 May 2026 is a make-up workday: Sat, Mon, Tue = 3 working days by Tuesday
    assert working_days_between(friday, datetime(2026, 5, 12, 10, 0, tzinfo=SH)) == 3
    # National Day week 2026: 1–7 Oct are holidays, Sat 10 Oct is worked
    assert working_days_between(datetime(2026, 9, 30, 10, 0, tzinfo=SH), datetime(2026, 10, 10, 10, 0, tzinfo=SH)) == 3
