"""`save_new` writes the same row and the same SQL as `save()`, and is `save()` whenever it could differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Value
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.tickets.factories import make_ticket
from weibao.core.inserts import save_new
from weibao.core.models import OutboxMessage
from weibao.tickets.models import LinkKind, Message, Ticket, TicketEvent, TicketLink

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 08:30:15.123456+08:00"


def _raw_row(obj: models.Model) -> dict[str, Any]:
    """The row as the database stores it (no field converters: a JSON text or a time written differently shows)."""
    meta = obj._meta
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # identifiers from the model's metadata, the key as a parameter
        cursor.execute(f"SELECT * FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = %s", [obj.pk])  # noqa: S608
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _read(obj: models.Model) -> dict[str, Any]:
    attnames = [f.attname for f in obj._meta.concrete_fields]
    return type(obj).objects.filter(pk=obj.pk).values(*attnames).get()  # type: ignore[attr-defined, no-any-return]


def _same_rows(fast: models.Model, slow: models.Model, differ: set[str]) -> None:
    """Every concrete field of the two rows is equal, read back raw and through the fields (but the pk and `differ`)."""
    skip = {fast._meta.pk.column, fast._meta.pk.attname} | differ
    raw_fast, raw_slow = _raw_row(fast), _raw_row(slow)
    assert {k: v for k, v in raw_fast.items() if k not in skip} == {k: v for k, v in raw_slow.items() if k not in skip}
    read_fast, read_slow = _read(fast), _read(slow)
    assert set(read_fast) == {f.attname for f in fast._meta.concrete_fields}
    assert {k: v for k, v in read_fast.items() if k not in skip} == {k: v for k, v in read_slow.items() if k not in skip}
    # and the object in memory holds what was written, as save() leaves it
    for name, value in read_fast.items():
        assert getattr(fast, name) == value, name
    assert fast.pk is not None and fast.pk != slow.pk
    assert fast._state.adding is False and fast._state.db == "default"


def _save(obj: models.Model) -> models.Model:
    obj.save()
    return obj


def _ticket(world: World, number: str, public_id: str) -> Ticket:
    return Ticket(number=number, public_id=public_id, organisation=world.org_a, requester=world.contact_a,
                  system=world.system_a, channel="email", type="fault", urgency="high", impact="low", priority="P2",
                  subject="登录后页面空白", description="点击“登录”后页面一直空白。", team=world.team,
                  tags=["登录", "紧急"], unverified_requester=True)


def test_ticket_row_equals_saves(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        fast = save_new(_ticket(world, "SR-T-1", "pub-fast"))
        slow = _ticket(world, "SR-T-2", "pub-slow")
        slow.save()
    assert fast.created_at is not None and fast.updated_at == fast.created_at  # auto_now_add and auto_now filled
    _same_rows(fast, slow, {"number", "public_id"})
    assert _read(fast)["number"] == "SR-T-1" and _read(fast)["public_id"] == "pub-fast"


def test_event_with_json_row_equals_saves(world: World) -> None:
    ticket = make_ticket(world)
    data = {"channel": "api", "说明": "中文", "nested": {"list": [1, 2.5, None, True]}}

    def event() -> TicketEvent:
        return TicketEvent(ticket=ticket, actor=world.users["engineer"], kind="created", before={},
                           after={"status": "new"}, data=data, created_at=ticket.created_at)

    fast = save_new(event())
    slow = event()
    slow.save()
    _same_rows(fast, slow, set())
    assert _read(fast)["data"] == data


def test_outbox_message_row_equals_saves(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        fast = save_new(OutboxMessage(topic="test.inserts", key="1", payload={"ticket_id": 7}, available_at=world.org_a.created_at))
        slow = OutboxMessage(topic="test.inserts", key="2", payload={"ticket_id": 7}, available_at=world.org_a.created_at)
        slow.save()
    _same_rows(fast, slow, {"key"})


def test_auto_now_add_and_null_foreign_keys_rows_equal_saves(world: World) -> None:
    a, b = make_ticket(world), make_ticket(world)
    with time_machine.travel(NOW, tick=False):
        fast = save_new(TicketLink(source=a, target=b, kind=LinkKind.RELATED))  # created_by left null
        slow = TicketLink(source=a, target=b, kind=LinkKind.DUPLICATE_OF)  # (source, target, kind) is unique
        slow.save()
    assert fast.created_at is not None and fast.created_by_id is None
    _same_rows(fast, slow, {"kind"})
    fast_msg = save_new(Message(ticket=a, body="你好", created_at=a.created_at))  # both authors null
    slow_msg = Message(ticket=a, body="你好", created_at=a.created_at)
    slow_msg.save()
    _same_rows(fast_msg, slow_msg, set())


@pytest.mark.parametrize("model", ["ticket", "event", "outbox"])
def test_same_statement_and_values_as_save(world: World, model: str) -> None:
    """The captured SQL (values interpolated) of save_new and save() for the same object is identical."""
    ticket = make_ticket(world)

    def build() -> models.Model:
        if model == "ticket":
            return _ticket(world, "SR-T-9", "pub-same")
        if model == "event":
            return TicketEvent(ticket=ticket, actor=None, kind="replied", data={"中文": [1, None]},
                               created_at=ticket.created_at)
        return OutboxMessage(topic="test.same", key="k", payload={"a": "乙"}, available_at=ticket.created_at)

    captured = []
    for write in (save_new, _save):
        with time_machine.travel(NOW, tick=False), transaction.atomic():
            with CaptureQueriesContext(connection) as ctx:
                write(build())
            transaction.set_rollback(True)  # the second write reuses the unique values
        captured.append([q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])
    assert len(captured[0]) == 1 and captured[0][0].startswith("INSERT")
    assert captured[0] == captured[1]


# --- fallbacks ------------------------------------------------------------------------------------


def test_a_post_save_receiver_gets_save(world: World) -> None:
    heard: list[tuple[Any, bool]] = []

    def receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        heard.append((instance, created))

    post_save.connect(receiver, sender=OutboxMessage, dispatch_uid="test_inserts")
    try:
        message = save_new(OutboxMessage(topic="test.signal", key="1", payload={}, available_at=world.org_a.created_at))
    finally:
        post_save.disconnect(receiver, sender=OutboxMessage, dispatch_uid="test_inserts")
    assert heard == [(message, True)]
    assert message.pk is not None and message._state.adding is False
    # disconnected: the fast path again, no signal
    save_new(OutboxMessage(topic="test.signal", key="2", payload={}, available_at=world.org_a.created_at))
    assert len(heard) == 1


def test_a_preset_primary_key_is_inserted_as_given(world: World) -> None:
    pk = (OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    with CaptureQueriesContext(connection) as ctx:
        message = save_new(OutboxMessage(id=pk, topic="test.pk", key="1", payload={}, available_at=world.org_a.created_at))
    # as save(force_insert=True): one INSERT with the key's column, no UPDATE first
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("INSERT") and '"id"' in statements[0].split("VALUES")[0]
    assert message.pk == pk and message._state.adding is False
    slow = OutboxMessage(id=pk + 1, topic="test.pk", key="1b", payload={}, available_at=world.org_a.created_at)
    slow.save(force_insert=True)
    raw_fast, raw_slow = _raw_row(message), _raw_row(slow)
    assert raw_fast.pop("id") == pk and raw_slow.pop("id") == pk + 1
    assert raw_fast.pop("key") == "1" and raw_slow.pop("key") == "1b"
    assert raw_fast.pop("created_at") and raw_slow.pop("created_at")  # each its own now()
    assert raw_fast == raw_slow
    with pytest.raises(IntegrityError), transaction.atomic():  # the key exists: refused, as force_insert is
        save_new(OutboxMessage(id=pk, topic="test.pk", key="2", payload={}, available_at=world.org_a.created_at))
    assert OutboxMessage.objects.get(pk=pk).key == "1"


def test_an_expression_value_gets_save(world: World) -> None:
    message = save_new(OutboxMessage(topic="test.expr", key="1", payload={}, attempts=Value(3),
                                     available_at=world.org_a.created_at))
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 3


def test_an_unsaved_related_object_raises_as_save(world: World) -> None:
    unsaved = Ticket(organisation=world.org_a, subject="未保存")
    errors = []
    for write in (save_new, _save):
        with pytest.raises(ValueError) as info:
            write(TicketEvent(ticket=unsaved, kind="created", created_at=world.org_a.created_at))
        errors.append(str(info.value))
    assert errors[0] == errors[1] == "save() prohibited to prevent data loss due to unsaved related object 'ticket'."
    assert not TicketEvent.objects.filter(kind="created", ticket__subject="未保存").exists()


# --- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("write", [save_new, _save], ids=["save_new", "save"])
def test_a_unique_violation_raises_and_the_savepoint_recovers(world: World, write: Callable[[Any], Any]) -> None:
    def message() -> OutboxMessage:
        return OutboxMessage(topic="test.dup", key="1", payload={}, available_at=world.org_a.created_at)

    first = write(message())
    with pytest.raises(IntegrityError), transaction.atomic():
        write(message())
    assert not connection.needs_rollback
    assert list(OutboxMessage.objects.filter(topic="test.dup").values_list("id", flat=True)) == [first.pk]
    with pytest.raises(IntegrityError):  # outside a savepoint the enclosing transaction is marked for rollback
        write(message())
    assert connection.needs_rollback


def test_creating_a_request_takes_the_fast_path(world: World, api: Callable[..., Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """No save() for the ticket, its event or its outbox message (a receiver anywhere would silently undo this)."""
    saved: list[str] = []
    original = models.Model.save_base

    def spy(self: models.Model, *args: Any, **kwargs: Any) -> None:
        saved.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(models.Model, "save_base", spy)
    response = api(world.users["customer_a"]).post("/api/v1/tickets", {"subject": "登录后页面空白"}, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get(public_id=response.json()["id"])
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").count() == 1
    assert OutboxMessage.objects.filter(topic="ticket.event").count() >= 1
    assert not {"Ticket", "TicketEvent", "OutboxMessage"} & set(saved), saved


def test_prepared_insert_gives_save_news_columns_and_values(world: World) -> None:
    from weibao.core.inserts import prepared_insert

    assert prepared_insert(_ticket(world, "SR-T-1", "pi-1")) is None  # no key yet: nothing to insert around
    ticket = _ticket(world, "SR-T-2", "pi-2")
    ticket.pk = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 500
    prepared = prepared_insert(ticket)
    assert prepared is not None and prepared.using == "default"
    assert [f.attname for f in prepared.fields] == [f.attname for f in Ticket._meta.local_concrete_fields]
    assert ticket.created_at is not None  # auto_now_add applied, as save() does
    with CaptureQueriesContext(connection) as ctx:
        save_new(ticket)  # the same object through save_new: the same values in the same order
    assert ctx.captured_queries[-1]["sql"].startswith('INSERT INTO "tickets_ticket"')
    assert str(prepared.values[0]) in ctx.captured_queries[-1]["sql"]
    heard: list[Any] = []
    post_save.connect(lambda **kw: heard.append(kw), sender=Ticket, weak=False, dispatch_uid="pi-test")
    try:
        other = _ticket(world, "SR-T-3", "pi-3")
        other.pk = ticket.pk + 1
        assert prepared_insert(other) is None  # a receiver: the caller must go through save()
    finally:
        post_save.disconnect(sender=Ticket, dispatch_uid="pi-test")
