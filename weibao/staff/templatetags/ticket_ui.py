"""Labels for raw values stored in ticket events (statuses, transitions), in the user's language."""

from __future__ import annotations

from django import template

from weibao.tickets.states import TRANSITIONS, Status

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def transition_label(value: str) -> str:
    found = TRANSITIONS.get(value)
    return str(found.label) if found else value
