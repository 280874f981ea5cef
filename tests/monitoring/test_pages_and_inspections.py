from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.factories import make_source, payload, post_webhook
from tests.monitoring.servers import http_server
from tests.personas import World
from weibao.core import clock
from weibao.core.fonts import cjk_font_path
from weibao.monitoring.inspections import inspection_plan_create, inspection_run, inspections_run_due
from weibao.monitoring.models import Alarm, AlarmSource, MaintenanceWindow
from weibao.monitoring.probing import probe_create
from weibao.monitoring.status import status_overview_for

pytestmark = pytest.mark.django_db


def test_admin_adds_a_source_in_the_ui_and_sees_the_token_once(world: World, web: Any) -> None:
    client = web(world.users["admin"])
    response = client.post("/staff/monitoring/sources/", {"kind": "alertmanager", "name": "生产 Prometheus"})
    html = response.content.decode()
    assert response.status_code == 200 and "wbm_" in html and "/api/v1/alarm-sources/" in html
    assert AlarmSource.objects.get().name == "生产 Prometheus"
    assert "wbm_" not in client.get("/staff/monitoring/sources/").content.decode().replace(AlarmSource.objects.get().token_prefix, "")
    # a manager sees the sources but cannot add one
    assert web(world.users["manager"]).post("/staff/monitoring/sources/", {"kind": "grafana", "name": "x"}).status_code == 200
    assert AlarmSource.objects.count() == 1


def test_engineer_acknowledges_from_the_alarm_list(world: World, web: Any, shared_data_dir: Path) -> None:
    post_webhook(make_source(system=world.system_a), payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    alarm = Alarm.objects.get()
    client = web(world.users["engineer"])
    assert "主机 db01 无法访问" in client.get("/staff/monitoring/alarms/").content.decode()
    response = client.post(f"/staff/monitoring/alarms/{alarm.public_id}/", {"transition": "acknowledge"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged" and alarm.acknowledged_by == world.users["engineer"]


def test_maintenance_window_shows_in_status_for_staff_and_its_customer_only(world: World, web: Any) -> None:
    now = clock.now()
    MaintenanceWindow.objects.create(system=world.system_a, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2),
                                     reason="数据库扩容")
    states = {r.system.code: r.state for r in status_overview_for(world.users["engineer"])}
    assert states == {"sysa": "maintenance", "sysb": "up"}
    page_a = web(world.users["customer_a"]).get("/portal/status/").content.decode()
    assert "数据库扩容" in page_a and "维护中" in page_a
    assert "数据库扩容" not in web(world.users["customer_b"]).get("/portal/status/").content.decode()


def test_status_is_down_for_critical_alarms_and_degraded_for_slow_probes(world: World, shared_data_dir: Path,
                                                                        django_assert_max_num_queries: Any) -> None:
    post_webhook(make_source(system=world.system_a), payload(shared_data_dir, "003_alertmanager_ticketing.json"))
    slow = probe_create(actor=None, system=world.system_b, name="慢接口", kind="http", target="http://127.0.0.1:9/").probe
    slow.state = "slow"
    slow.save()
    with django_assert_max_num_queries(5):
        states = {r.system.code: r.state for r in status_overview_for(world.users["manager"])}
    assert states == {"sysa": "down", "sysb": "degraded"}


@pytest.mark.skipif(cjk_font_path() is None, reason="no CJK font installed (fonts-noto-cjk): the PDF would show empty boxes")
def test_inspection_runs_the_checks_now_and_prints_a_chinese_pdf(world: World, web: Any) -> None:
    from pypdf import PdfReader

    with http_server() as port:
        ok = probe_create(actor=None, system=world.system_a, name="门户首页", kind="http", target=f"http://127.0.0.1:{port}/ok").probe
        bad = probe_create(actor=None, system=world.system_a, name="接口服务", kind="http", target=f"http://127.0.0.1:{port}/error").probe
        plan = inspection_plan_create(actor=None, organisation=world.org_a, name="甲单位月度巡检", probes=[ok, bad])
        report = inspection_run(plan=plan)
    assert (report.passed, report.failed) == (1, 1)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf.read())).pages)
    assert "系统巡检报告" in text and "甲单位月度巡检" in text and "接口服务" in text and "HTTP 500" in text
    assert web(world.users["customer_a"]).get(f"/portal/status/inspections/{report.public_id}.pdf").status_code == 200
    assert web(world.users["customer_b"]).get(f"/portal/status/inspections/{report.public_id}.pdf").status_code == 404
    plan.refresh_from_db()
    assert plan.next_run_at is not None and plan.next_run_at > clock.now() + timedelta(days=29)
    assert inspections_run_due() == 0


def test_inspection_plan_refuses_another_customers_checks(world: World) -> None:
    from weibao.core.errors import ValidationFailed

    other = probe_create(actor=None, system=world.system_b, name="乙", kind="tcp", target="127.0.0.1:9").probe
    with pytest.raises(ValidationFailed):
        inspection_plan_create(actor=None, organisation=world.org_a, name="x", probes=[other])
