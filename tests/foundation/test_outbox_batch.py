"""Delivery passes: one task delivers every due message, each topic's batch handlers run once per pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core import clock, outbox
from weibao.core.models import OutboxMessage
from weibao.core.outbox import outbox_deliver, outbox_deliver_pending, outbox_put
from weibao.notify.models import Notification
from weibao.search.models import SearchDocument
from weibao.sla.models import Clock, TicketCursor
from weibao.tickets.models import TicketEvent

pytestmark = pytest.mark.django_db

TOPIC = "test.batch"


@pytest.fixture
def calls() -> Iterator[list[list[str]]]:
    """A batch handler on a private topic that records the keys of each call and fails where told."""
    seen: list[list[str]] = []

    def handler(payloads: list[dict[str, Any]]) -> dict[str, Exception]:
        if any(p.get("explode") for p in payloads) and len(payloads) > 1:
            raise RuntimeError("a pass that cannot go on")
        seen.append([p["_key"] for p in payloads])
        return {p["_key"]: ValueError("refused") for p in payloads if p.get("refuse") or p.get("explode")}

    outbox.outbox_batch_handler(TOPIC)(handler)
    yield seen
    outbox._handlers.pop(TOPIC, None)


def put(key: str, **payload: Any) -> OutboxMessage:
    message = outbox_put(topic=TOPIC, key=key, payload=payload)
    assert message is not None
    return message


def test_one_pass_delivers_every_due_message_in_one_call(calls: list[list[str]]) -> None:
    for key in ("a", "b", "c"):
        put(key)
    later = put("later")
    OutboxMessage.objects.filter(id=later.id).update(available_at=clock.now() + timedelta(minutes=5))
    assert outbox_deliver_pending() == 3
    assert calls == [["a", "b", "c"]]
    assert set(OutboxMessage.objects.filter(delivered_at__isnull=False).values_list("key", flat=True)) == {"a", "b", "c"}
    assert outbox_deliver_pending() == 0  # nothing due: the late one waits, the delivered are not taken again
    assert calls == [["a", "b", "c"]]


def test_failures_by_key_back_off_only_those_messages(calls: list[list[str]]) -> None:
    put("ok-1")
    bad = put("bad", refuse=True)
    put("ok-2")
    assert outbox_deliver_pending() == 2
    bad.refresh_from_db()
    assert bad.delivered_at is None and bad.claimed_at is None and bad.attempts == 1
    assert "refused" in bad.last_error and bad.available_at > clock.now()
    assert OutboxMessage.objects.filter(key__in=["ok-1", "ok-2"], delivered_at__isnull=False).count() == 2


def test_a_pass_that_raises_is_retried_message_by_message(calls: list[list[str]]) -> None:
    put("x")
    bad = put("boom", explode=True)
    put("y")
    assert outbox_deliver_pending() == 2
    assert calls == [["x"], ["boom"], ["y"]]  # the raising pass recorded nothing; then one by one
    bad.refresh_from_db()
    assert bad.delivered_at is None and bad.attempts == 1 and bad.available_at > clock.now()


def test_claimed_exhausted_and_claimed_elsewhere_messages_are_left_alone(calls: list[list[str]]) -> None:
    mine, taken, spent = put("mine"), put("taken"), put("spent")
    OutboxMessage.objects.filter(id=taken.id).update(claimed_at=clock.now())  # another worker is on it
    OutboxMessage.objects.filter(id=spent.id).update(attempts=outbox.MAX_ATTEMPTS)
    assert outbox._claim(10) == [mine.id]
    assert outbox._claim(10) == []  # claimed by the first call: a second claimer gets nothing
    OutboxMessage.objects.filter(id=taken.id).update(claimed_at=clock.now() - outbox.CLAIM_TIMEOUT - timedelta(1))
    assert outbox._claim(10) == [taken.id]  # a claim older than the timeout: the worker died, take it over


def test_a_pass_of_ticket_events_advances_clocks_indexes_and_notifies_each_ticket(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()
    with django_capture_on_commit_callbacks(execute=False):  # a burst: nothing delivered yet
        tickets = [make_ticket(world, subject=f"批量事件 {i}") for i in range(6)]
    events = {t.id: TicketEvent.objects.get(ticket=t, kind="created").id for t in tickets}
    assert outbox_deliver_pending() >= 6
    for t in tickets:
        assert TicketCursor.objects.get(ticket_id=t.id).last_event_id == events[t.id]
        assert Clock.objects.filter(ticket=t).count() >= 2
        assert SearchDocument.objects.filter(kind="ticket", ref_id=t.id).exists()
    lead = world.team.lead_id
    if lead is not None:
        assert Notification.objects.filter(user_id=lead, kind="created").count() == 6


def test_a_pass_costs_far_fewer_queries_per_event_than_single_deliveries(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    make_policy()
    with django_capture_on_commit_callbacks(execute=False):
        single = make_ticket(world, subject="单个投递")
    message = OutboxMessage.objects.get(topic="ticket.event", key=str(TicketEvent.objects.get(ticket=single).id))
    with CaptureQueriesContext(connection) as one:
        assert outbox_deliver(message.id)
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(10):
            make_ticket(world, subject=f"批量 {i}")
    with CaptureQueriesContext(connection) as many:
        assert outbox_deliver_pending() == 10
    # Per-ticket work remains (each ticket's clocks in its own transaction, its search rows), but the reads
    # that every event repeated (the event, its ticket, watchers, team leads, subscriptions, policy) are shared.
    assert len(many) < 10 * len(one) * 0.6, (len(one), len(many))


def test_a_long_pass_gives_back_what_it_has_not_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    outbox.outbox_handler("test.single")(lambda payload: seen.append(payload["_key"]))
    kicked: list[list[int]] = []
    monkeypatch.setattr(outbox, "_kick_many", kicked.append)
    monkeypatch.setattr(outbox, "PASS_SECONDS", 0.0)  # every message after the first is "too late"
    try:
        ids = [m.id for m in (outbox_put(topic="test.single", key=k, payload={}) for k in "abc") if m is not None]
        assert outbox_deliver_pending() == 1
        assert seen == ["a"]
        given_back = OutboxMessage.objects.filter(id__in=ids[1:])
        assert all(m.claimed_at is None and m.attempts == 0 and m.delivered_at is None for m in given_back)
        assert kicked == [ids[1:]]  # another pass is asked for at once, not at the next sweep
        monkeypatch.setattr(outbox, "PASS_SECONDS", 60.0)
        assert outbox_deliver_pending() == 2 and seen == ["a", "b", "c"]
    finally:
        outbox._handlers.pop("test.single", None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_passes_deliver_each_message_exactly_once() -> None:
    import threading

    from django.db import connections

    seen: list[str] = []
    guard = threading.Lock()

    def handler(payloads: list[dict[str, Any]]) -> None:
        with guard:
            seen.extend(p["_key"] for p in payloads)

    outbox.outbox_batch_handler("test.race")(handler)
    try:
        OutboxMessage.objects.bulk_create(OutboxMessage(topic="test.race", key=str(i), payload={}, available_at=clock.now())
                                          for i in range(120))

        def worker() -> None:
            try:
                while outbox_deliver_pending(7):
                    pass
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(seen, key=int) == [str(i) for i in range(120)]  # every key once: no loss, no double run
        assert not OutboxMessage.objects.filter(topic="test.race", delivered_at__isnull=True).exists()
    finally:
        outbox._handlers.pop("test.race", None)


def test_giving_back_leaves_alone_a_claim_another_worker_took_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """A group that ran past CLAIM_TIMEOUT lets another worker re-claim the rest; the give-back must not undo
    that worker's claim (a third pass would run the message beside it) nor its attempt count."""
    taken_over: list[int] = []

    def slow(payload: dict[str, Any]) -> None:
        if payload["_key"] == "a":  # meanwhile the claim of "b" timed out and another worker took it
            OutboxMessage.objects.filter(id=taken_over[0]).update(
                claimed_at=clock.now() + timedelta(minutes=6), attempts=F("attempts") + 1)

    outbox.outbox_handler("test.slow")(slow)
    monkeypatch.setattr(outbox, "_kick_many", lambda ids: None)
    monkeypatch.setattr(outbox, "PASS_SECONDS", 0.0)
    try:
        a, b = (outbox_put(topic="test.slow", key=k, payload={}) for k in "ab")
        assert a is not None and b is not None
        taken_over.append(b.id)
        assert outbox_deliver_pending() == 1
        b.refresh_from_db()
        assert b.claimed_at is not None and b.attempts == 2  # still the other worker's
    finally:
        outbox._handlers.pop("test.slow", None)


def test_a_message_that_failed_a_handler_skips_the_later_handlers_until_its_retry() -> None:
    """As before delivery passes: a message's handlers run in order and its first failure stops it (the alarm's
    page must not go out before its incident exists); its neighbours go on."""
    seen: list[tuple[str, str]] = []

    def first(payloads: list[dict[str, Any]]) -> dict[str, Exception]:
        seen.extend(("first", p["_key"]) for p in payloads)
        return {p["_key"]: ValueError("not yet") for p in payloads if p.get("refuse")}

    def second(payload: dict[str, Any]) -> None:
        seen.append(("second", payload["_key"]))

    outbox.outbox_batch_handler("test.order")(first)
    outbox.outbox_handler("test.order")(second)
    try:
        for key, refuse in (("a", False), ("b", True), ("c", False)):
            outbox_put(topic="test.order", key=key, payload={"refuse": refuse})
        assert outbox_deliver_pending() == 2
        assert ("second", "b") not in seen
        assert seen == [("first", "a"), ("first", "b"), ("first", "c"), ("second", "a"), ("second", "c")]
    finally:
        outbox._handlers.pop("test.order", None)


def test_mail_stops_at_its_time_in_a_pass_and_the_rest_is_retried_not_lost(
        world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core import mail

    from weibao.mail import outbound

    monkeypatch.setattr(outbound, "PASS_SECONDS", -1)  # out of time after the first event's mails
    with django_capture_on_commit_callbacks(execute=False):
        make_ticket(world, subject="发信一")
        second = make_ticket(world, subject="发信二")
    assert world.contact_a.email  # both requests are acknowledged by mail (客户回执)
    outbox_deliver_pending()
    assert sum("发信一" in m.subject for m in mail.outbox) == 1 and not any("发信二" in m.subject for m in mail.outbox)
    held = OutboxMessage.objects.get(topic="ticket.event", key=str(TicketEvent.objects.get(ticket=second).id))
    assert held.delivered_at is None and "ran out" in held.last_error
    assert not SearchDocument.objects.filter(kind="ticket", ref_id=second.id).exists()  # later handlers wait for it
    monkeypatch.setattr(outbound, "PASS_SECONDS", 60)
    OutboxMessage.objects.filter(id=held.id).update(available_at=clock.now())
    assert outbox_deliver_pending() == 1
    assert sum("发信二" in m.subject for m in mail.outbox) == 1
    assert SearchDocument.objects.filter(kind="ticket", ref_id=second.id).exists()
