"""The transition table, exhaustively: every status × every named transition is allowed or refused as the table says."""

from __future__ import annotations

from typing import Any

import pytest

from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.core.errors import TransitionNotAllowed
from weibao.core.models import OutboxMessage
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_transition
from weibao.tickets.states import TRANSITIONS, By, Status

CASES = [(status, name) for status in Status for name in TRANSITIONS]


def _params(world: World, name: str) -> dict[str, Any]:
    if name == "propose_resolution":
        return {"resolution_method": "configuration", "resolution_text": "调整了连接池配置。"}
    if name == "decline":
        return {"reason": "属于新需求，不在维护范围内。"}
    if name == "merge":
        return {"into": make_ticket(world, subject="同一问题的另一个请求")}
    return {}


def _actor(world: World, name: str) -> Any:
    spec = TRANSITIONS[name]
    if By.STAFF in spec.by:
        return world.users["manager"]
    if By.CUSTOMER in spec.by:
        return world.users["customer_a"]
    return None


def test_table_covers_every_status_as_a_source_or_target() -> None:
    reachable = {t.target for t in TRANSITIONS.values()} | {Status.NEW}
    assert reachable == set(Status)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_every_transition_from_status_is_allowed_exactly_when_the_table_says(world: World, status: Status) -> None:
    for name, spec in TRANSITIONS.items():
        ticket = place(make_ticket(world), status, world)
        params = _params(world, name)
        events_before = TicketEvent.objects.filter(ticket=ticket).count()
        if status in spec.sources:
            result = ticket_transition(actor=_actor(world, name), ticket=ticket, transition=name, **params)
            assert result.status == spec.target, (status, name)
            assert Ticket.objects.get(pk=ticket.pk).status == spec.target
            new = list(TicketEvent.objects.filter(ticket=ticket).order_by("id")[events_before:])
            assert [e.kind for e in new] == ["transitioned"], (status, name, [e.kind for e in new])
            event = new[0]
            assert event.data["transition"] == name
            assert event.data["from"] == status and event.data["to"] == spec.target
            assert event.data["automatic"] is (name == "auto_close")
            assert event.before == {"status": status} and event.after == {"status": spec.target}
            outbox = OutboxMessage.objects.get(topic="ticket.event", key=str(event.id))
            assert outbox.payload == {"event_id": event.id, "ticket_id": ticket.id, "kind": "transitioned"}
        else:
            with pytest.raises(TransitionNotAllowed) as refused:
                ticket_transition(actor=_actor(world, name), ticket=ticket, transition=name, **params)
            assert refused.value.status == 409
            assert name not in refused.value.details["allowed"]
            assert refused.value.details["status"] == status
            assert Ticket.objects.get(pk=ticket.pk).status == status, (status, name)
            assert TicketEvent.objects.filter(ticket=ticket).count() == events_before, (status, name)


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_each_transition_refuses_actors_the_table_does_not_name(world: World, name: str) -> None:
    spec = TRANSITIONS[name]
    source = sorted(spec.sources)[0]
    candidates = {By.STAFF: world.users["engineer"], By.CUSTOMER: world.users["customer_a"], By.SYSTEM: None}
    for kind, actor in candidates.items():
        if kind in spec.by:
            continue
        ticket = place(make_ticket(world), source, world)
        with pytest.raises(TransitionNotAllowed):
            ticket_transition(actor=actor, ticket=ticket, transition=name, **_params(world, name))
        assert Ticket.objects.get(pk=ticket.pk).status == source


def test_allowed_transitions_agrees_with_the_refusal_rules(world: World) -> None:
    from weibao.core import clock
    from weibao.tickets.states import allowed_transitions, refusal

    actors = [None, world.users["engineer"], world.users["customer_a"], world.users["customer_b"]]
    for status in Status:
        ticket = place(make_ticket(world), status, world)
        for actor in actors:
            now = clock.now()
            expected = [n for n, t in TRANSITIONS.items() if refusal(ticket, actor, t, now) is None]
            assert allowed_transitions(ticket, actor, now) == expected, (status, actor)
