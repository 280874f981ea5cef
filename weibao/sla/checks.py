"""`weibao check` line: holiday data for this year and next (else those dates run as ordinary weekdays)."""

from __future__ import annotations

from django.utils import timezone

from weibao.core import clock
from weibao.core.checks import register_check
from weibao.core.health import CheckResult, Level
from weibao.sla.calendars import holiday_years_missing
from weibao.sla.models import Calendar


def holiday_regions() -> list[str]:
    regions = set(Calendar.objects.filter(always_open=False).exclude(holiday_region="").values_list("holiday_region", flat=True))
    return sorted(regions) or ["CN"]


def holiday_coverage() -> list[tuple[str, list[int]]]:
    """[(region, missing years)] for this year and next, in the default time zone."""
    year = timezone.localtime(clock.now()).year
    return [(region, holiday_years_missing([year, year + 1], region)) for region in holiday_regions()]


@register_check
def check_holidays() -> list[CheckResult]:
    year = timezone.localtime(clock.now()).year
    out = []
    for region, missing in holiday_coverage():
        name = f"holidays {region}"
        if missing:
            years = ", ".join(str(y) for y in missing)
            out.append(CheckResult(name, Level.WARN,
                                   f"no holiday / make-up workday data for {years}: those dates run as ordinary weekdays; "
                                   f"import the State Council schedule (weibao sla holidays import FILE)"))
        else:
            out.append(CheckResult(name, Level.OK, f"holiday data present for {year} and {year + 1}"))
    return out
