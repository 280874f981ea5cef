"""Ticket events → notifications. Runs from the outbox after commit, never inside a request.

The handler is idempotent by the outbox key: in-app rows are unique per (user, event) and
remote deliveries unique per (target, event), so a retried outbox message adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import translation

from weibao.accounts.models import Team
from weibao.core import clock
from weibao.core.outbox import outbox_handler
from weibao.notify.channels.inapp import notification_text, notifications_create
from weibao.notify.delivery import delivery_kick
from weibao.notify.models import Channel, Delivery, WebhookSubscription

# What a team's chat group hears about: new work and changes of state, not every note.
CHAT_KINDS = frozenset({"created", "assigned", "transitioned", "sla_breached", "escalated", "alarm_attached"})
# Events a customer is told about in the app (internal notes and staff bookkeeping are not).
CUSTOMER_KINDS = frozenset({"created", "transitioned", "replied"})
TICKET_EVENT_MODEL = "tickets.TicketEvent"


@dataclass
class TicketNotice:
    """What every channel needs to know about one ticket event, read once from the database."""

    key: str
    kind: str
    ticket_public_id: str
    ticket_number: str
    subject: str
    status: str
    priority: str
    organisation: str
    data: dict[str, Any]
    actor_id: int | None
    actor_name: str | None
    occurred_at: str
    internal: bool
    team_id: int | None
    staff_ids: set[int] = field(default_factory=set)
    customer_ids: set[int] = field(default_factory=set)


def notice_from_ticket_event(payload: dict[str, Any]) -> TicketNotice | None:
    # Looked up through the app registry so notify does not depend on the tickets models' import order.
    app_label, model_name = TICKET_EVENT_MODEL.split(".")
    event_model: Any = apps.get_model(app_label, model_name)
    event = (
        event_model.objects.select_related("ticket", "ticket__organisation", "ticket__requester", "actor")
        .filter(id=payload["event_id"])
        .first()
    )
    if event is None:
        return None
    ticket = event.ticket
    data = dict(event.data or {})
    internal = bool(data.get("internal", False))
    staff_ids = {uid for uid in [ticket.assignee_id] if uid}
    staff_ids |= set(ticket.watchers.values_list("id", flat=True))
    if ticket.team_id and not ticket.assignee_id:
        lead_id = Team.objects.filter(id=ticket.team_id).values_list("lead_id", flat=True).first()
        if lead_id:
            staff_ids.add(lead_id)
    customer_ids: set[int] = set()
    requester = ticket.requester
    if requester is not None and requester.user_id and event.kind in CUSTOMER_KINDS and not internal:
        customer_ids.add(requester.user_id)
    actor = event.actor
    return TicketNotice(
        key=payload.get("_key", str(event.id)), kind=event.kind, ticket_public_id=ticket.public_id,
        ticket_number=ticket.number, subject=ticket.subject, status=str(ticket.status), priority=str(ticket.priority),
        organisation=ticket.organisation.name, data=data, actor_id=event.actor_id,
        actor_name=str(actor) if actor is not None else None, occurred_at=event.created_at.isoformat(),
        internal=internal, team_id=ticket.team_id, staff_ids=staff_ids - {None}, customer_ids=customer_ids,
    )


def webhook_payload(notice: TicketNotice) -> dict[str, Any]:
    return {
        "id": notice.key,
        "event": notice.kind,
        "occurred_at": notice.occurred_at,
        "ticket": {
            "id": notice.ticket_public_id, "number": notice.ticket_number, "subject": notice.subject,
            "status": notice.status, "priority": notice.priority, "organisation": notice.organisation,
        },
        "actor": notice.actor_name,
        "data": notice.data,
    }


def chat_payload(notice: TicketNotice) -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        line = notification_text(notice.kind, notice.ticket_number, notice.subject, notice.data)
    link = f"{settings.BASE_URL}/staff/tickets/{notice.ticket_public_id}/"
    return {"title": f"[{notice.ticket_number}] {notice.priority.upper()}", "body": f"{line}\n{link}"}


def notice_dispatch(notice: TicketNotice) -> list[Delivery]:
    """Fan one notice out to every channel, in one transaction; remote sends start after commit."""
    created: list[Delivery] = []
    now = clock.now()
    with transaction.atomic():
        recipients = (notice.staff_ids | notice.customer_ids) - {notice.actor_id}
        notifications_create(event_key=notice.key, kind=notice.kind, user_ids=recipients,  # type: ignore[arg-type]
                             ticket_public_id=notice.ticket_public_id, ticket_number=notice.ticket_number,
                             subject=notice.subject, data=_small(notice.data))
        targets: list[Delivery] = []
        if notice.team_id and notice.kind in CHAT_KINDS and not notice.internal:
            team = Team.objects.filter(id=notice.team_id).exclude(chat_webhook="").first()
            if team is not None:
                targets.append(Delivery(channel=Channel.CHAT, target=f"team:{team.id}", team=team,
                                        payload=chat_payload(notice)))
        for sub in WebhookSubscription.objects.filter(is_active=True):
            if sub.wants(notice.kind):
                targets.append(Delivery(channel=Channel.WEBHOOK, target=f"webhook:{sub.id}", subscription=sub,
                                        payload=webhook_payload(notice)))
        for delivery in targets:
            delivery.event_key, delivery.kind, delivery.next_attempt_at = notice.key, notice.kind, now
            row, made = Delivery.objects.get_or_create(target=delivery.target, event_key=notice.key,
                                                     defaults=_fields(delivery))
            if made:
                created.append(row)
                delivery_kick(row.id)
    return created


def _fields(delivery: Delivery) -> dict[str, Any]:
    return {"channel": delivery.channel, "team": delivery.team, "subscription": delivery.subscription,
            "kind": delivery.kind, "payload": delivery.payload, "next_attempt_at": delivery.next_attempt_at}


def _small(data: dict[str, Any]) -> dict[str, Any]:
    # The inbox needs only a few scalar facts (e.g. the new status), not whole before/after snapshots.
    return {k: v for k, v in data.items() if isinstance(v, str | int | bool) and len(str(v)) <= 200}


@outbox_handler("ticket.event")
def on_ticket_event(payload: dict[str, Any]) -> None:
    notice = notice_from_ticket_event(payload)
    if notice is not None:
        notice_dispatch(notice)
