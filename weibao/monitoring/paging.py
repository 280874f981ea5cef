"""Paging the on-call engineer for an alarm and escalating when nobody acknowledges.

Each step is one Page row, unique per (alarm, step): a step is sent exactly once even when the
outbox or the escalation sweep runs twice. Remote sends happen in the worker, never in a request.

An alarm storm pages once: alarms of the same system and severity that fire together, or while an earlier
alarm of that system and severity is still paging (firing, its last page younger than the policy's escalation
time), are folded into that page (a `page_coalesced` event on each) instead of waking the engineer N times.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import apprise
import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.outbox import outbox_handler
from weibao.monitoring.models import Alarm, AlarmEvent, NotificationPolicy, Page
from weibao.monitoring.oncall import escalation_chain
from weibao.monitoring.services import BATCH_TOPIC, EVENT_TOPIC, ack_token, alarm_event_record
from weibao.monitoring.states import AlarmStatus

log = logging.getLogger(__name__)
PAGE_KINDS = {"fired", "unsilenced"}


def ack_url(alarm: Alarm, user: User) -> str:
    return settings.BASE_URL + reverse("staff:alarm-ack-link", kwargs={"token": ack_token(alarm, user)})


def _text(alarm: Alarm, step: int, others: int = 0) -> tuple[str, str]:
    system = alarm.system.name if alarm.system else "-"
    prefix = f"[升级 {step}] " if step else ""
    more = f" (+{others})" if others else ""
    title = f"{prefix}[{alarm.get_severity_display()}] {system}: {alarm.name}{more}"
    body = alarm.summary or alarm.description or alarm.name
    if others:
        body += f"\n同一系统另有 {others} 条同级告警 / {others} more alarm(s) of this severity on the system"
    if alarm.incident_id and alarm.incident:
        body += f"\n工单 {alarm.incident.number}"
    return title, body


def _send(policy: NotificationPolicy, alarm: Alarm, user: User, step: int, others: int = 0) -> list[str]:
    """Send on every channel of the policy; returns what happened per channel (kept on the Page)."""
    title, body = _text(alarm, step, others)
    link = ack_url(alarm, user)
    outcome: list[str] = []
    try:
        from weibao.notify.channels.inapp import notifications_create

        notifications_create(event_key=f"alarm-page:{alarm.id}:{step}", kind="alarm_paged", user_ids=[user.id], subject=title,
                             data={"alarm_id": alarm.public_id, "ack_url": link})
        outcome.append("inapp:ok")
    except Exception as exc:  # noqa: BLE001 - one channel failing must not stop the others
        outcome.append(f"inapp:{type(exc).__name__}")
    for channel in policy.channels:
        try:
            if channel == "email" and user.email:
                send_mail(title, f"{body}\n\n确认告警 / Acknowledge: {link}\n", None, [user.email])
            elif channel in ("dingtalk", "wecom", "feishu") and policy.chat_url:
                robot = apprise.Apprise()
                if not robot.add(policy.chat_url) or not robot.notify(title=title, body=f"{body}\n@{user} {link}"):
                    raise RuntimeError("chat robot refused")
            elif channel in ("sms", "phone") and policy.phone_webhook:
                # A phone-call / SMS gateway behind a plain webhook: the gateway does the calling.
                response = httpx.post(policy.phone_webhook, timeout=10, json={
                    "channel": channel, "to": user.phone, "user": user.username, "title": title, "text": body, "ack_url": link})
                response.raise_for_status()
            else:
                outcome.append(f"{channel}:not configured")
                continue
            outcome.append(f"{channel}:ok")
        except Exception as exc:  # noqa: BLE001
            log.warning("paging %s via %s failed: %s", user, channel, exc)
            outcome.append(f"{channel}:{type(exc).__name__}")
    return outcome


def page_step(*, alarm: Alarm, step: int, now: datetime, others: int = 0) -> Page | None:
    """Page the step-th person of the chain for this alarm (`others`: alarms folded into this page); None when the
    step exists or there is nobody."""
    policy = NotificationPolicy.objects.filter(severity=alarm.severity).select_related("rota").first()
    if policy is None or policy.rota is None or step >= max(1, policy.max_steps):
        return None
    chain = escalation_chain(policy.rota, now)
    if step >= len(chain):
        return None
    user = chain[step]
    try:
        with transaction.atomic():
            page = Page.objects.create(alarm=alarm, step=step, user=user, channels=list(policy.channels), created_at=now,
                                       escalate_at=now + timedelta(minutes=policy.escalate_after_minutes))
    except IntegrityError:
        return None  # this step was sent already
    page.outcome = ", ".join(_send(policy, alarm, user, step, others))[:300]
    page.save(update_fields=["outcome"])
    alarm_event_record(actor=None, alarm=alarm, kind="paged", data={"step": step, "user": user.username, "outcome": page.outcome})
    return page


def escalations_run(*, now: datetime | None = None) -> int:
    """Escalate every page whose acknowledgement time has passed; returns the number of new pages."""
    now = now or clock.now()
    sent = 0
    for page in Page.objects.filter(escalate_at__lte=now).select_related("alarm")[:500]:
        # compare-and-set: only one sweeper takes this page
        if not Page.objects.filter(id=page.id, escalate_at__isnull=False).update(escalate_at=None):
            continue
        if page.alarm.status != AlarmStatus.FIRING:
            continue  # acknowledged, silenced or resolved in time
        if page_step(alarm=page.alarm, step=page.step + 1, now=now) is not None:
            sent += 1
    return sent


def _paging_alarm(system_id: int, severity: str, now: datetime, exclude: list[int]) -> Alarm | None:
    """A firing alarm of this system and severity whose page is still within its acknowledgement time."""
    policy = NotificationPolicy.objects.filter(severity=severity).first()
    if policy is None:
        return None
    page = (Page.objects.filter(alarm__system_id=system_id, alarm__severity=severity, alarm__status=AlarmStatus.FIRING,
                                created_at__gt=now - timedelta(minutes=policy.escalate_after_minutes))
            .exclude(alarm_id__in=exclude).select_related("alarm").order_by("-created_at").first())
    return page.alarm if page is not None else None


def _on_events(event_ids: list[int]) -> None:
    now = clock.now()
    firing: dict[int, Alarm] = {}
    for event in AlarmEvent.objects.filter(id__in=event_ids, kind__in=PAGE_KINDS).select_related("alarm", "alarm__system"):
        if event.alarm.status == AlarmStatus.FIRING:
            firing.setdefault(event.alarm_id, event.alarm)
    groups: dict[tuple[int, str], list[Alarm]] = {}
    for alarm in firing.values():
        if alarm.system_id is None:
            page_step(alarm=alarm, step=0, now=now)  # nothing says unmapped alarms belong together
        else:
            groups.setdefault((alarm.system_id, alarm.severity), []).append(alarm)
    # the outbox delivers at least once: an alarm already folded into a page is not folded again
    folded = set(AlarmEvent.objects.filter(alarm_id__in=[a.id for m in groups.values() for a in m], kind="page_coalesced")
                 .values_list("alarm_id", flat=True))
    for (system_id, severity), members in groups.items():
        members = [a for a in members if a.id not in folded]
        if not members:
            continue
        into = _paging_alarm(system_id, severity, now, exclude=[a.id for a in members])
        if into is None:
            into, members = members[0], members[1:]
            if page_step(alarm=into, step=0, now=now, others=len(members)) is None:
                continue  # nobody to page, or this alarm was paged by an earlier delivery of the same events
        for alarm in members:
            alarm_event_record(actor=None, alarm=alarm, kind="page_coalesced", data={"into": into.public_id, "name": into.name})


@outbox_handler(BATCH_TOPIC)
def page_on_batch(payload: dict[str, Any]) -> None:
    _on_events([int(i) for i in payload.get("event_ids", [])])


@outbox_handler(EVENT_TOPIC)
def page_on_event(payload: dict[str, Any]) -> None:
    if payload.get("kind") in PAGE_KINDS:
        _on_events([int(payload["event_id"])])
