"""Managers configure monitoring from the staff UI; bad input saves nothing; engineers read only."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine

from tests import factories as f
from tests.monitoring.factories import make_source
from tests.monitoring.servers import http_server
from tests.personas import World
from weibao.core import clock
from weibao.monitoring.inspections import inspections_run_due
from weibao.monitoring.models import (
    InspectionPlan,
    InspectionReport,
    NotificationPolicy,
    Probe,
    Rota,
    RotaOverride,
    SeverityPolicy,
)
from weibao.monitoring.oncall import on_call
from weibao.monitoring.policy import flap_window, severity_policies
from weibao.monitoring.probing import probe_create

pytestmark = pytest.mark.django_db


def _probe_form(w: World, **changes: str) -> dict[str, str]:
    data = {"system": w.system_a.public_id, "name": "门户首页", "kind": "http", "target": "https://portal.example.cn/health",
            "interval_seconds": "30", "timeout_seconds": "5", "failures_before_alarm": "2", "severity": "critical",
            "expected_status": "200", "max_response_ms": "1500", "keyword": "ok", "enabled": "on"}
    data.update(changes)
    return data


def test_manager_adds_and_edits_a_monitored_item(world: World, web) -> None:
    manager = web(world.users["manager"])
    assert manager.post("/staff/monitoring/probes/", _probe_form(world)).status_code == 302
    probe = Probe.objects.get()
    assert (probe.kind, probe.interval_seconds, probe.timeout_seconds, probe.failures_before_alarm) == ("http", 30, 5.0, 2)
    assert (probe.severity, probe.expected_status, probe.max_response_ms, probe.keyword) == ("critical", 200, 1500, "ok")
    assert probe.name in manager.get("/staff/monitoring/probes/").content.decode()

    response = manager.post(f"/staff/monitoring/probes/{probe.public_id}/", {
        "name": "门户首页（新）", "target": "https://portal.example.cn/", "interval_seconds": "300", "timeout_seconds": "10",
        "failures_before_alarm": "3", "severity": "high", "expected_status": "", "max_response_ms": "", "keyword": ""})
    assert response.status_code == 302
    probe.refresh_from_db()
    assert (probe.name, probe.interval_seconds, probe.enabled, probe.expected_status, probe.max_response_ms) == (
        "门户首页（新）", 300, False, None, None)


@pytest.mark.parametrize(("changes", "field"), [
    ({"target": "portal.example.cn"}, "target"),
    ({"kind": "tcp", "target": "db.example.cn"}, "target"),
    ({"interval_seconds": "5"}, "interval_seconds"),
    ({"timeout_seconds": "abc"}, "timeout_seconds"),
    ({"severity": "apocalyptic"}, "severity"),
    ({"expected_status": "700"}, "expected_status"),
    ({"name": "  "}, "name"),
    ({"kind": "smtp"}, "kind"),
])
def test_a_bad_monitored_item_is_refused_with_the_field_named(world: World, web, changes: dict[str, str], field: str) -> None:
    response = web(world.users["manager"]).post("/staff/monitoring/probes/", _probe_form(world, **changes))
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()
    assert not Probe.objects.exists()


def test_a_bad_edit_changes_nothing(world: World, web) -> None:
    probe = probe_create(actor=None, system=world.system_a, name="接口", kind="tcp", target="127.0.0.1:9").probe
    response = web(world.users["manager"]).post(f"/staff/monitoring/probes/{probe.public_id}/", {
        "name": "接口2", "target": "127.0.0.1", "interval_seconds": "60", "enabled": "on"})
    assert response.status_code == 400
    probe.refresh_from_db()
    assert (probe.name, probe.target) == ("接口", "127.0.0.1:9")


def test_errors_follow_the_users_language(world: World, web) -> None:
    manager = world.users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = web(manager).post("/staff/monitoring/probes/", _probe_form(world, interval_seconds="5")).content.decode()
    assert "The monitored item has errors and was not saved." in page
    assert "Monitored items" in page


def test_a_heartbeat_url_is_shown_once_and_works(world: World, web, api) -> None:
    manager = web(world.users["manager"])
    response = manager.post("/staff/monitoring/probes/", _probe_form(world, kind="heartbeat", target="", name="夜间备份"))
    assert response.status_code == 200
    url = re.search(r'<code id="heartbeat-url">([^<]+)</code>', response.content.decode())
    assert url, response.content.decode()
    path = url.group(1).split("testserver", 1)[1]
    assert api().post(path).status_code == 200
    probe = Probe.objects.get()
    assert probe.last_heartbeat_at is not None
    assert path.rsplit("/", 1)[1] not in manager.get(f"/staff/monitoring/probes/{probe.public_id}/").content.decode()


def test_engineers_read_but_do_not_change_settings(world: World, web) -> None:
    engineer = web(world.users["engineer"])
    for page in ("probes", "rotas", "policies", "inspection-plans"):
        response = engineer.get(f"/staff/monitoring/{page}/")
        text = response.content.decode()
        assert response.status_code == 200, page
        assert "{% csrf_token %}" not in text and text.count('method="post"') == 1, page  # only the sign-out form
    assert engineer.post("/staff/monitoring/probes/", _probe_form(world)).status_code == 404
    assert engineer.post("/staff/monitoring/policies/", {"severity": "critical", "channels": ["email"],
                                                         "escalate_after_minutes": "5", "max_steps": "1"}).status_code == 404
    assert not Probe.objects.exists() and not NotificationPolicy.objects.filter(severity="critical", escalate_after_minutes=5).exists()


def test_rota_turn_order_and_an_override(world: World, web) -> None:
    first, second = f.UserFactory(username="zhang", role="engineer"), f.UserFactory(username="wang", role="engineer")
    manager = web(world.users["manager"])
    response = manager.post("/staff/monitoring/rotas/", {
        "name": "二线值班", "team": str(world.team.pk), "start_date": "2026-11-02", "handover_time": "09:00",
        "shift_days": "7", "timezone": "Asia/Shanghai", "members": [str(second.pk), "", str(first.pk)]})
    assert response.status_code == 302
    rota = Rota.objects.get(name="二线值班")
    assert [m.user_id for m in rota.members.order_by("position")] == [second.pk, first.pk]
    with time_machine.travel(clock.now().replace(year=2026, month=11, day=3, hour=4), tick=False):
        assert on_call(rota, clock.now()) == second
        response = manager.post(f"/staff/monitoring/rotas/{rota.pk}/overrides/", {
            "user": str(first.pk), "starts_at": "2026-11-03T00:00", "ends_at": "2026-11-04T00:00", "reason": "换班"})
        assert response.status_code == 302
        assert on_call(rota, clock.now()) == first
        page = manager.get(f"/staff/monitoring/rotas/{rota.pk}/").content.decode()
        assert f'<strong id="on-call">{first.display_name or first.username}</strong>' in page
        override = RotaOverride.objects.get()
        assert manager.post(f"/staff/monitoring/rotas/{rota.pk}/overrides/{override.pk}/delete/").status_code == 302
        assert on_call(rota, clock.now()) == second


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"), ({"start_date": "2026-02-30"}, "start_date"), ({"handover_time": "25:00"}, "handover_time"),
    ({"shift_days": "0"}, "shift_days"), ({"timezone": "Mars/Base"}, "timezone"), ({"members": []}, "members"),
])
def test_a_bad_rota_is_refused(world: World, web, changes: dict[str, object], field: str) -> None:
    data: dict[str, object] = {"name": "值班", "start_date": "2026-11-02", "handover_time": "09:00", "shift_days": "7",
                               "timezone": "Asia/Shanghai", "members": [str(world.users["engineer"].pk)]}  # type: ignore[union-attr]
    data.update(changes)
    response = web(world.users["manager"]).post("/staff/monitoring/rotas/", data)
    assert response.status_code == 400 and f"<code>{field}</code>" in response.content.decode()
    assert not Rota.objects.exists()


def test_an_override_that_ends_before_it_starts_is_refused(world: World, web) -> None:
    rota = Rota.objects.create(name="值班", start_date=date(2026, 1, 1))
    response = web(world.users["manager"]).post(f"/staff/monitoring/rotas/{rota.pk}/overrides/", {
        "user": str(world.users["engineer"].pk), "starts_at": "2026-11-04T00:00", "ends_at": "2026-11-03T00:00"})  # type: ignore[union-attr]
    assert response.status_code == 302
    assert not RotaOverride.objects.exists()


def test_paging_policy_is_saved_and_a_chat_channel_needs_its_robot(world: World, web) -> None:
    rota = Rota.objects.create(name="值班", start_date=date(2026, 1, 1))
    manager = web(world.users["manager"])
    bad = manager.post("/staff/monitoring/policies/", {"severity": "critical", "rota": str(rota.pk), "channels": ["dingtalk"],
                                                       "escalate_after_minutes": "10", "max_steps": "2"})
    assert bad.status_code == 400 and "<code>chat_url</code>" in bad.content.decode()
    assert not NotificationPolicy.objects.filter(severity="critical").exists()
    good = manager.post("/staff/monitoring/policies/", {
        "severity": "critical", "rota": str(rota.pk), "channels": ["dingtalk", "phone"], "chat_url": "dingtalk://token/",
        "phone_webhook": "http://127.0.0.1:9/call", "escalate_after_minutes": "10", "max_steps": "2"})
    assert good.status_code == 302
    policy = NotificationPolicy.objects.get(severity="critical")
    assert (policy.rota_id, policy.channels, policy.escalate_after_minutes, policy.max_steps) == (rota.pk, ["dingtalk", "phone"], 10, 2)


def test_inspection_plan_for_one_customer_is_queued_to_run_now(world: World, web) -> None:
    manager = web(world.users["manager"])
    other = probe_create(actor=None, system=world.system_b, name="乙接口", kind="tcp", target="127.0.0.1:9").probe
    with http_server() as port:
        ok = probe_create(actor=None, system=world.system_a, name="甲首页", kind="http", target=f"http://127.0.0.1:{port}/ok").probe
        refused = manager.post("/staff/monitoring/inspection-plans/", {
            "organisation": str(world.org_a.pk), "name": "月度巡检", "interval_days": "30", "probes": [ok.public_id, other.public_id]})
        assert refused.status_code == 400 and not InspectionPlan.objects.exists()
        assert manager.post("/staff/monitoring/inspection-plans/", {
            "organisation": str(world.org_a.pk), "name": "月度巡检", "interval_days": "30", "probes": [ok.public_id]}).status_code == 302
        plan = InspectionPlan.objects.get()
        plan.next_run_at = clock.now() + timedelta(days=10)
        plan.save(update_fields=["next_run_at"])
        assert inspections_run_due() == 0
        assert manager.post(f"/staff/monitoring/inspection-plans/{plan.public_id}/run/").status_code == 302
        assert not InspectionReport.objects.exists()  # the request only queues it; the worker runs the checks
        assert inspections_run_due() == 1
    report = InspectionReport.objects.get()
    assert (report.passed, report.failed, report.organisation_id) == (1, 0, world.org_a.id)
    plan.refresh_from_db()
    assert plan.next_run_at is not None and plan.next_run_at > clock.now() + timedelta(days=29)


def test_a_heartbeat_may_have_a_long_grace_period_but_a_network_check_may_not(world: World, web) -> None:
    manager = web(world.users["manager"])
    assert manager.post("/staff/monitoring/probes/", _probe_form(world, kind="heartbeat", target="", timeout_seconds="1800")).status_code == 200
    assert Probe.objects.get().timeout_seconds == 1800
    assert manager.post("/staff/monitoring/probes/", _probe_form(world, timeout_seconds="1800")).status_code == 400


def test_manager_sets_what_a_severity_does_and_bad_values_save_nothing(world: World, web) -> None:
    manager = web(world.users["manager"])
    page = manager.get("/staff/monitoring/policies/").content.decode()
    assert 'id="handling-warning"' in page and 'name="flap_window_minutes" min="0" max="10080" required value="10"' in page
    bad = manager.post("/staff/monitoring/policies/handling/", {
        "severity": "warning", "opens_incident": "on", "urgency": "extreme", "impact": "low", "recovery_hold_minutes": "-1",
        "flap_window_minutes": "20"})
    text = bad.content.decode()
    assert bad.status_code == 400 and "<code>urgency</code>" in text and "<code>recovery_hold_minutes</code>" in text
    assert not SeverityPolicy.objects.exists()
    good = manager.post("/staff/monitoring/policies/handling/", {
        "severity": "warning", "urgency": "low", "impact": "medium", "resolve_incident": "on",
        "recovery_hold_minutes": "15", "flap_window_minutes": "30"})
    assert good.status_code == 302
    row = SeverityPolicy.objects.get(severity="warning")
    assert (row.opens_incident, row.urgency, row.impact, row.resolve_incident) == (False, "low", "medium", True)
    assert (row.recovery_hold_minutes, row.flap_window_minutes) == (15, 30)
    policies = severity_policies()
    assert policies["warning"].flap_window == timedelta(minutes=30) and policies["warning"].recovery_hold == timedelta(minutes=15)
    assert 'name="flap_window_minutes" min="0" max="10080" required value="30"' in manager.get("/staff/monitoring/policies/").content.decode()
    engineer = web(world.users["engineer"])
    assert engineer.post("/staff/monitoring/policies/handling/", {"severity": "warning", "recovery_hold_minutes": "1",
                                                                  "flap_window_minutes": "1"}).status_code == 404
    assert SeverityPolicy.objects.get(severity="warning").flap_window_minutes == 30


def test_administrator_gives_a_source_its_own_flap_window(world: World, web) -> None:
    source = make_source(name="甲方 Prometheus").source
    admin = web(world.users["admin"])
    url = f"/staff/monitoring/sources/{source.public_id}/flap-window/"
    assert admin.post(url, {"flap_window_minutes": "45"}).status_code == 302
    source.refresh_from_db()
    assert source.flap_window_minutes == 45 and flap_window(severity_policies(), "info", source) == timedelta(minutes=45)
    refused = admin.post(url, {"flap_window_minutes": "ten"}, follow=True)
    assert "抖动窗口有误" in refused.content.decode()
    source.refresh_from_db()
    assert source.flap_window_minutes == 45
    assert admin.post(url, {"flap_window_minutes": ""}).status_code == 302
    source.refresh_from_db()
    assert source.flap_window_minutes is None
    assert web(world.users["manager"]).post(url, {"flap_window_minutes": "5"}).status_code == 404
    assert 'value="" placeholder' in admin.get("/staff/monitoring/sources/").content.decode()
