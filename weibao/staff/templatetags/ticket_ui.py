"""Labels for raw values stored in ticket events (statuses, transitions), in the user's language."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.db.models import Count, Q
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from weibao.accounts import access
from weibao.tickets import selectors
from weibao.tickets.states import ACTIVE_VALUES, TRANSITIONS, Status

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


@register.inclusion_tag("staff/tickets/_dashboard_card.html", takes_context=True)
def ticket_dashboard_card(context: dict[str, Any]) -> dict[str, Any]:
    """The workbench's request numbers: one grouped query over the open requests."""
    user = context["request"].user
    active = selectors.ticket_list_for(user).order_by().filter(status__in=list(ACTIVE_VALUES))
    counts = active.aggregate(
        total=Count("id"), mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        waiting=Count("id", filter=Q(status=Status.WAITING_CUSTOMER.value)),
    )
    return {"counts": counts, "is_manager": access.is_manager_or_admin(user)}


@register.simple_tag
def fast_field(bound: BoundField) -> SafeString:
    """A select rendered in Python: Django's per-option widget templates cost ~0.2 ms an option on list pages."""
    widget = bound.field.widget
    if not isinstance(widget, forms.Select) or isinstance(widget, forms.SelectMultiple):
        return SafeString(str(bound))
    value = bound.value()
    current = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
    options = format_html_join("", '<option value="{}"{}>{}</option>', (
        (str(v), mark_safe(" selected") if str(v) in current else "", label)
        for v, label in bound.field.choices  # type: ignore[attr-defined]
    ))
    return format_html('<select name="{}" id="{}">{}</select>', bound.html_name, bound.id_for_label, options)


def _labels(field_name: str) -> dict[str, str]:
    from weibao.tickets.models import Ticket

    return {str(k): str(v) for k, v in Ticket._meta.get_field(field_name).flatchoices}  # type: ignore[union-attr]


@register.simple_tag
def queue_rows(rows: list[Any], detail_base: str, by_due: bool) -> SafeString:
    """The queue table's rows rendered in Python, the same markup the template loop gave: at 200 rows the
    template's per-cell lookups and `get_…_display` (which rebuilds the choices' dict per call) cost more than
    the database (bench/README.md)."""
    from django.template.defaultfilters import date as date_filter
    from django.utils.timezone import localtime

    priorities, statuses = _labels("priority"), _labels("status")
    dash = "—"

    def when(t: Any) -> str:
        moment = t.due_at if by_due else t.created_at
        return str(date_filter(localtime(moment), "m-d H:i")) if moment else ""

    return format_html_join("", (
        '<tr data-ticket="{0}"><td class="noprint"><input type="checkbox" name="ticket" value="{0}" form="bulk-form" '
        'aria-label="{1}"></td><td><a href="{2}{0}/">{1}</a></td><td><a href="{2}{0}/">{3}</a></td><td><span '
        'class="badge prio-{4}">{5}</span></td><td><span class="badge status-{6}">{7}</span></td><td>{8}</td>'
        '<td>{9}</td><td>{10}</td><td>{11}</td><td>{12}</td></tr>\n'), (
        (t.public_id, t.number, detail_base, t.subject, t.priority, priorities.get(t.priority, t.priority), t.status,
         statuses.get(t.status, t.status), t.organisation.short_name or t.organisation.name,
         (t.system.name if t.system else "") or dash, (t.team.name if t.team else "") or dash,
         t.assignee if t.assignee else dash, when(t))
        for t in rows
    ))
