"""In-app notifications: rows in the reader's inbox, created once per (user, event)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import NotFound
from weibao.notify.models import Notification

STATUS_LABELS = {
    "new": gettext_lazy("新建"), "assessed": gettext_lazy("已评估"), "assigned": gettext_lazy("已分配"),
    "in_progress": gettext_lazy("处理中"), "waiting_customer": gettext_lazy("等待客户"),
    "waiting_third_party": gettext_lazy("等待第三方"), "resolved": gettext_lazy("已解决"),
    "closed": gettext_lazy("已关闭"), "declined": gettext_lazy("已拒绝"), "merged": gettext_lazy("已合并"),
}


def notifications_create(*, event_key: str, kind: str, user_ids: Iterable[int], ticket_public_id: str = "",
                         ticket_number: str = "", subject: str = "", data: dict[str, Any] | None = None) -> int:
    rows = [
        Notification(user_id=uid, event_key=event_key, kind=kind, ticket_public_id=ticket_public_id,
                     ticket_number=ticket_number, subject=subject[:300], data=data or {})
        for uid in sorted(set(user_ids))
    ]
    # ignore_conflicts: the outbox may run a handler twice; the unique (user, event_key) keeps one row.
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def notification_list_for(actor: access.Actor | None, *, unread_only: bool = True) -> QuerySet[Notification]:
    if not access.is_authenticated(actor):
        return Notification.objects.none()
    user_id: int = actor.pk  # type: ignore[union-attr,assignment]
    qs = Notification.objects.filter(user_id=user_id)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_get_for(actor: access.Actor | None, public_id: str) -> Notification:
    # Notifications are personal: another user's is simply not found.
    found = notification_list_for(actor, unread_only=False).filter(public_id=public_id).first()
    if found is None:
        raise NotFound("notification not found")
    return found


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    with transaction.atomic():
        if notification.user_id != actor.pk:
            raise NotFound("notification not found")
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notification_mark_all_read(*, actor: User) -> int:
    with transaction.atomic():
        return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(read_at=clock.now())


def notification_text(kind: str, number: str, subject: str, data: dict[str, Any]) -> str:
    """The one-line text, in the active language (called when shown, so each reader gets their own)."""
    values = {"number": number, "subject": subject, "kind": kind}
    if kind == "created":
        return _("新服务请求 %(number)s：%(subject)s") % values
    if kind == "assigned":
        return _("服务请求 %(number)s 已分配：%(subject)s") % values
    if kind == "transitioned":
        to = str(data.get("to", ""))
        values["status"] = str(STATUS_LABELS[to]) if to in STATUS_LABELS else to
        return _("服务请求 %(number)s 状态变为「%(status)s」：%(subject)s") % values
    if kind == "replied":
        return _("服务请求 %(number)s 有新回复：%(subject)s") % values
    return _("服务请求 %(number)s 有新动态（%(kind)s）：%(subject)s") % values
