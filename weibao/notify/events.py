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
from weibao.core.outbox import outbox_batch_handler
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


def notices_from_ticket_events(payloads: list[dict[str, Any]]) -> list[TicketNotice]:
    """The notices of many events with a fixed number of queries: events, watchers and team leads in one each."""
    # Looked up through the app registry so notify does not depend on the tickets models' import order.
    app_label, model_name = TICKET_EVENT_MODEL.split(".")
    event_model: Any = apps.get_model(app_label, model_name)
    keys = {int(p["event_id"]): str(p.get("_key") or p["event_id"]) for p in payloads if p.get("event_id")}
    events = list(
        event_model.objects.select_related("ticket", "ticket__organisation", "ticket__requester", "actor")
        .filter(id__in=list(keys)).order_by("id")
    )
    if not events:
        return []
    tickets = {e.ticket_id: e.ticket for e in events}
    watchers: dict[int, set[int]] = {}
    through = event_model._meta.get_field("ticket").related_model.watchers.through
    for ticket_id, user_id in through.objects.filter(ticket_id__in=list(tickets)).values_list("ticket_id", "user_id"):
        watchers.setdefault(ticket_id, set()).add(user_id)
    lead_of_team = dict(Team.objects.filter(
        id__in={t.team_id for t in tickets.values() if t.team_id and not t.assignee_id}).values_list("id", "lead_id"))
    notices = []
    for event in events:
        ticket = event.ticket
        data = dict(event.data or {})
        internal = bool(data.get("internal", False))
        staff_ids = {uid for uid in [ticket.assignee_id] if uid} | watchers.get(ticket.id, set())
        if ticket.team_id and not ticket.assignee_id and lead_of_team.get(ticket.team_id):
            staff_ids.add(lead_of_team[ticket.team_id])
        customer_ids: set[int] = set()
        requester = ticket.requester
        if requester is not None and requester.user_id and event.kind in CUSTOMER_KINDS and not internal:
            customer_ids.add(requester.user_id)
        actor = event.actor
        notices.append(TicketNotice(
            key=keys[event.id], kind=event.kind, ticket_public_id=ticket.public_id,
            ticket_number=ticket.number, subject=ticket.subject, status=str(ticket.status), priority=str(ticket.priority),
            organisation=ticket.organisation.name, data=data, actor_id=event.actor_id,
            actor_name=str(actor) if actor is not None else None, occurred_at=event.created_at.isoformat(),
            internal=internal, team_id=ticket.team_id, staff_ids=staff_ids - {None}, customer_ids=customer_ids,
        ))
    return notices


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


@dataclass
class Targets:
    """The remote targets a pass of notices may fan out to, read once per pass."""

    subscriptions: list[WebhookSubscription]
    chat_teams: dict[int, Team]

    @classmethod
    def load(cls) -> Targets:
        return cls(subscriptions=list(WebhookSubscription.objects.filter(is_active=True)),
                   chat_teams={t.id: t for t in Team.objects.exclude(chat_webhook="")})


def notice_dispatch(notice: TicketNotice, targets_of_pass: Targets | None = None) -> list[Delivery]:
    """Fan one notice out to every channel, in one transaction; remote sends start after commit."""
    created: list[Delivery] = []
    now = clock.now()
    known = targets_of_pass or Targets.load()
    with transaction.atomic():
        recipients = (notice.staff_ids | notice.customer_ids) - {notice.actor_id}
        notifications_create(event_key=notice.key, kind=notice.kind, user_ids=recipients,  # type: ignore[arg-type]
                             ticket_public_id=notice.ticket_public_id, ticket_number=notice.ticket_number,
                             subject=notice.subject, data=_small(notice.data))
        targets: list[Delivery] = []
        team = known.chat_teams.get(notice.team_id) if notice.team_id else None
        if team is not None and notice.kind in CHAT_KINDS and not notice.internal:
            targets.append(Delivery(channel=Channel.CHAT, target=f"team:{team.id}", team=team,
                                    payload=chat_payload(notice)))
        for sub in known.subscriptions:
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


@outbox_batch_handler("ticket.event")
def on_ticket_events(payloads: list[dict[str, Any]]) -> dict[str, Exception]:
    failures: dict[str, Exception] = {}
    notices = notices_from_ticket_events(payloads)
    if not notices:
        return failures
    targets = Targets.load()
    for notice in notices:
        try:
            notice_dispatch(notice, targets)
        except Exception as exc:  # noqa: BLE001 - this event is retried with backoff; the others are done
            failures[notice.key] = exc
    return failures
