"""Shared base models and the operational tables (outbox, worker heartbeat)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    # 16 url-safe characters: opaque, unguessable, short enough for URLs.
    return secrets.token_urlsafe(12)


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(TimeStamped):
    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A unit of after-commit work, written in the same transaction as the change that causes it.

    The dispatcher claims rows with compare-and-set and calls the handler registered for the topic;
    handlers are idempotent by `key`, so the sweeper may safely retry anything not marked delivered.
    """

    topic = models.CharField(max_length=100)
    key = models.CharField(max_length=200, help_text="idempotency key, e.g. the event id")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "key"], name="outbox_topic_key_unique")]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(delivered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic}:{self.key}"


class WorkerHeartbeat(models.Model):
    """One row per heartbeat period; the unique period makes duplicate schedulers harmless and visible."""

    period = models.DateTimeField(unique=True)
    ran_at = models.DateTimeField()
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()

    class Meta:
        ordering = ["-period"]


class CacheVersion(models.Model):
    """A counter per in-process cache of admin-edited data; a writer bumps it, every process re-reads on a change."""

    name = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"
