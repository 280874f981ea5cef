"""SLA attainment report: grouped figures, breached requests, Excel export, and tenancy."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.outbox import outbox_sweep
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_reply, ticket_transition

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _request(world: World, org: str, answer_after_hours: int, resolve_day: int) -> Ticket:
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        t = make_ticket(world, org=org)
        outbox_sweep()
    with time_machine.travel(datetime(2026, 11, 23, 9 + answer_after_hours, 0, tzinfo=SH), tick=False):
        ticket_reply(actor=world.users["engineer"], ticket=t, body="已收到")
        t = ticket_transition(actor=world.users["manager"], ticket=Ticket.objects.get(pk=t.pk), transition="assign",
                              assignee=world.users["engineer"], team=world.team)
        t = ticket_transition(actor=world.users["engineer"], ticket=t, transition="start")
        outbox_sweep()
    with time_machine.travel(datetime(2026, 11, resolve_day, 10, 0, tzinfo=SH), tick=False):
        ticket_transition(actor=world.users["engineer"], ticket=Ticket.objects.get(pk=t.pk),
                          transition="propose_resolution", resolution_method="configuration", resolution_text="已处理")
        outbox_sweep()
    return t


@pytest.fixture
def month(world: World) -> dict[str, Ticket]:
    make_policy()
    return {
        "good": _request(world, "a", 1, 24),     # answered in 1 h, resolved next day: both met
        "late": _request(world, "a", 6, 30),     # answered after 6 working hours, resolved a week later: both missed
        "other": _request(world, "b", 1, 24),
    }


def test_attainment_per_organisation_and_metric_with_breached_requests(world: World, api: Any,
                                                                      month: dict[str, Ticket]) -> None:
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        body = api(world.users["manager"]).get("/api/v1/sla/report", {"from": "2026-11", "by": "organisation,month"}).json()
    rows = {(r["organisation"], r["metric"]): r for r in body["rows"]}
    assert rows[("甲单位", "first_response")] | {} == {"organisation": "甲单位", "month": "2026-11", "metric": "first_response",
                                                    "total": 2, "met": 1, "breached": 1, "attainment": 50.0}
    assert rows[("甲单位", "resolution")]["attainment"] == 50.0
    assert rows[("乙单位", "resolution")]["attainment"] == 100.0
    assert {b["number"] for b in body["breached"]} == {month["late"].number}


def test_customer_report_covers_only_their_organisation(world: World, api: Any, month: dict[str, Ticket]) -> None:
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        body = api(world.users["customer_b"]).get("/api/v1/sla/report", {"from": "2026-11"}).json()
    assert {r["organisation"] for r in body["rows"]} == {"乙单位"}
    assert body["breached"] == []


def test_excel_export_has_both_sheets(world: World, api: Any, month: dict[str, Ticket]) -> None:
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        r = api(world.users["manager"]).get("/api/v1/sla/report/export", {"from": "2026-11", "by": "priority"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["达成率", "超时请求"]
    assert [c.value for c in wb["达成率"][1]] == ["优先级", "指标", "总数", "达成", "超时", "达成率 %"]
    breached = [row[0].value for row in wb["超时请求"].iter_rows(min_row=2)]
    assert breached == [month["late"].number, month["late"].number]  # first response and resolution


def test_bad_report_parameters_are_400(world: World, api: Any) -> None:
    r = api(world.users["manager"]).get("/api/v1/sla/report", {"from": "2026-13", "by": "colour"})
    assert r.status_code == 400 and "from" in r.json()["details"]
    r = api(world.users["manager"]).get("/api/v1/sla/report", {"by": "colour"})
    assert r.status_code == 400 and "by" in r.json()["details"]


def test_ticket_pages_show_the_sla_panel(world: World, web: Any, month: dict[str, Ticket]) -> None:
    t = month["late"]
    staff = web(world.users["engineer"]).get(f"/staff/tickets/{t.public_id}/").content.decode()
    assert "服务时限" in staff and "到期时间如何得出" in staff and "升级" in staff
    portal = web(world.users["customer_a"]).get(f"/portal/tickets/{t.public_id}/").content.decode()
    assert "服务时限" in portal and "升级：" not in portal
