"""SLA attainment: share of first-response and resolution targets met, grouped as asked, plus the breaches.

A clock counts once it is decided: stopped (met or not) or still running but already breached. The
month is the month the request came in (the clock's start, in the default time zone). Reads go
through accounts.access: a customer's report covers only their organisation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from weibao.accounts import access
from weibao.core.errors import ValidationFailed
from weibao.customers.models import Contract
from weibao.sla.models import Clock, ClockState, Metric

DIMENSIONS = {
    "organisation": "ticket__organisation__name",
    "contract": "contract_number",
    "priority": "ticket__priority",
    "engineer": "ticket__assignee__username",
    "month": "month",
    "metric": "metric",
}
REPORT_METRICS = [Metric.FIRST_RESPONSE, Metric.RESOLUTION]
MAX_BREACHES = 1000


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date  # exclusive
    group_by: tuple[str, ...]


def parse_month(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        year, month = (int(x) for x in value.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed("参数无效", details={field: [f"应为 YYYY-MM：{value!r}。"]}) from None


def report_query(start: str | None, end: str | None, by: str | None, *, today: date) -> ReportQuery:
    first = parse_month(start, "from") or date(today.year, 1, 1)
    last = parse_month(end, "to") or date(today.year, today.month, 1)
    if last < first:
        raise ValidationFailed("参数无效", details={"to": ["不能早于 from。"]})
    nxt = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    fields = tuple(x.strip() for x in (by or "organisation,metric").split(",") if x.strip())
    unknown = [x for x in fields if x not in DIMENSIONS]
    if unknown or not fields:
        raise ValidationFailed("参数无效", details={"by": [f"可选：{', '.join(DIMENSIONS)}；未知：{', '.join(unknown)}"]})
    if "metric" not in fields:
        fields = (*fields, "metric")
    return ReportQuery(first, nxt, fields)


def _decided(actor: Any, q: ReportQuery) -> QuerySet[Clock]:
    tz = timezone.get_default_timezone()
    lo = datetime.combine(q.start, time(), tz)
    hi = datetime.combine(q.end, time(), tz)
    contract = Contract.objects.filter(organisation_id=OuterRef("ticket__organisation_id"),
                                       systems__id=OuterRef("ticket__system_id")).order_by("-end_date", "-id")
    qs = Clock.objects.filter(metric__in=REPORT_METRICS, started_at__gte=lo, started_at__lt=hi).filter(
        Q(state=ClockState.STOPPED) | Q(breached_at__isnull=False))
    qs = access.scope(actor, qs, "ticket__organisation")
    return qs.annotate(month=TruncMonth("started_at", tzinfo=tz),
                       contract_number=Subquery(contract.values("number")[:1]))


def sla_attainment(actor: Any, q: ReportQuery) -> list[dict[str, Any]]:
    cols = [DIMENSIONS[d] for d in q.group_by]
    rows = (_decided(actor, q).values(*cols)
            .annotate(total=Count("id"), missed=Count("id", filter=Q(breached_at__isnull=False) | Q(met=False)))
            .order_by(*cols))
    out = []
    for row in rows:
        item = {d: row[DIMENSIONS[d]] for d in q.group_by}
        if isinstance(item.get("month"), datetime):
            item["month"] = item["month"].strftime("%Y-%m")
        met = row["total"] - row["missed"]
        item.update(total=row["total"], met=met, breached=row["missed"],
                    attainment=round(100 * met / row["total"], 1) if row["total"] else None)
        out.append(item)
    return out


def sla_breaches(actor: Any, q: ReportQuery) -> list[dict[str, Any]]:
    qs = (_decided(actor, q).filter(Q(breached_at__isnull=False) | Q(met=False))
          .annotate(number=F("ticket__number"), subject=F("ticket__subject"), public_id=F("ticket__public_id"),
                    organisation=F("ticket__organisation__name"), priority=F("ticket__priority"),
                    engineer=F("ticket__assignee__username"))
          .order_by("-breached_at", "-id")
          .values("number", "public_id", "subject", "organisation", "contract_number", "priority", "engineer", "metric",
                  "target_minutes", "due_at", "breached_at", "stopped_at")[:MAX_BREACHES])
    return [dict(r) for r in qs]


def sla_report_xlsx(actor: Any, q: ReportQuery) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tz = timezone.get_default_timezone()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "达成率"
    header = [*q.group_by, "total", "met", "breached", "attainment %"]
    labels = {"organisation": "客户", "contract": "合同", "priority": "优先级", "engineer": "工程师", "month": "月份",
              "metric": "指标", "total": "总数", "met": "达成", "breached": "超时", "attainment %": "达成率 %"}
    ws.append([labels.get(h, h) for h in header])
    for row in sla_attainment(actor, q):
        ws.append([row.get(h) if h != "attainment %" else row["attainment"] for h in header])
    ws2 = wb.create_sheet("超时请求")
    cols = ["number", "subject", "organisation", "contract_number", "priority", "engineer", "metric", "target_minutes",
            "due_at", "breached_at", "stopped_at"]
    ws2.append(["编号", "标题", "客户", "合同", "优先级", "工程师", "指标", "时限（工作分钟）", "到期", "超时", "停止"])
    for r in sla_breaches(actor, q):
        ws2.append([r[c].astimezone(tz).replace(tzinfo=None) if isinstance(r[c], datetime) else r[c] for c in cols])
    for sheet in (ws, ws2):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
