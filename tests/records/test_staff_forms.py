"""Staff fill the records' facts from the request page: assessment, work order, acceptance sign-off."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.personas import World
from tests.records.factories import make_ticket, work_to
from weibao.accounts.models import Role
from weibao.records.models import Acceptance, Assessment, WorkOrder
from weibao.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _form(ticket: Ticket, name: str) -> str:
    return f"/staff/tickets/{ticket.public_id}/record-forms/{name}/"


def test_assessment_form_records_and_updates_through_the_service(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="assessed")
    manager = web(world.users["manager"])
    page = manager.get(_form(ticket, "assessment"))
    assert page.status_code == 200 and "与客户商定的维护方式" in page.content.decode()
    done = manager.post(_form(ticket, "assessment"), {
        "decision": "plan", "maintenance_mode": "远程", "plan": "先备份再修正模板",
        "reviewer": world.users["admin"].pk, "reviewer_opinion": "同意"}, follow=True)
    assert done.redirect_chain[-1][0] == f"/staff/tickets/{ticket.public_id}/#records"
    assert "需求评估记录已保存。" in done.content.decode()
    row = Assessment.objects.get(ticket=ticket)
    assert (row.decision, row.plan, row.reviewer, row.recorded_by) == ("plan", "先备份再修正模板", world.users["admin"],
                                                                       world.users["manager"])
    assert TicketEvent.objects.filter(ticket=ticket, kind="assessment_recorded").count() == 1
    # the form opens with what was recorded, and saving again updates the same row
    assert "先备份再修正模板" in manager.get(_form(ticket, "assessment")).content.decode()
    assert manager.post(_form(ticket, "assessment"), {"decision": "immediate"}).status_code == 302
    row.refresh_from_db()
    assert (row.decision, row.reviewer) == ("immediate", None) and Assessment.objects.count() == 1


def test_invalid_assessment_is_shown_and_changes_nothing(world: World, web) -> None:
    ticket = make_ticket(world)
    manager = web(world.users["manager"])
    no_plan = manager.post(_form(ticket, "assessment"), {"decision": "plan", "plan": "  "})
    assert no_plan.status_code == 400 and "维护方案须填写内容。" in no_plan.content.decode()
    unknown = manager.post(_form(ticket, "assessment"), {"decision": "maybe"})
    assert unknown.status_code == 400 and 'class="errorlist' in unknown.content.decode()
    assert not Assessment.objects.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind="assessment_recorded").exists()


def test_work_order_form_records_tasks_engineers_and_schedule(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="assigned")
    engineer = web(world.users["engineer"])
    page = engineer.get(_form(ticket, "work-order")).content.decode()
    assert "任务（每项一行）" in page
    done = engineer.post(_form(ticket, "work-order"), {
        "tasks": "排查日志\n\n修正导出模板\n", "engineers": [world.users["engineer"].pk, world.users["manager"].pk],
        "planned_start": "2026-11-23T09:00", "planned_end": "2026-11-23T12:00", "notes": "周一上午"})
    assert done.status_code == 302
    row = WorkOrder.objects.get(ticket=ticket)
    assert row.tasks == ["排查日志", "修正导出模板"] and row.notes == "周一上午"
    assert set(row.engineers.all()) == {world.users["engineer"], world.users["manager"]}
    assert row.planned_end is not None and row.planned_start is not None
    assert (row.planned_end - row.planned_start).total_seconds() == 3 * 3600


def test_invalid_work_order_is_shown_and_changes_nothing(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="assigned")
    manager = web(world.users["manager"])
    assert manager.post(_form(ticket, "work-order"), {"tasks": "排查", "engineers": [world.users["engineer"].pk]}).status_code == 302
    before = WorkOrder.objects.get(ticket=ticket).updated_at
    backwards = manager.post(_form(ticket, "work-order"), {
        "tasks": "别的任务", "engineers": [world.users["engineer"].pk],
        "planned_start": "2026-11-23T12:00", "planned_end": "2026-11-23T09:00"})
    assert backwards.status_code == 400 and "结束时间早于开始时间。" in backwards.content.decode()
    customer_as_engineer = manager.post(_form(ticket, "work-order"), {
        "tasks": "别的任务", "engineers": [world.users["customer_a"].pk]})
    assert customer_as_engineer.status_code == 400  # not in the staff choices
    row = WorkOrder.objects.get(ticket=ticket)
    assert row.tasks == ["排查"] and row.updated_at == before


def test_customers_get_404_and_change_nothing(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="resolved")
    for persona in ("customer_a", "customer_admin_a", "customer_b"):
        client = web(world.users[persona])
        for name, body in (("assessment", {"decision": "immediate"}),
                           ("work-order", {"tasks": "x", "engineers": [world.users["engineer"].pk]}),
                           ("acceptance", {"verification": "复测通过"})):
            assert client.get(_form(ticket, name)).status_code == 404
            assert client.post(_form(ticket, name), body).status_code == 404
    assert web().get(_form(ticket, "assessment")).status_code == 302  # to the login page
    assert not Assessment.objects.exists() and not WorkOrder.objects.exists() and not Acceptance.objects.exists()


def test_sign_off_goes_engineer_first_then_lead_or_manager(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="resolved")
    other = f.UserFactory(username="engineer2", role=Role.ENGINEER)
    engineer, manager = web(world.users["engineer"]), web(world.users["manager"])
    url = _form(ticket, "acceptance")
    # before the engineer who did the work signs, nobody else is offered the form or may sign
    assert 'name="verification"' not in manager.get(url).content.decode()
    assert manager.post(url, {"verification": "看过了", "passed": "on"}).status_code == 403
    assert web(other).post(url, {"verification": "看过了", "passed": "on"}).status_code == 403
    assert not Acceptance.objects.filter(engineer_signed_at__isnull=False).exists()
    missing = engineer.post(url, {"passed": "on", "verification": ""})
    assert missing.status_code == 400 and "请说明如何验证了修复。" in missing.content.decode()
    assert 'name="verification"' in engineer.get(url).content.decode()
    assert engineer.post(url, {"passed": "on", "verification": "复测导出，金额列对齐"}).status_code == 302
    row = Acceptance.objects.get(ticket=ticket)
    assert row.engineer == world.users["engineer"] and row.verification == "复测导出，金额列对齐" and row.lead is None
    # the engineer (who is also the team lead here) cannot countersign their own work
    assert engineer.post(url, {"passed": "on"}).status_code == 403
    assert web(other).post(url, {"passed": "on"}).status_code == 403
    done = manager.post(url, {"passed": "on"}, follow=True)
    assert "已会签，验收完成。" in done.content.decode()
    row.refresh_from_db()
    assert row.complete and row.lead == world.users["manager"] and row.verification == "复测导出，金额列对齐"
    assert manager.post(url, {"passed": "on"}).status_code == 409
    assert 'name="verification"' not in manager.get(url).content.decode()


def test_acceptance_waits_for_the_resolution(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="in_progress")
    engineer = web(world.users["engineer"])
    assert 'name="verification"' not in engineer.get(_form(ticket, "acceptance")).content.decode()
    refused = engineer.post(_form(ticket, "acceptance"), {"passed": "on", "verification": "复测通过"})
    assert refused.status_code == 409 and "服务请求解决后才能签署验收。" in refused.content.decode()
    assert not Acceptance.objects.exists()


def test_request_page_links_the_forms_to_those_allowed(world: World, web) -> None:
    ticket = work_to(make_ticket(world), world, until="resolved")
    sign = _form(ticket, "acceptance")
    engineer_page = web(world.users["engineer"]).get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    assert _form(ticket, "assessment") in engineer_page and _form(ticket, "work-order") in engineer_page
    assert sign in engineer_page
    assert sign not in web(world.users["manager"]).get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    portal = web(world.users["customer_a"]).get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert "record-forms" not in portal


def test_forms_speak_english_on_request(world: World, web) -> None:
    ticket = make_ticket(world)
    manager = world.users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = web(manager).get(_form(ticket, "assessment")).content.decode()
    assert "Maintenance mode agreed with the customer" in page and "与客户商定的维护方式" not in page
