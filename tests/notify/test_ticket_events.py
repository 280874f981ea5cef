"""From a real ticket change to every channel: outbox after commit → in-app, team robot, signed webhook."""

from __future__ import annotations

import json

import pytest

from tests.notify.receiver import receiver
from tests.notify.test_webhooks import verify
from tests.personas import World
from weibao.core.models import OutboxMessage
from weibao.core.outbox import outbox_deliver
from weibao.notify.models import Delivery, DeliveryStatus, Notification
from weibao.notify.services import webhook_subscription_create
from weibao.tickets.services import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db


def deliver_outbox() -> None:
    for message_id in OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id").values_list("id", flat=True):
        assert outbox_deliver(message_id)


def test_ticket_events_reach_inbox_team_robot_and_webhook(world: World, django_capture_on_commit_callbacks) -> None:
    with receiver([200]) as hook, receiver([200]) as robot:
        sub = webhook_subscription_create(actor=world.users["admin"], name="ITSM", url=f"{hook.url}/in")
        world.team.chat_webhook = robot.url.replace("http://", "json://")
        world.team.save()
        ticket = ticket_create(actor=world.users["customer_a"], organisation=world.org_a, subject="门户登录失败",
                               description="提示密码错误", channel="portal", requester=world.contact_a, system=world.system_a)
        ticket = ticket_transition(actor=world.users["manager"], ticket=ticket, transition="assign",
                                   assignee=world.users["engineer"], team=world.team)
        # nothing is sent inside the request's transaction: only outbox rows exist so far
        assert not Delivery.objects.exists() and not Notification.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            deliver_outbox()
        deliver_outbox()  # a second run (as the sweeper would) adds nothing
    kinds = [json.loads(r.body)["event"] for r in hook.requests]
    assert kinds == ["created", "assigned", "transitioned"], kinds
    assert all(verify(sub.secret, r.headers["x-weibao-signature"], r.body) for r in hook.requests)
    assert json.loads(hook.requests[2].body)["ticket"]["number"] == ticket.number
    robot_lines = [json.loads(r.body)["message"] for r in robot.requests]
    assert robot_lines and all("门户登录失败" in line for line in robot_lines)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == len(hook.requests) + len(robot.requests)
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    engineer_inbox = set(Notification.objects.filter(user=world.users["engineer"]).values_list("kind", flat=True))
    assert engineer_inbox == {"created", "assigned", "transitioned"}  # read when delivered: he owns it by then
    # the customer who created it hears of the status change, not of the internal assignment
    assert list(Notification.objects.filter(user=world.users["customer_a"]).values_list("kind", flat=True)) == ["transitioned"]
