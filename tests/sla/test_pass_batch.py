"""The SLA batch handler over one delivery pass: several events of a ticket, a cursor already ahead, a failed ticket."""

from __future__ import annotations

from typing import Any

import pytest

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.notify.models import Notification
from weibao.sla import clocks as sla_clocks
from weibao.sla.events import on_ticket_events
from weibao.sla.models import Clock, ClockState, Metric, TicketCursor
from weibao.tickets.models import TicketEvent
from weibao.tickets.services import ticket_record_event, ticket_reply

pytestmark = pytest.mark.django_db


def payload(event: TicketEvent) -> dict[str, Any]:
    return {"event_id": event.id, "ticket_id": event.ticket_id, "kind": event.kind, "_key": str(event.id)}


def test_a_pass_applies_each_ticket_once_in_order_and_fails_only_the_broken_ticket(
        world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()
    manager = world.users["manager"]
    with django_capture_on_commit_callbacks(execute=False):  # the outbox delivers nothing on its own here
        two = make_ticket(world, subject="两个事件")
        ticket_reply(actor=world.users["engineer"], ticket=two, body="已收到，正在查看")
        ahead = make_ticket(world, subject="游标已前进")
        broken = make_ticket(world, subject="失败的工单")
    sla_clocks.clocks_apply_ticket_events(ahead.id, TicketEvent.objects.filter(ticket=ahead).latest("id").id)
    sla_clocks.clocks_apply_ticket_events(broken.id, TicketEvent.objects.filter(ticket=broken).latest("id").id)
    with django_capture_on_commit_callbacks(execute=False):
        escalated = ticket_record_event(actor=None, ticket=broken, kind="escalated",
                                        data={"notified": [manager.id], "metric": "resolution", "percent": 80})
    events = [*TicketEvent.objects.filter(ticket__in=[two, ahead]).order_by("id"), escalated]
    ahead_clocks = list(Clock.objects.filter(ticket=ahead).order_by("id").values_list("id", "due_at", "state"))

    real = sla_clocks.apply_event

    def apply(ticket: Any, event: TicketEvent, clocks: Any) -> None:
        if ticket.id == broken.id:  # fails the whole-pass transaction, then this ticket alone
            raise RuntimeError("clocks of this ticket cannot be written now")
        real(ticket, event, clocks)

    monkeypatch.setattr(sla_clocks, "apply_event", apply)
    failures = on_ticket_events([payload(e) for e in events])

    assert set(failures) == {str(escalated.id)}  # the broken ticket's event only; its notice waits for the retry
    assert not Notification.objects.filter(event_key=str(escalated.id)).exists()
    fr, res = (Clock.objects.get(ticket=two, metric=m) for m in (Metric.FIRST_RESPONSE, Metric.RESOLUTION))
    assert fr.state == ClockState.STOPPED and res.state == ClockState.RUNNING  # created, then the staff reply
    assert TicketCursor.objects.get(ticket=two).last_event_id == max(e.id for e in events if e.ticket_id == two.id)
    assert list(Clock.objects.filter(ticket=ahead).order_by("id").values_list("id", "due_at", "state")) == ahead_clocks

    monkeypatch.setattr(sla_clocks, "apply_event", real)
    assert on_ticket_events([payload(escalated)]) == {}  # the retry: clocks (cursor ahead) then the notice
    assert Notification.objects.filter(event_key=str(escalated.id), user=manager).exists()
    assert on_ticket_events([payload(e) for e in events]) == {}  # delivered twice: nothing changes
    assert Notification.objects.filter(event_key=str(escalated.id)).count() == 1
