"""`{% sla_holiday_warning %}`: the dashboard's warning when this year or next has no holiday data."""

from __future__ import annotations

from typing import Any

from django import template

from weibao.sla.checks import holiday_coverage

register = template.Library()


@register.inclusion_tag("staff/sla/_holiday_warning.html")
def sla_holiday_warning() -> dict[str, Any]:
    return {"coverage": holiday_coverage()}
