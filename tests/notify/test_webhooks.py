"""Outbound webhooks against a real local HTTP server: signature, retry with backoff, delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine

from tests.notify.receiver import receiver
from tests.personas import World
from weibao.core import clock
from weibao.core.errors import PermissionDenied, ValidationFailed
from weibao.notify.delivery import BACKOFF_SECONDS, MAX_ATTEMPTS, delivery_attempt, delivery_sweep
from weibao.notify.events import TicketNotice, notice_dispatch
from weibao.notify.models import Delivery, DeliveryStatus, WebhookSubscription
from weibao.notify.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def notice(kind: str = "transitioned", key: str = "101", **extra: object) -> TicketNotice:
    values: dict[str, object] = dict(
        key=key, kind=kind, ticket_public_id="tkt123", ticket_number="SR-2026-000001", subject="打印机无法出纸",
        status="resolved", priority="p2", organisation="甲单位", data={"transition": "propose_resolution", "to": "resolved"},
        actor_id=None, actor_name="engineer", occurred_at="2026-03-02T08:00:00+00:00", internal=False, team_id=None,
    )
    values.update(extra)
    return TicketNotice(**values)  # type: ignore[arg-type]


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_webhook_is_signed_retried_after_500_and_logged(world: World, django_capture_on_commit_callbacks) -> None:
    with receiver([500, 200]) as server:
        sub = webhook_subscription_create(actor=world.users["admin"], name="ITSM", url=f"{server.url}/hook",
                                          event_kinds=["transitioned"])
        start = clock.now()
        with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
            [delivery] = notice_dispatch(notice())
        # the first attempt ran after commit and got the 500
        delivery.refresh_from_db()
        assert len(server.requests) == 1
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 1 and delivery.last_status_code == 500
        assert delivery.next_attempt_at == start + timedelta(seconds=BACKOFF_SECONDS[0])
        # not due yet: the sweep leaves it alone
        with time_machine.travel(start + timedelta(seconds=BACKOFF_SECONDS[0] - 1), tick=False):
            assert delivery_sweep() == 0
        assert len(server.requests) == 1
        with time_machine.travel(start + timedelta(seconds=BACKOFF_SECONDS[0] + 1), tick=False):
            assert delivery_sweep() == 1
        assert len(server.requests) == 2

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    first, second = server.requests
    assert first.body == second.body, "a retry sends the same bytes"
    for req in server.requests:
        assert req.path == "/hook"
        assert req.headers["x-weibao-event"] == "transitioned"
        assert verify(sub.secret, req.headers["x-weibao-signature"], req.body)
        assert not verify("wrong-secret", req.headers["x-weibao-signature"], req.body)
    body = json.loads(first.body)
    assert body["event"] == "transitioned" and body["id"] == "101"
    assert body["ticket"]["number"] == "SR-2026-000001" and body["ticket"]["subject"] == "打印机无法出纸"


def test_subscription_filters_event_kinds_and_skips_inactive(world: World) -> None:
    admin = world.users["admin"]
    webhook_subscription_create(actor=admin, name="only created", url="http://127.0.0.1:9/x", event_kinds=["created"])
    off = webhook_subscription_create(actor=admin, name="off", url="http://127.0.0.1:9/y")
    WebhookSubscription.objects.filter(id=off.id).update(is_active=False)
    assert notice_dispatch(notice(kind="transitioned", key="1")) == []
    [made] = notice_dispatch(notice(kind="created", key="2"))
    assert made.target.startswith("webhook:")


def test_dispatch_is_idempotent_by_event_key(world: World) -> None:
    webhook_subscription_create(actor=world.users["admin"], name="all", url="http://127.0.0.1:9/x")
    assert len(notice_dispatch(notice(key="7"))) == 1
    assert notice_dispatch(notice(key="7")) == []
    assert Delivery.objects.filter(event_key="7").count() == 1


def test_delivery_gives_up_after_max_attempts_and_keeps_the_log(world: World) -> None:
    with receiver([503]) as server:
        webhook_subscription_create(actor=world.users["admin"], name="down", url=server.url)
        [delivery] = notice_dispatch(notice(key="9"))
        moment = clock.now()
        for _ in range(MAX_ATTEMPTS):
            with time_machine.travel(moment, tick=False):
                delivery_attempt(delivery.id)
            moment += timedelta(hours=13)
        with time_machine.travel(moment, tick=False):
            assert delivery_attempt(delivery.id) is False  # given up: no further attempt
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == len(server.requests)
    assert delivery.attempt_log.count() == MAX_ATTEMPTS and "503" in delivery.last_error


def test_unreachable_receiver_is_retried_not_lost(world: World) -> None:
    with receiver([200]) as server:
        dead_url = server.url  # the port is closed once the server stops
    webhook_subscription_create(actor=world.users["admin"], name="gone", url=dead_url)
    [delivery] = notice_dispatch(notice(key="11"))
    assert delivery_attempt(delivery.id) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code is None
    assert "Connect" in delivery.last_error


def test_only_admin_creates_subscriptions_and_url_is_validated(world: World) -> None:
    with pytest.raises(PermissionDenied):
        webhook_subscription_create(actor=world.users["manager"], name="x", url="http://127.0.0.1:9/")
    with pytest.raises(ValidationFailed):
        webhook_subscription_create(actor=world.users["admin"], name="x", url="ftp://example.com/")
    assert not WebhookSubscription.objects.exists()


def test_administrator_sees_delivery_log_in_admin(world: World, web) -> None:
    webhook_subscription_create(actor=world.users["admin"], name="log", url="http://127.0.0.1:9/x")
    [delivery] = notice_dispatch(notice(key="12"))
    assert web(world.users["admin"]).get(f"/admin/notify/delivery/{delivery.id}/change/").status_code == 200
    assert web(world.users["admin"]).get("/admin/notify/delivery/").status_code == 200
    assert web(world.users["engineer"]).get("/admin/notify/delivery/").status_code == 302
