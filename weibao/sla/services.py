"""Writes for calendars and holidays. Every function validates everything first, then saves in one transaction."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts.models import User
from weibao.core.errors import ValidationFailed
from weibao.sla.models import Calendar, DayKind, HolidayDate, WorkingInterval

KIND_ALIASES = {
    "holiday": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "假": DayKind.HOLIDAY, "节假日": DayKind.HOLIDAY,
    "makeup_workday": DayKind.MAKEUP_WORKDAY, "workday": DayKind.MAKEUP_WORKDAY, "班": DayKind.MAKEUP_WORKDAY,
    "补班": DayKind.MAKEUP_WORKDAY, "调休": DayKind.MAKEUP_WORKDAY, "调休工作日": DayKind.MAKEUP_WORKDAY,
}
MAX_IMPORT_ROWS = 5000


# --- calendars ---------------------------------------------------------------------------------
def _parse_time(value: Any, field: str, errors: dict[str, list[str]]) -> int | None:
    """Minutes of the day; "24:00" is allowed (and "00:00" as an end means the same)."""
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    text = str(value or "").strip()
    try:
        hh, mm = text.split(":")[:2]
        h, m = int(hh), int(mm)
    except ValueError:
        errors.setdefault(field, []).append(_("时间格式应为 HH:MM，收到 %(v)r。") % {"v": text})
        return None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        errors.setdefault(field, []).append(_("时间 %(v)s 超出 00:00–24:00。") % {"v": text})
        return None
    return h * 60 + m


def validate_intervals(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """[(weekday, start_min, end_min)] or ValidationFailed naming every bad field (intervals[i].end ...)."""
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[int, int, int, int]] = []
    for i, row in enumerate(rows):
        prefix = f"intervals[{i}]"
        try:
            weekday = int(row.get("weekday"))  # type: ignore[arg-type]
            if not 0 <= weekday <= 6:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(f"{prefix}.weekday", []).append(_("星期应为 0（星期一）到 6（星期日）。"))
            continue
        start = _parse_time(row.get("start"), f"{prefix}.start", errors)
        end = _parse_time(row.get("end"), f"{prefix}.end", errors)
        if start is None or end is None:
            continue
        if end == 0:
            end = 1440
        if start >= 1440:
            errors.setdefault(f"{prefix}.start", []).append(_("开始时间不能是 24:00。"))
            continue
        if end <= start:
            errors.setdefault(f"{prefix}.end", []).append(
                _("结束时间 %(e)s 不晚于开始时间 %(s)s（时段颠倒或长度为零）。") % {"e": _hm(end), "s": _hm(start)})
            continue
        parsed.append((weekday, start, end, i))
    parsed.sort()
    for (wd1, s1, e1, i1), (wd2, s2, _e2, i2) in itertools.pairwise(parsed):
        if wd1 == wd2 and s2 < e1:
            errors.setdefault(f"intervals[{max(i1, i2)}].start", []).append(
                _("与第 %(j)d 个时段重叠（%(a)s–%(b)s）。") % {"j": min(i1, i2), "a": _hm(s1), "b": _hm(e1)})
    if errors:
        raise ValidationFailed(_("工作时段无效"), details=errors)
    return [(wd, s, e) for wd, s, e, _i in parsed]


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _to_time(minutes: int) -> time:
    return time(0, 0) if minutes == 1440 else time(minutes // 60, minutes % 60)


def _validate_calendar_fields(name: str | None, time_zone: str | None, errors: dict[str, list[str]]) -> None:
    if name is not None and not name.strip():
        errors["name"] = [_("名称不能为空。")]
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [_("未知时区 %(tz)r。") % {"tz": time_zone}]


@transaction.atomic
def calendar_save(*, actor: User | None, calendar: Calendar | None = None, name: str | None = None,
                  time_zone: str | None = None, always_open: bool | None = None, holiday_region: str | None = None,
                  description: str | None = None, intervals: Sequence[Mapping[str, Any]] | None = None) -> Calendar:
    """Create (calendar=None) or update a calendar; `intervals` replaces the whole weekly pattern."""
    errors: dict[str, list[str]] = {}
    if calendar is None and not name:
        errors["name"] = [_("名称不能为空。")]
    _validate_calendar_fields(name, time_zone, errors)
    same_name = Calendar.objects.filter(name=(name or "").strip())
    if calendar is not None:
        same_name = same_name.exclude(pk=calendar.pk)
    if name and same_name.exists():
        errors["name"] = [_("已有同名日历。")]
    parsed: list[tuple[int, int, int]] | None = None
    if intervals is not None:
        try:
            parsed = validate_intervals(intervals)
        except ValidationFailed as exc:
            errors.update(exc.details)
    is_open = always_open if always_open is not None else bool(calendar and calendar.always_open)
    has_intervals = bool(parsed) if parsed is not None else bool(calendar and calendar.intervals.exists())
    if not errors and not is_open and not has_intervals:
        errors["intervals"] = [_("非全天候日历至少需要一个工作时段。")]
    if errors:
        raise ValidationFailed(_("日历无效"), details=errors)
    calendar = calendar or Calendar()
    for field, value in (("name", name and name.strip()), ("time_zone", time_zone), ("always_open", always_open),
                         ("holiday_region", holiday_region), ("description", description)):
        if value is not None:
            setattr(calendar, field, value)
    calendar.save()
    if parsed is not None:
        calendar.intervals.all().delete()
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=wd, start=_to_time(s), end=_to_time(e)) for wd, s, e in parsed
        )
    _recompute_after_commit([calendar.pk])
    return calendar


CALENDAR_CHANGED_TOPIC = "sla.calendar_changed"


def _recompute_after_commit(calendar_ids: list[int]) -> None:
    """Stored due times of open clocks follow calendar and holiday edits: from the outbox after commit
    (`sla/events.py`), so a crash or a lost queue task cannot skip the recompute."""
    from uuid import uuid4

    from weibao.core.outbox import outbox_put

    for calendar_id in calendar_ids:
        outbox_put(topic=CALENDAR_CHANGED_TOPIC, key=f"{calendar_id}:{uuid4().hex}", payload={"calendar_id": calendar_id},
                   fresh=True)


# --- holidays ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HolidayRow:
    date: date
    kind: str
    name: str = ""
    in_lieu: bool = False


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    years: list[int]


def _kind(value: str) -> str | None:
    return KIND_ALIASES.get(value.strip().lower()) or KIND_ALIASES.get(value.strip())


def parse_holiday_csv(text: str) -> list[HolidayRow]:
    """Columns date, kind (holiday / makeup_workday, or 休 / 班), optional name|holiday_name, in_lieu|is_in_lieu."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if not {"date", "kind"} <= fields:
        raise ValidationFailed(_("CSV 缺少必需的列 date 与 kind"), details={"header": sorted(fields)})
    rows: list[HolidayRow] = []
    errors: dict[str, list[str]] = {}
    seen: dict[date, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"row {line}"
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ValidationFailed(_("文件过大：最多 %(n)d 行") % {"n": MAX_IMPORT_ROWS}, details={where: ["too many rows"]})
        try:
            day = date.fromisoformat(row.get("date", ""))
        except ValueError:
            errors.setdefault(where, []).append(_("日期 %(v)r 无效，应为 YYYY-MM-DD。") % {"v": row.get("date", "")})
            continue
        kind = _kind(row.get("kind", ""))
        if kind is None:
            errors.setdefault(where, []).append(_("类型 %(v)r 无效，应为 holiday 或 makeup_workday。") % {"v": row.get("kind", "")})
            continue
        if day in seen:
            errors.setdefault(where, []).append(_("日期 %(d)s 与第 %(l)d 行重复。") % {"d": day, "l": seen[day]})
            continue
        seen[day] = line
        name = row.get("name") or row.get("holiday_name") or ""
        lieu = (row.get("in_lieu") or row.get("is_in_lieu") or "0").lower() in {"1", "true", "yes", "是"}
        rows.append(HolidayRow(day, kind, name[:100], lieu))
    if errors:
        raise ValidationFailed(_("节假日文件有错误，未导入任何数据"), details=errors)
    return rows


def parse_holiday_ics(data: bytes) -> list[HolidayRow]:
    """All-day VEVENTs; a summary or category with 班/补班/上班/makeup marks a make-up workday."""
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError) as exc:
        raise ValidationFailed(_("无法解析 iCalendar 文件"), details={"file": [str(exc)]}) from None
    rows: list[HolidayRow] = []
    errors: dict[str, list[str]] = {}
    seen: set[date] = set()
    for n, event in enumerate(cal.walk("VEVENT"), start=1):
        summary = str(event.get("SUMMARY", "")).strip()
        where = f"event {n}" + (f" ({summary})" if summary else "")
        start_prop, end_prop = event.get("DTSTART"), event.get("DTEND")
        start = getattr(start_prop, "dt", None)
        if not isinstance(start, date) or hasattr(start, "hour"):
            errors.setdefault(where, []).append(_("DTSTART 缺失或不是全天日期（VALUE=DATE）。"))
            continue
        end = getattr(end_prop, "dt", None) if end_prop is not None else start + timedelta(days=1)
        if not isinstance(end, date) or hasattr(end, "hour") or end <= start or (end - start).days > 31:
            errors.setdefault(where, []).append(_("DTEND 无效（应为晚于 DTSTART 的全天日期，且不超过 31 天）。"))
            continue
        cats = " ".join(str(c) for c in _categories(event))
        text = f"{summary} {cats}".lower()
        makeup = any(w in text for w in ("补班", "上班", "makeup", "make-up", "workday")) or summary.endswith("班")
        kind = DayKind.MAKEUP_WORKDAY if makeup else DayKind.HOLIDAY
        for k in range((end - start).days):
            day = start + timedelta(days=k)
            if day in seen:
                errors.setdefault(where, []).append(_("日期 %(d)s 重复出现。") % {"d": day})
                continue
            seen.add(day)
            rows.append(HolidayRow(day, kind, summary[:100]))
    if errors:
        raise ValidationFailed(_("节假日文件有错误，未导入任何数据"), details=errors)
    if not rows:
        raise ValidationFailed(_("文件中没有全天事件"), details={"file": [_("没有 VEVENT。")]})
    return rows


def _categories(event: Any) -> list[str]:
    value = event.get("CATEGORIES")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        cats = getattr(item, "cats", None)
        out += [str(c) for c in cats] if cats is not None else [str(item)]
    return out


@transaction.atomic
def holidays_import(*, actor: User | None, rows: list[HolidayRow], region: str = "CN", source: str = "") -> ImportResult:
    """Upsert rows by (region, date); all or nothing."""
    if not region.strip():
        raise ValidationFailed(_("地区不能为空"), details={"region": [_("必填。")]})
    existing = {h.date: h for h in HolidayDate.objects.select_for_update().filter(region=region, date__in=[r.date for r in rows])}
    created = updated = 0
    for row in rows:
        current = existing.get(row.date)
        if current is None:
            HolidayDate.objects.create(region=region, date=row.date, kind=row.kind, name=row.name, in_lieu=row.in_lieu,
                                       source=source[:200])
            created += 1
        elif (current.kind, current.name, current.in_lieu) != (row.kind, row.name, row.in_lieu):
            current.kind, current.name, current.in_lieu, current.source = row.kind, row.name, row.in_lieu, source[:200]
            current.save()
            updated += 1
    _recompute_after_commit(list(Calendar.objects.filter(holiday_region=region).values_list("pk", flat=True)))
    return ImportResult(created, updated, sorted({r.date.year for r in rows}))


def holidays_import_file(*, actor: User | None, filename: str, data: bytes, region: str = "CN") -> ImportResult:
    """CSV or .ics by file name (or content); bad rows → ValidationFailed naming them, nothing saved."""
    is_ics = filename.lower().endswith((".ics", ".ical")) or data.lstrip()[:15].upper().startswith(b"BEGIN:VCALENDAR")
    if is_ics:
        rows = parse_holiday_ics(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ValidationFailed(_("文件编码无法识别（应为 UTF-8 或 GB18030）"), details={"file": [filename]}) from None
        rows = parse_holiday_csv(text)
    return holidays_import(actor=actor, rows=rows, region=region, source=f"import:{filename}"[:200])


@transaction.atomic
def holiday_delete(*, actor: User | None, holiday: HolidayDate) -> None:
    holiday.delete()
