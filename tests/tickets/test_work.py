"""Time, visits, routing, auto-close, surveys, follow-ups, quality review, canned replies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests import factories as f
from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.core import clock
from weibao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from weibao.customers.entitlement import prepaid_balance
from weibao.customers.models import Contract
from weibao.tickets import selectors
from weibao.tickets.models import AssignmentRule, Ticket, TicketEvent
from weibao.tickets.services import ticket_reply, ticket_transition
from weibao.tickets.services_work import (
    canned_reply_render,
    canned_reply_save,
    ticket_auto_assign,
    ticket_auto_close_due,
    ticket_follow_up,
    ticket_log_time,
    ticket_quality_review,
    ticket_record_visit,
    ticket_survey_answer,
    ticket_survey_answer_by_token,
    ticket_survey_link,
)
from weibao.tickets.states import Status


def _prepaid_world(world: World) -> Contract:
    contract = world.contract_a
    today = clock.now().date()
    Contract.objects.filter(pk=contract.pk).update(start_date=today - timedelta(days=400), end_date=today + timedelta(days=300),
                                                   warranty_end=None, free_maintenance_end=today - timedelta(days=1),
                                                   prepaid_hours=Decimal("10"))
    contract.refresh_from_db()
    return contract


def test_billable_time_on_a_prepaid_request_draws_hours_once(world: World) -> None:
    contract = _prepaid_world(world)
    ticket = make_ticket(world)
    ticket = ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="assess")
    assert ticket.entitlement_kind == "prepaid"
    entry = ticket_log_time(actor=world.users["engineer"], ticket=ticket, mode="onsite", minutes=90, note="现场排查")
    assert entry.prepaid_drawn and prepaid_balance(contract) == Decimal("8.50")
    ticket_log_time(actor=world.users["engineer"], ticket=ticket, mode="phone", minutes=30, billable=False)
    assert prepaid_balance(contract) == Decimal("8.50")
    with pytest.raises(ValidationFailed):
        ticket_log_time(actor=world.users["engineer"], ticket=ticket, mode="telepathy", minutes=30)
    with pytest.raises(PermissionDenied):
        ticket_log_time(actor=world.users["customer_a"], ticket=ticket, mode="remote", minutes=30)
    assert TicketEvent.objects.filter(ticket=ticket, kind="time_logged").count() == 2


def test_visit_is_recorded_with_engineers_and_signatory(world: World) -> None:
    ticket = make_ticket(world)
    now = clock.now()
    visit = ticket_record_visit(actor=world.users["engineer"], ticket=ticket, date=date(2026, 5, 6),
                                engineers=[world.users["engineer"]], arrived_at=now, departed_at=now + timedelta(hours=2),
                                customer_signatory="王建国", summary="更换了故障网卡")
    assert list(visit.engineers.all()) == [world.users["engineer"]] and visit.customer_signatory == "王建国"
    with pytest.raises(ValidationFailed):
        ticket_record_visit(actor=world.users["engineer"], ticket=ticket, date=date(2026, 5, 6), engineers=[],
                            arrived_at=now, departed_at=now - timedelta(hours=1))


def test_rules_route_to_a_team_then_round_robin_among_engineers_on_duty(world: World) -> None:
    team = f.TeamFactory(name="数据库组")
    a, b, off = (f.UserFactory(role="engineer") for _ in range(3))
    f.add_member(team, a), f.add_member(team, b), f.add_member(team, off, on_duty=False)
    AssignmentRule.objects.create(position=1, system=world.system_a, type="fault", team=team)
    picked = []
    for i in range(3):
        ticket = make_ticket(world, subject=f"故障{i}")
        assert ticket.team == team  # the rule chose the team at registration
        picked.append(ticket_auto_assign(actor=world.users["manager"], ticket=ticket).assignee)
    assert picked == [a, b, a]
    consult = make_ticket(world, type="consultation")
    assert consult.team == world.team  # no rule: the system's responsible team


def test_least_loaded_picks_the_engineer_with_fewest_open_requests(world: World) -> None:
    team = f.TeamFactory(name="应用组")
    busy, free = f.UserFactory(role="engineer"), f.UserFactory(role="engineer")
    f.add_member(team, busy), f.add_member(team, free)
    AssignmentRule.objects.create(position=1, organisation=world.org_a, team=team, strategy="least_loaded")
    Ticket.objects.filter(pk=make_ticket(world).pk).update(assignee=busy, status="in_progress")
    assert ticket_auto_assign(actor=world.users["manager"], ticket=make_ticket(world)).assignee == free


def test_auto_close_due_closes_only_what_waited_long_enough(world: World) -> None:
    old = place(make_ticket(world), Status.RESOLVED, world)  # resolved 30 days ago
    fresh = place(make_ticket(world), Status.RESOLVED, world)
    Ticket.objects.filter(pk=fresh.pk).update(resolved_at=clock.now() - timedelta(hours=30))
    assert ticket_auto_close_due() == 1
    assert Ticket.objects.get(pk=old.pk).status == "closed" and Ticket.objects.get(pk=old.pk).closed_automatically
    assert Ticket.objects.get(pk=fresh.pk).status == "resolved"


def test_customer_reply_while_waiting_resumes_and_mentions_add_watchers(world: World) -> None:
    ticket = place(make_ticket(world), Status.WAITING_CUSTOMER, world)
    ticket_reply(actor=world.users["customer_a"], ticket=ticket, body="补充：10:05 出错")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    ticket_reply(actor=world.users["engineer"], ticket=ticket, body="@manager 请看一下", internal=True)
    assert world.users["manager"] in Ticket.objects.get(pk=ticket.pk).watchers.all()
    event = TicketEvent.objects.filter(ticket=ticket, kind="replied").last()
    assert event is not None and event.data["mentions"] == [world.users["manager"].id] and event.data["internal"]


def test_survey_link_is_one_time_and_expires(world: World, settings: Any) -> None:
    ticket = place(make_ticket(world), Status.CLOSED, world)
    token = ticket_survey_link(ticket=ticket)
    survey = ticket_survey_answer_by_token(token=token, rating=5, comment="响应很快")
    assert survey.rating == 5 and survey.answered_by is None
    with pytest.raises(NotFound):
        ticket_survey_answer_by_token(token=token, rating=1)
    other = place(make_ticket(world), Status.CLOSED, world)
    settings.SURVEY_LINK_DAYS = 1
    token = ticket_survey_link(ticket=other)
    from weibao.tickets.models import Survey

    Survey.objects.filter(ticket=other).update(token_expires_at=clock.now() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        ticket_survey_answer_by_token(token=token, rating=4)
    with pytest.raises(ValidationFailed):
        ticket_survey_answer(actor=world.users["customer_a"], ticket=other, rating=6)
    assert ticket_survey_answer(actor=world.users["customer_a"], ticket=other, rating=4).rating == 4
    with pytest.raises(Conflict):
        ticket_survey_answer(actor=world.users["customer_admin_a"], ticket=other, rating=3)
    with pytest.raises(ValidationFailed):
        ticket_survey_link(ticket=make_ticket(world))


def test_follow_up_queue_lists_recently_closed_not_yet_called(world: World) -> None:
    recent = place(make_ticket(world), Status.CLOSED, world)
    old = place(make_ticket(world), Status.CLOSED, world)
    Ticket.objects.filter(pk=old.pk).update(closed_at=clock.now() - timedelta(days=40))
    manager = world.users["manager"]
    assert list(selectors.followup_queue_for(manager, days=30)) == [recent]
    assert list(selectors.followup_queue_for(world.users["engineer"], days=30)) == []
    ticket_follow_up(actor=manager, ticket=recent, result="satisfied", note="客户表示满意")
    assert list(selectors.followup_queue_for(manager, days=30)) == []
    with pytest.raises(PermissionDenied):
        ticket_follow_up(actor=world.users["engineer"], ticket=recent, result="satisfied")


def test_quality_review_of_a_sample(world: World) -> None:
    closed = [place(make_ticket(world), Status.CLOSED, world) for _ in range(4)]
    sample = selectors.quality_sample_for(world.users["manager"], size=3)
    assert len(sample) == 3 and set(sample) <= set(closed)
    ticket_quality_review(actor=world.users["manager"], ticket=sample[0], score=92, findings="记录完整")
    assert sample[0] not in selectors.quality_sample_for(world.users["manager"], size=10)
    with pytest.raises(Conflict):
        ticket_quality_review(actor=world.users["manager"], ticket=sample[0], score=80)
    with pytest.raises(ValidationFailed):
        ticket_quality_review(actor=world.users["manager"], ticket=sample[1], score=101)


def test_canned_replies_fill_the_request_details(world: World) -> None:
    reply = canned_reply_save(actor=world.users["manager"], title="已受理", body="{requester}您好，您的请求 {number} 已受理。")
    ticket = make_ticket(world)
    assert canned_reply_render(reply, ticket) == f"甲联系人您好，您的请求 {ticket.number} 已受理。"
    with pytest.raises(Conflict):
        canned_reply_save(actor=world.users["manager"], title="已受理", body="x")
    with pytest.raises(PermissionDenied):
        canned_reply_save(actor=world.users["engineer"], title="新", body="x")
    assert list(selectors.canned_replies_for(world.users["customer_a"])) == []
