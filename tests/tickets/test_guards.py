"""Guards and side effects of the ticket state machine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from weibao.tickets import states
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_assign, ticket_record_consent, ticket_set_entitlement, ticket_transition
from weibao.tickets.states import Status, allowed_transitions

RESOLVE = {"resolution_method": "configuration", "resolution_text": "已修改配置并验证。"}


def test_no_resolution_while_a_child_work_order_is_open(world: World) -> None:
    parent = place(make_ticket(world), Status.IN_PROGRESS, world)
    child = make_ticket(world, subject="子工单：现场排查", parent=parent)
    eng = world.users["engineer"]
    with pytest.raises(TransitionNotAllowed) as refused:
        ticket_transition(actor=eng, ticket=parent, transition="propose_resolution", **RESOLVE)
    assert "子工单" in refused.value.message
    assert "propose_resolution" not in allowed_transitions(parent, eng)
    place(child, Status.CLOSED, world)
    assert ticket_transition(actor=eng, ticket=parent, transition="propose_resolution", **RESOLVE).status == Status.RESOLVED


def test_back_end_data_fix_needs_recorded_customer_consent(world: World) -> None:
    ticket = place(make_ticket(world), Status.IN_PROGRESS, world)
    eng = world.users["engineer"]
    fix = {"resolution_method": "data_fix", "resolution_text": "修正了错误的库存数据。"}
    with pytest.raises(TransitionNotAllowed) as refused:
        ticket_transition(actor=eng, ticket=ticket, transition="propose_resolution", **fix)
    assert "同意" in refused.value.message
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    with pytest.raises(ValidationFailed):
        ticket_record_consent(actor=eng, ticket=ticket, note="")
    ticket_record_consent(actor=eng, ticket=ticket, note="2026-05-06 电话确认，王科长同意后台修复")
    done = ticket_transition(actor=eng, ticket=ticket, transition="propose_resolution", **fix)
    assert done.status == Status.RESOLVED and done.resolution_method == "data_fix"


def test_reject_goes_back_to_work_and_counts(world: World) -> None:
    ticket = place(make_ticket(world), Status.RESOLVED, world)
    back = ticket_transition(actor=world.users["customer_a"], ticket=ticket, transition="reject", reason="问题依旧")
    assert back.status == Status.IN_PROGRESS and back.reopen_count == 1 and back.resolved_at is None
    back = ticket_transition(actor=world.users["engineer"], ticket=back, transition="propose_resolution", **RESOLVE)
    back = ticket_transition(actor=world.users["customer_a"], ticket=back, transition="reject")
    assert back.reopen_count == 2


def test_auto_close_waits_n_working_days_and_is_recorded_as_automatic(world: World) -> None:
    world.org_a.auto_close_working_days = 3
    world.org_a.save()
    ticket = place(make_ticket(world), Status.RESOLVED, world)
    # a plain week: the SLA calendar makes Saturday 9 May 2026 a make-up workday (调休), so not early May
    friday = datetime(2026, 6, 5, 10, 0, tzinfo=clock.now().tzinfo)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=friday)
    with time_machine.travel(friday + timedelta(days=4), tick=False):  # Tuesday: 2 working days
        with pytest.raises(TransitionNotAllowed):
            ticket_transition(actor=None, ticket=ticket, transition="auto_close")
    with time_machine.travel(friday + timedelta(days=5), tick=False):  # Wednesday: 3 working days
        closed = ticket_transition(actor=None, ticket=ticket, transition="auto_close")
    assert closed.status == Status.CLOSED and closed.closed_automatically
    assert TicketEvent.objects.filter(ticket=ticket, kind="transitioned").last().data["automatic"] is True  # type: ignore[union-attr]


def test_working_days_come_from_the_registered_calendar(world: World) -> None:
    ticket = place(make_ticket(world), Status.RESOLVED, world)
    calls: list[Any] = []

    def holidays_everywhere(start: datetime, end: datetime, organisation: Any) -> int:
        calls.append(organisation)
        return 0

    previous = states._working_days_provider
    states.set_working_days_provider(holidays_everywhere)
    try:
        with pytest.raises(TransitionNotAllowed):
            ticket_transition(actor=None, ticket=ticket, transition="auto_close")
    finally:
        states.set_working_days_provider(previous)
    assert calls and all(org == world.org_a for org in calls)
    assert ticket_transition(actor=None, ticket=ticket, transition="auto_close").status == Status.CLOSED


def test_reopen_only_within_the_window(world: World, settings: Any) -> None:
    settings.TICKET_REOPEN_DAYS = 7
    ticket = place(make_ticket(world), Status.CLOSED, world)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=clock.now() - timedelta(days=8))
    with pytest.raises(TransitionNotAllowed) as refused:
        ticket_transition(actor=world.users["customer_a"], ticket=ticket, transition="reopen")
    assert "7" in refused.value.message
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=clock.now() - timedelta(days=6))
    again = ticket_transition(actor=world.users["customer_a"], ticket=ticket, transition="reopen")
    assert again.status == Status.IN_PROGRESS and again.reopen_count == 1 and again.closed_at is None


def test_decline_needs_a_reason_and_bad_parameters_change_nothing(world: World) -> None:
    ticket = make_ticket(world)
    with pytest.raises(ValidationFailed):
        ticket_transition(actor=world.users["manager"], ticket=ticket, transition="decline", reason="  ")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["created"]
    done = ticket_transition(actor=world.users["manager"], ticket=ticket, transition="decline", reason="属于新功能开发，需另签合同。")
    assert done.status == Status.DECLINED and done.decline_reason.startswith("属于新功能")


def test_merge_points_at_the_surviving_request(world: World) -> None:
    dup, keep = make_ticket(world), make_ticket(world)
    merged = ticket_transition(actor=world.users["engineer"], ticket=dup, transition="merge", into=keep)
    assert merged.status == Status.MERGED and merged.merged_into_id == keep.id
    assert TicketEvent.objects.filter(ticket=keep, kind="merge_received").count() == 1
    other_org = make_ticket(world, org="b")
    with pytest.raises(ValidationFailed):
        ticket_transition(actor=world.users["engineer"], ticket=make_ticket(world), transition="merge", into=other_org)


def test_customer_cannot_fire_transitions_on_another_organisations_ticket(world: World) -> None:
    ticket = place(make_ticket(world, org="b"), Status.RESOLVED, world)
    with pytest.raises(NotFound):
        ticket_transition(actor=world.users["customer_a"], ticket=ticket, transition="confirm")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_unknown_transition_is_a_conflict_with_the_allowed_list(world: World) -> None:
    ticket = make_ticket(world)
    with pytest.raises(TransitionNotAllowed) as refused:
        ticket_transition(actor=world.users["manager"], ticket=ticket, transition="teleport")
    assert set(refused.value.details["allowed"]) == {"assess", "assign", "decline", "merge"}


def test_stale_expected_status_is_refused(world: World) -> None:
    ticket = place(make_ticket(world), Status.ASSIGNED, world)
    with pytest.raises(TransitionNotAllowed):
        ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="start", expected_status="new")
    assert ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="start",
                             expected_status="assigned").status == Status.IN_PROGRESS


def test_assessment_decides_entitlement_and_only_a_manager_overrides(world: World) -> None:
    ticket = make_ticket(world)
    assessed = ticket_transition(actor=world.users["engineer"], ticket=ticket, transition="assess",
                                 maintenance_category="corrective")
    assert assessed.entitlement_kind in ("free", "prepaid", "paid") and assessed.entitlement_reason
    assert assessed.maintenance_category == "corrective"
    with pytest.raises(PermissionDenied):
        ticket_set_entitlement(actor=world.users["engineer"], ticket=assessed, kind="paid", reason="超出合同范围")
    with pytest.raises(ValidationFailed):
        ticket_set_entitlement(actor=world.users["manager"], ticket=assessed, kind="paid", reason="")
    changed = ticket_set_entitlement(actor=world.users["manager"], ticket=assessed, kind="paid", reason="超出合同范围")
    assert changed.entitlement_kind == "paid" and changed.entitlement_overridden


def test_assigning_a_new_request_moves_it_to_assigned(world: World) -> None:
    ticket = make_ticket(world)
    eng = world.users["engineer"]
    done = ticket_assign(actor=world.users["manager"], ticket=ticket, assignee=eng)
    assert done.status == Status.ASSIGNED and done.assignee_id == eng.id
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "assigned", "transitioned"]
    assert eng in done.watchers.all()
    with pytest.raises(ValidationFailed):
        ticket_assign(actor=world.users["manager"], ticket=done, assignee=world.users["customer_a"])
    with pytest.raises(PermissionDenied):
        ticket_assign(actor=world.users["customer_a"], ticket=done, assignee=eng)


def test_numbers_are_yearly_and_sequential(world: World) -> None:
    with time_machine.travel(datetime(2026, 12, 31, 12, 0, tzinfo=clock.now().tzinfo), tick=False):
        a, b = make_ticket(world), make_ticket(world)
    with time_machine.travel(datetime(2027, 1, 2, 12, 0, tzinfo=clock.now().tzinfo), tick=False):
        c = make_ticket(world)
    assert (a.number, b.number, c.number) == ("SR-2026-000001", "SR-2026-000002", "SR-2027-000001")


def test_refusals_speak_english_on_request(world: World) -> None:
    from django.utils import translation

    ticket = make_ticket(world)
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        ticket_transition(actor=world.users["manager"], ticket=ticket, transition="confirm")
    message = refused.value.message
    assert message.startswith("“Confirm resolution” is not possible in status “") and "确认" not in message
