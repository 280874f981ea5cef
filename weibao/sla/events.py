"""The SLA app's subscription to ticket events (tickets never import sla)."""

from __future__ import annotations

import logging
from typing import Any

from weibao.accounts.models import STAFF_ROLES, User
from weibao.core.outbox import outbox_batch_handler, outbox_handler
from weibao.tickets.models import TicketEvent

log = logging.getLogger(__name__)


@outbox_batch_handler("ticket.event")
def on_ticket_events(payloads: list[dict[str, Any]]) -> dict[str, Exception]:
    """A delivery pass's events: each ticket's clocks advanced once, to its newest event of the pass.

    One ticket's failure (its own transaction) is reported for that ticket's messages only.
    """
    from weibao.sla.clocks import clocks_apply_ticket_events, cursors_ensure, sla_pass
    from weibao.sla.passes import clocks_apply_pass

    wanted = [(str(p.get("_key") or p["event_id"]), int(p["ticket_id"]), int(p["event_id"]), p.get("kind"))
              for p in payloads if p.get("ticket_id") and p.get("event_id")]
    existing = set(TicketEvent.objects.filter(id__in=[e for _k, _t, e, _kind in wanted]).values_list("id", flat=True))
    up_to: dict[int, int] = {}
    keys: dict[int, list[str]] = {}
    for key, ticket_id, event_id, _kind in wanted:
        if event_id in existing:
            up_to[ticket_id] = max(up_to.get(ticket_id, 0), event_id)
            keys.setdefault(ticket_id, []).append(key)
    failures: dict[str, Exception] = {}
    if not up_to:
        return failures
    cursors_ensure(list(up_to))
    with sla_pass():
        try:
            clocks_apply_pass(up_to)
        except Exception:  # rolled back whole: ticket by ticket, so only a bad ticket waits
            log.warning("SLA pass of %s tickets failed; applying ticket by ticket", len(up_to), exc_info=True)
            for ticket_id, event_id in up_to.items():
                try:
                    clocks_apply_ticket_events(ticket_id, event_id, cursor_made=True)
                except Exception as exc:  # noqa: BLE001 - this ticket's messages are retried; the others are done
                    failures.update({key: exc for key in keys[ticket_id]})
    for key, _ticket_id, event_id, kind in wanted:
        if kind == "escalated" and event_id in existing and key not in failures:
            try:
                escalation_notify(event_id, key=key)
            except Exception as exc:  # noqa: BLE001
                failures[key] = exc
    return failures


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


@outbox_handler("sla.policy_changed")
def on_policy_changed(payload: dict[str, Any]) -> None:
    from weibao.sla.policies import clocks_recompute_policy

    clocks_recompute_policy(int(payload["policy_id"]))


@outbox_handler("sla.calendar_changed")
def on_calendar_changed(payload: dict[str, Any]) -> None:
    from weibao.sla.clocks import clocks_recompute_calendar

    clocks_recompute_calendar(int(payload["calendar_id"]))
