"""The SLA app's subscription to ticket events (tickets never import sla)."""

from __future__ import annotations

from typing import Any

from weibao.accounts.models import STAFF_ROLES, User
from weibao.core.outbox import outbox_handler
from weibao.tickets.models import TicketEvent


@outbox_handler("ticket.event")
def on_ticket_event(payload: dict[str, Any]) -> None:
    from weibao.sla.clocks import clocks_apply_ticket_events

    ticket_id = payload.get("ticket_id")
    event_id = payload.get("event_id")
    if not ticket_id or not event_id:
        return
    if not TicketEvent.objects.filter(id=event_id).exists():
        return
    clocks_apply_ticket_events(int(ticket_id), int(event_id))
    if payload.get("kind") == "escalated":
        escalation_notify(int(event_id), key=str(payload.get("_key") or event_id))


def escalation_notify(event_id: int, *, key: str) -> int:
    """In-app notices for the staff an escalation step names (team lead, service managers), once per event.

    Keyed like notify's own fan-out of the same event, so the assignee, named by both, gets one notice.
    """
    from weibao.notify.channels.inapp import notifications_create

    event = TicketEvent.objects.select_related("ticket").filter(id=event_id, kind="escalated").first()
    if event is None:
        return 0
    data = event.data or {}
    named = [int(i) for i in data.get("notified") or [] if str(i).isdigit()]
    staff = User.objects.filter(id__in=named, is_active=True, role__in=STAFF_ROLES).values_list("id", flat=True)
    ticket = event.ticket
    return notifications_create(event_key=key, kind="escalated", user_ids=list(staff), ticket_public_id=ticket.public_id,
                                ticket_number=ticket.number, subject=ticket.subject,
                                data={"metric": data.get("metric"), "percent": data.get("percent")})
