"""Team chat robots through apprise (against a local JSON receiver) and the in-app inbox."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from tests.notify.receiver import receiver
from tests.notify.test_webhooks import notice
from tests.personas import World
from weibao.core.checks import run_checks
from weibao.notify.channels.chat import chat_url_valid
from weibao.notify.channels.inapp import notification_list_for, notification_text
from weibao.notify.delivery import delivery_attempt
from weibao.notify.events import notice_dispatch
from weibao.notify.models import DeliveryStatus, Notification

pytestmark = pytest.mark.django_db


def test_team_chat_robot_receives_the_message_through_apprise(world: World) -> None:
    with receiver([200]) as server:
        world.team.chat_webhook = server.url.replace("http://", "json://") + "/robot"
        world.team.save()
        [delivery] = notice_dispatch(notice(team_id=world.team.id))
        assert delivery_attempt(delivery.id) is True
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    [req] = server.requests
    sent = json.loads(req.body)
    assert "SR-2026-000001" in sent["title"]
    assert "已解决" in sent["message"] and "打印机无法出纸" in sent["message"]


def test_internal_events_do_not_go_to_the_chat_group(world: World) -> None:
    world.team.chat_webhook = "json://127.0.0.1:9/robot"
    world.team.save()
    assert notice_dispatch(notice(kind="replied", internal=True, team_id=world.team.id)) == []


def test_known_robot_urls_are_valid_and_junk_fails_weibao_check(world: World) -> None:
    assert chat_url_valid("dingtalk://abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01/")
    assert chat_url_valid("wecombot://0123456789abcdef")
    assert chat_url_valid("feishu://0123456789abcdef")
    assert not chat_url_valid("not a url")
    world.team.chat_webhook = "nonsense://"
    world.team.save()
    [line] = [r for r in run_checks() if r.name == "chat robots"]
    assert line.level == "FAIL" and world.team.name in line.detail


def test_inapp_notifications_go_to_the_people_concerned_once(world: World) -> None:
    engineer, customer = world.users["engineer"], world.users["customer_a"]
    n = notice(key="55", actor_id=world.users["manager"].id)
    n.staff_ids, n.customer_ids = {engineer.id}, {customer.id}
    notice_dispatch(n)
    notice_dispatch(n)
    assert Notification.objects.filter(event_key="55").count() == 2
    assert list(notification_list_for(customer).values_list("user_id", flat=True)) == [customer.id]
    assert not notification_list_for(world.users["customer_b"]).exists()


def test_the_actor_is_not_notified_of_their_own_change(world: World) -> None:
    engineer = world.users["engineer"]
    n = notice(key="56", actor_id=engineer.id)
    n.staff_ids = {engineer.id}
    notice_dispatch(n)
    assert not Notification.objects.exists()


def test_notification_text_follows_the_readers_language() -> None:
    data = {"to": "resolved"}
    with translation.override("zh-hans"):
        assert notification_text("transitioned", "SR-1", "主题", data) == "服务请求 SR-1 状态变为「已解决」：主题"
    with translation.override("en"):
        text = notification_text("transitioned", "SR-1", "主题", data)
    assert "resolved" in text.lower() and "SR-1" in text


def test_inbox_api_lists_unread_and_marks_read(world: World, api) -> None:
    customer = world.users["customer_a"]
    n = notice(key="60")
    n.customer_ids = {customer.id}
    notice_dispatch(n)
    client = api(customer)
    rows = client.get("/api/v1/notifications").json()["results"]
    assert [r["ticket_number"] for r in rows] == ["SR-2026-000001"]
    assert api(world.users["customer_b"]).post(f"/api/v1/notifications/{rows[0]['id']}/read").status_code == 404
    assert client.post(f"/api/v1/notifications/{rows[0]['id']}/read").json()["read_at"]
    assert client.get("/api/v1/notifications").json()["results"] == []
    assert len(client.get("/api/v1/notifications?all=1").json()["results"]) == 1


def test_inbox_pages_show_and_mark_read(world: World, web) -> None:
    customer = world.users["customer_a"]
    n = notice(key="61")
    n.customer_ids = {customer.id}
    notice_dispatch(n)
    client = web(customer)
    page = client.get("/portal/notifications/").content.decode()
    assert "SR-2026-000001" in page
    assert client.post("/portal/notifications/", {"all": "1"}).status_code == 302
    assert not notification_list_for(customer).exists()


def test_every_page_links_to_the_readers_inbox(world: World, web) -> None:
    assert 'href="/staff/notifications/"' in web(world.users["engineer"]).get("/staff/").content.decode()
    assert 'href="/portal/notifications/"' in web(world.users["customer_a"]).get("/portal/").content.decode()
