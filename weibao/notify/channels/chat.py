"""Team chat group robots (DingTalk, WeCom, Feishu/Lark) through apprise.

`Team.chat_webhook` holds an apprise URL such as `dingtalk://<token>/`, `wecombot://<key>`,
`feishu://<token>` or `lark://<token>`; apprise knows each robot's API and signing.
"""

from __future__ import annotations

import apprise

from weibao.notify.channels.base import DeliveryError
from weibao.notify.models import Delivery


def chat_url_valid(url: str) -> bool:
    return apprise.Apprise.instantiate(url) is not None


class ChatSender:
    def send(self, delivery: Delivery) -> int | None:
        team = delivery.team
        if team is None or not team.chat_webhook:
            raise DeliveryError("the team has no chat robot any more")
        robot = apprise.Apprise()
        if not robot.add(team.chat_webhook):
            raise DeliveryError("the team's chat robot address is not a valid apprise URL")
        ok = robot.notify(title=delivery.payload.get("title", ""), body=delivery.payload.get("body", ""))
        if not ok:
            raise DeliveryError("the chat robot did not accept the message")
        return None
