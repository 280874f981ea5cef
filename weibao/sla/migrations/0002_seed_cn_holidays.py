"""Seed: mainland China's statutory holidays and make-up workdays (调休) 2024–2026, and two calendars.

Provenance: the State Council's annual holiday notices (public domain), as exported from the PyPI
package chinese-calendar 1.11.0 into the project's test material
(shared/data/calendars/cn_holidays_and_makeup_workdays_2024_2026.csv). The rows are copied here
because the product never reads that folder at run time. Later years are added by administrators
(staff page, admin, or `weibao sla holidays import`), not by editing this migration.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import migrations

SOURCE = "国务院办公厅节假日安排（2024–2026）"

# (date, kind, name, in lieu)
ROWS = [
    ("2024-01-01", "holiday", "New Year's Day", False),
    ("2024-02-04", "makeup_workday", "Spring Festival", False),
    ("2024-02-10", "holiday", "Spring Festival", False),
    ("2024-02-11", "holiday", "Spring Festival", False),
    ("2024-02-12", "holiday", "Spring Festival", False),
    ("2024-02-13", "holiday", "Spring Festival", False),
    ("2024-02-14", "holiday", "Spring Festival", False),
    ("2024-02-15", "holiday", "Spring Festival", True),
    ("2024-02-16", "holiday", "Spring Festival", True),
    ("2024-02-17", "holiday", "Spring Festival", False),
    ("2024-02-18", "makeup_workday", "Spring Festival", False),
    ("2024-04-04", "holiday", "Tomb-sweeping Day", False),
    ("2024-04-05", "holiday", "Tomb-sweeping Day", True),
    ("2024-04-06", "holiday", "Tomb-sweeping Day", False),
    ("2024-04-07", "makeup_workday", "Tomb-sweeping Day", False),
    ("2024-04-28", "makeup_workday", "Labour Day", False),
    ("2024-05-01", "holiday", "Labour Day", False),
    ("2024-05-02", "holiday", "Labour Day", True),
    ("2024-05-03", "holiday", "Labour Day", True),
    ("2024-05-04", "holiday", "Labour Day", False),
    ("2024-05-05", "holiday", "Labour Day", False),
    ("2024-05-11", "makeup_workday", "Labour Day", False),
    ("2024-06-10", "holiday", "Dragon Boat Festival", False),
    ("2024-09-14", "makeup_workday", "Mid-autumn Festival", False),
    ("2024-09-15", "holiday", "Mid-autumn Festival", False),
    ("2024-09-16", "holiday", "Mid-autumn Festival", True),
    ("2024-09-17", "holiday", "Mid-autumn Festival", False),
    ("2024-09-29", "makeup_workday", "National Day", False),
    ("2024-10-01", "holiday", "National Day", False),
    ("2024-10-02", "holiday", "National Day", False),
    ("2024-10-03", "holiday", "National Day", False),
    ("2024-10-04", "holiday", "National Day", True),
    ("2024-10-05", "holiday", "National Day", False),
    ("2024-10-06", "holiday", "National Day", False),
    ("2024-10-07", "holiday", "National Day", True),
    ("2024-10-12", "makeup_workday", "National Day", False),
    ("2025-01-01", "holiday", "New Year's Day", False),
    ("2025-01-26", "makeup_workday", "Spring Festival", False),
    ("2025-01-28", "holiday", "Spring Festival", False),
    ("2025-01-29", "holiday", "Spring Festival", False),
    ("2025-01-30", "holiday", "Spring Festival", False),
    ("2025-01-31", "holiday", "Spring Festival", False),
    ("2025-02-01", "holiday", "Spring Festival", False),
    ("2025-02-02", "holiday", "Spring Festival", False),
    ("2025-02-03", "holiday", "Spring Festival", True),
    ("2025-02-04", "holiday", "Spring Festival", True),
    ("2025-02-08", "makeup_workday", "Spring Festival", False),
    ("2025-04-04", "holiday", "Tomb-sweeping Day", False),
    ("2025-04-05", "holiday", "Tomb-sweeping Day", False),
    ("2025-04-06", "holiday", "Tomb-sweeping Day", False),
    ("2025-04-27", "makeup_workday", "Labour Day", False),
    ("2025-05-01", "holiday", "Labour Day", False),
    ("2025-05-02", "holiday", "Labour Day", False),
    ("2025-05-03", "holiday", "Labour Day", False),
    ("2025-05-04", "holiday", "Labour Day", False),
    ("2025-05-05", "holiday", "Labour Day", True),
    ("2025-05-31", "holiday", "Dragon Boat Festival", False),
    ("2025-06-01", "holiday", "Dragon Boat Festival", False),
    ("2025-06-02", "holiday", "Dragon Boat Festival", False),
    ("2025-09-28", "makeup_workday", "National Day", False),
    ("2025-10-01", "holiday", "National Day", False),
    ("2025-10-02", "holiday", "National Day", False),
    ("2025-10-03", "holiday", "National Day", False),
    ("2025-10-04", "holiday", "National Day", False),
    ("2025-10-05", "holiday", "National Day", False),
    ("2025-10-06", "holiday", "Mid-autumn Festival", False),
    ("2025-10-07", "holiday", "National Day", True),
    ("2025-10-08", "holiday", "National Day", True),
    ("2025-10-11", "makeup_workday", "National Day", False),
    ("2026-01-01", "holiday", "New Year's Day", False),
    ("2026-01-02", "holiday", "New Year's Day", True),
    ("2026-01-03", "holiday", "New Year's Day", False),
    ("2026-01-04", "makeup_workday", "New Year's Day", False),
    ("2026-02-14", "makeup_workday", "Spring Festival", False),
    ("2026-02-15", "holiday", "Spring Festival", False),
    ("2026-02-16", "holiday", "Spring Festival", False),
    ("2026-02-17", "holiday", "Spring Festival", False),
    ("2026-02-18", "holiday", "Spring Festival", False),
    ("2026-02-19", "holiday", "Spring Festival", False),
    ("2026-02-20", "holiday", "Spring Festival", True),
    ("2026-02-21", "holiday", "Spring Festival", False),
    ("2026-02-22", "holiday", "Spring Festival", False),
    ("2026-02-23", "holiday", "Spring Festival", True),
    ("2026-02-28", "makeup_workday", "Spring Festival", False),
    ("2026-04-04", "holiday", "Tomb-sweeping Day", False),
    ("2026-04-05", "holiday", "Tomb-sweeping Day", False),
    ("2026-04-06", "holiday", "Tomb-sweeping Day", False),
    ("2026-05-01", "holiday", "Labour Day", False),
    ("2026-05-02", "holiday", "Labour Day", False),
    ("2026-05-03", "holiday", "Labour Day", False),
    ("2026-05-04", "holiday", "Labour Day", False),
    ("2026-05-05", "holiday", "Labour Day", True),
    ("2026-05-09", "makeup_workday", "Labour Day", False),
    ("2026-06-19", "holiday", "Dragon Boat Festival", False),
    ("2026-06-20", "holiday", "Dragon Boat Festival", False),
    ("2026-06-21", "holiday", "Dragon Boat Festival", False),
    ("2026-09-20", "makeup_workday", "National Day", False),
    ("2026-09-25", "holiday", "Mid-autumn Festival", False),
    ("2026-09-26", "holiday", "Mid-autumn Festival", False),
    ("2026-09-27", "holiday", "Mid-autumn Festival", False),
    ("2026-10-01", "holiday", "National Day", False),
    ("2026-10-02", "holiday", "National Day", False),
    ("2026-10-03", "holiday", "National Day", False),
    ("2026-10-04", "holiday", "National Day", False),
    ("2026-10-05", "holiday", "National Day", False),
    ("2026-10-06", "holiday", "National Day", True),
    ("2026-10-07", "holiday", "National Day", True),
    ("2026-10-10", "makeup_workday", "National Day", False),
]

WORKDAY = [(datetime.time(8, 30), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 30))]


def seed(apps: Any, schema_editor: Any) -> None:
    HolidayDate = apps.get_model("sla", "HolidayDate")
    Calendar = apps.get_model("sla", "Calendar")
    WorkingInterval = apps.get_model("sla", "WorkingInterval")
    for day, kind, name, in_lieu in ROWS:
        HolidayDate.objects.get_or_create(
            region="CN", date=datetime.date.fromisoformat(day),
            defaults={"kind": kind, "name": name, "in_lieu": in_lieu, "source": SOURCE},
        )
    office, created = Calendar.objects.get_or_create(
        name="标准工作日历",
        defaults={"time_zone": "Asia/Shanghai", "holiday_region": "CN", "public_id": "cal-standard",
                  "description": "周一至周五 08:30–12:00、13:30–17:30，适用中国法定节假日与调休。"},
    )
    if created:
        for weekday in range(5):
            for start, end in WORKDAY:
                WorkingInterval.objects.create(calendar=office, weekday=weekday, start=start, end=end)
    Calendar.objects.get_or_create(
        name="7×24",
        defaults={"time_zone": "Asia/Shanghai", "always_open": True, "holiday_region": "", "public_id": "cal-24x7",
                  "description": "全天候：每天 24 小时计时，不区分节假日。"},
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
