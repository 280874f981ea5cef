"""In-app notifications, outbound webhook subscriptions and the log of every remote delivery."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.core.models import PublicIdModel


class Notification(PublicIdModel):
    """One line in a user's in-app inbox. The text is rendered when shown, in the reader's language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event_key = models.CharField(max_length=200, help_text="the outbox key (event id) that caused it")
    kind = models.CharField(_("类型"), max_length=60)
    ticket_public_id = models.CharField(max_length=24, blank=True)
    ticket_number = models.CharField(max_length=40, blank=True)
    subject = models.CharField(_("主题"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event_key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_unread_idx", condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["user", "-id"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}:{self.ticket_number}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(PublicIdModel):
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=200, default=new_secret, help_text=_("HMAC-SHA256 签名所用密钥"))
    event_kinds = models.JSONField(_("事件类型"), default=list, blank=True, help_text=_("为空表示全部事件"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return self.is_active and (not self.event_kinds or kind in self.event_kinds)


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    CHAT = "chat", _("群机器人")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("已放弃")


class Delivery(models.Model):
    """One message to one remote target for one event: retried with backoff, kept as the delivery log."""

    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    target = models.CharField(_("目标"), max_length=100, help_text="subscription or team this goes to, e.g. webhook:12")
    subscription = models.ForeignKey(WebhookSubscription, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=200)
    kind = models.CharField(_("事件"), max_length=60)
    payload = models.JSONField(default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("外发记录")
        verbose_name_plural = _("外发记录")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["target", "event_key"], name="delivery_once_per_target_event")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="delivery_due_idx", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.target}:{self.event_key}"


class DeliveryAttempt(models.Model):
    """Each try, so an administrator sees what the receiver answered and when."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
