"""The queue's rows rendered in Python (`queue_rows`) give the markup the template loop gave, cell for cell."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from tests.personas import World
from tests.ui.factories import in_progress, ticket_for
from weibao.tickets.models import Ticket

# The loop queue.html had before `queue_rows` (kept here as the reference the tag must match).
TEMPLATE_LOOP = (
    '{% load i18n %}{% for t in rows %}<tr data-ticket="{{ t.public_id }}"><td class="noprint"><input type="checkbox" '
    'name="ticket" value="{{ t.public_id }}" form="bulk-form" aria-label="{{ t.number }}"></td><td><a href="'
    '{{ detail_base }}{{ t.public_id }}/">{{ t.number }}</a></td><td><a href="{{ detail_base }}{{ t.public_id }}/">'
    '{{ t.subject }}</a></td><td><span class="badge prio-{{ t.priority }}">{{ t.get_priority_display }}</span></td>'
    '<td><span class="badge status-{{ t.status }}">{{ t.get_status_display }}</span></td><td>'
    '{{ t.organisation.short_name|default:t.organisation.name }}</td><td>{{ t.system.name|default:"—" }}</td><td>'
    '{{ t.team.name|default:"—" }}</td><td>{{ t.assignee|default:"—" }}</td><td>{% if by_due %}'
    '{{ t.due_at|date:"m-d H:i" }}{% else %}{{ t.created_at|date:"m-d H:i" }}{% endif %}</td></tr>\n{% endfor %}'
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("by_due", [True, False])
def test_queue_rows_match_the_template_loop(world: World, language: str, by_due: bool) -> None:
    ticket_for(world, subject='<b>"引号" & 尖括号</b>', urgency="high", impact="high")
    in_progress(world, ticket_for(world, subject="处理中", org="b"))
    bare = ticket_for(world, subject="无系统", system=None)
    Ticket.objects.filter(pk=bare.pk).update(team=None, due_at=datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
    world.org_b.short_name = "乙方"
    world.org_b.save()
    rows = list(Ticket.objects.select_related("organisation", "system", "team", "assignee").order_by("id"))
    assert {t.system_id is None for t in rows} == {True, False} and {t.assignee_id is None for t in rows} == {True, False}
    context = {"rows": rows, "detail_base": "/staff/tickets/", "by_due": by_due}
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context(context))
        got = Template("{% load ticket_ui %}{% queue_rows rows detail_base by_due %}").render(Context(context))
    assert got == expected
    assert expected.count("<tr ") == 3
