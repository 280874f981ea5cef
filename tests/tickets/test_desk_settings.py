"""Service-desk settings: managers edit the priority matrix, assignment rules and duty; bad input saves nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.personas import World
from weibao.accounts.models import TeamMembership
from weibao.tickets.models import AssignmentRule, PriorityMatrixEntry
from weibao.tickets.services import ticket_create
from weibao.tickets.services_work import ticket_auto_assign

pytestmark = pytest.mark.django_db

LEVELS = ("high", "medium", "low")


def _grid(**changes: str) -> dict[str, str]:
    base = {"high": {"high": "p1", "medium": "p2", "low": "p3"}, "medium": {"high": "p2", "medium": "p3", "low": "p4"},
            "low": {"high": "p3", "medium": "p4", "low": "p4"}}
    data = {f"m_{u}__{i}": base[u][i] for u in LEVELS for i in LEVELS}
    data.update(changes)
    return data


def test_manager_edits_the_matrix_and_new_requests_follow_it(world: World, web) -> None:
    manager = web(world.users["manager"])
    response = manager.post("/staff/desk/matrix/", _grid(m_medium__medium="p2"))
    assert response.status_code == 302
    ticket = ticket_create(actor=None, organisation=world.org_a, subject="报表慢", description="",
                           channel="portal", urgency="medium", impact="medium")
    assert ticket.priority == "p2"
    page = manager.get("/staff/desk/")
    assert page.status_code == 200
    assert 'name="m_medium__medium"' in page.content.decode()


def _matrix() -> list[tuple[str, str, str]]:
    return sorted(PriorityMatrixEntry.objects.values_list("urgency", "impact", "priority"))


def test_a_bad_matrix_cell_saves_nothing(world: World, web) -> None:
    before = _matrix()
    manager = web(world.users["manager"])
    response = manager.post("/staff/desk/matrix/", _grid(m_high__high="p4", m_low__low="p9"))
    assert response.status_code == 400
    assert "low__low" in response.content.decode()
    assert _matrix() == before  # the valid p4 change was not kept either
    missing = _grid()
    del missing["m_low__medium"]
    assert manager.post("/staff/desk/matrix/", missing).status_code == 400
    assert _matrix() == before


def test_a_rule_made_on_the_page_routes_new_requests(world: World, web) -> None:
    other_team = f.TeamFactory(name="数据库组")
    dba = f.UserFactory(username="dba", role="engineer")
    f.add_member(other_team, dba)
    comp = f.component(world.system_a, "数据库")
    manager = web(world.users["manager"])
    response = manager.post("/staff/desk/rules/", {
        "position": "5", "system": world.system_a.public_id, "component": str(comp.pk), "type": "fault",
        "team": str(other_team.pk), "strategy": "round_robin", "is_active": "on"})
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert rule.organisation_id == world.org_a.id  # implied by the system
    ticket = ticket_create(actor=None, organisation=world.org_a, system=world.system_a, component=comp,
                           subject="数据库锁等待", description="", channel="portal", type="fault")
    ticket = ticket_auto_assign(actor=world.users["manager"], ticket=ticket)
    assert ticket.team_id == other_team.id and ticket.assignee_id == dba.id

    # edit: switching the rule off sends the next request to the system's responsible team instead
    response = manager.post("/staff/desk/rules/", {
        "rule": str(rule.pk), "position": "5", "system": world.system_a.public_id, "component": str(comp.pk),
        "type": "fault", "team": str(other_team.pk), "strategy": "round_robin"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    assert "编辑" in manager.get(f"/staff/desk/?rule={rule.pk}").content.decode()


def test_inconsistent_rules_are_refused_and_nothing_saved(world: World, web) -> None:
    manager = web(world.users["manager"])
    comp_b = f.component(world.system_b, "接口")
    cases = [
        {"organisation": str(world.org_a.pk), "system": world.system_b.public_id, "team": str(world.team.pk)},
        {"system": world.system_a.public_id, "component": str(comp_b.pk), "team": str(world.team.pk)},
        {"team": ""},
        {"team": str(world.team.pk), "type": "nonsense"},
        {"team": str(world.team.pk), "strategy": "random"},
        {"team": str(world.team.pk), "position": "-1"},
        {"team": "999999"},
        {"team": str(world.team.pk), "system": "no-such-system"},
    ]
    for data in cases:
        data.setdefault("strategy", "round_robin")
        response = manager.post("/staff/desk/rules/", data)
        assert response.status_code == 400, data
    assert not AssignmentRule.objects.exists()


def test_engineers_read_but_do_not_edit(world: World, web) -> None:
    before = _matrix()
    engineer = web(world.users["engineer"])
    page = engineer.get("/staff/desk/").content.decode()
    assert "保存矩阵" not in page and "保存规则" not in page
    assert engineer.post("/staff/desk/matrix/", _grid(m_high__high="p4")).status_code == 404
    assert engineer.post("/staff/desk/rules/", {"team": str(world.team.pk)}).status_code == 404
    assert _matrix() == before and not AssignmentRule.objects.exists()


def test_the_team_lead_takes_an_engineer_off_duty_and_assignment_skips_them(world: World, web) -> None:
    lead = world.users["engineer"]  # the world's team lead
    other = f.UserFactory(username="xiaowang", role="engineer")
    f.add_member(world.team, other)
    response = web(lead).post(f"/staff/desk/teams/{world.team.pk}/duty/", {"user": str(lead.pk), "on_duty": "0"})
    assert response.status_code == 302
    assert TeamMembership.objects.get(team=world.team, user=lead).on_duty is False
    AssignmentRule.objects.create(team=world.team)
    for _ in range(3):
        ticket = ticket_create(actor=None, organisation=world.org_a, subject="登录失败", description="", channel="portal")
        assert ticket_auto_assign(actor=world.users["manager"], ticket=ticket).assignee_id == other.id
    # an engineer who does not lead the team cannot change it
    response = web(other).post(f"/staff/desk/teams/{world.team.pk}/duty/", {"user": str(lead.pk), "on_duty": "1"})
    assert response.status_code == 404
    assert TeamMembership.objects.get(team=world.team, user=lead).on_duty is False


def test_settings_page_queries_do_not_grow_with_rules(world: World, web) -> None:
    manager = web(world.users["manager"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get("/staff/desk/").status_code == 200
        return len(ctx.captured_queries)

    AssignmentRule.objects.create(team=world.team, system=world.system_a, organisation=world.org_a)
    few = count()
    for n in range(10):
        team = f.TeamFactory(name=f"组{n}")
        f.add_member(team, f.UserFactory(username=f"eng{n}", role="engineer"))
        AssignmentRule.objects.create(team=team, system=world.system_b, organisation=world.org_b,
                                      component=f.component(world.system_b, f"组件{n}"), position=n)
    assert count() == few


def test_the_page_speaks_english_on_request(world: World, web) -> None:
    manager = world.users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = web(manager).get("/staff/desk/").content.decode()
    assert "Service desk settings" in page and "Save matrix" in page and "服务台设置" not in page
