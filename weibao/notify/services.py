"""Writes for webhook subscriptions (administrators only)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction

from weibao.accounts import access
from weibao.accounts.models import Role, User
from weibao.core.errors import ValidationFailed
from weibao.notify.models import WebhookSubscription, new_secret


def webhook_subscription_create(*, actor: User, name: str, url: str, event_kinds: list[str] | None = None,
                                secret: str | None = None) -> WebhookSubscription:
    access.require(access.has_role(actor, Role.ADMIN), "Only administrators manage webhooks")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("Invalid webhook", details={"url": ["Expected an http:// or https:// URL."]})
    if not name.strip():
        raise ValidationFailed("Invalid webhook", details={"name": ["Required."]})
    kinds = sorted({k.strip() for k in (event_kinds or []) if k.strip()})
    with transaction.atomic():
        return WebhookSubscription.objects.create(name=name.strip(), url=url, event_kinds=kinds, secret=secret or new_secret())
