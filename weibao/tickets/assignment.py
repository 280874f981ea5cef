"""Routing: rules (organisation, system, component, type → team), then an engineer on duty in that team."""

from __future__ import annotations

from django.db.models import Count, Q

from weibao.accounts.models import Team, TeamMembership, User
from weibao.tickets import caches
from weibao.tickets.models import AssignmentRule, AssignmentStrategy, Ticket
from weibao.tickets.states import ACTIVE_VALUES


def rule_for(ticket: Ticket) -> AssignmentRule | None:
    rules = AssignmentRule.objects.select_related("team").filter(is_active=True).filter(
        Q(organisation__isnull=True) | Q(organisation_id=ticket.organisation_id),
        Q(system__isnull=True) | Q(system_id=ticket.system_id),
        Q(component__isnull=True) | Q(component_id=ticket.component_id),
        Q(type="") | Q(type=ticket.type),
    )
    return rules.order_by("position", "id").first()


def _matches(rule: AssignmentRule, ticket: Ticket) -> bool:
    return ((rule.organisation_id is None or rule.organisation_id == ticket.organisation_id)
            and (rule.system_id is None or rule.system_id == ticket.system_id)
            and (rule.component_id is None or rule.component_id == ticket.component_id)
            and (rule.type == "" or rule.type == ticket.type))


def cached_rule_for(ticket: Ticket) -> AssignmentRule | None:
    """`rule_for` on the in-process copy of the active rules (same filter, same order), for routing new requests."""
    return next((rule for rule in caches.rules.get() if _matches(rule, ticket)), None)


def team_for(ticket: Ticket) -> Team | None:
    """The first matching rule's team, else the system's responsible team."""
    rule = cached_rule_for(ticket)
    if rule is not None:
        return rule.team
    if ticket.system_id is not None:
        return ticket.system.responsible_team  # type: ignore[union-attr]
    return None


def on_duty_engineers(team: Team) -> list[User]:
    ids = TeamMembership.objects.filter(team=team, on_duty=True, user__is_active=True).values_list("user_id", flat=True)
    return list(User.objects.filter(id__in=ids, role__in=["engineer", "manager"]).order_by("id"))


def pick_engineer(team: Team, strategy: str, last: User | None) -> User | None:
    people = on_duty_engineers(team)
    if not people or strategy == AssignmentStrategy.TEAM_ONLY:
        return None
    if strategy == AssignmentStrategy.LEAST_LOADED:
        load = dict(
            Ticket.objects.filter(assignee__in=people, status__in=list(ACTIVE_VALUES))
            .values_list("assignee").annotate(n=Count("id")).values_list("assignee", "n")
        )
        return min(people, key=lambda u: (load.get(u.id, 0), u.id))
    # round robin: the next engineer after the last one this rule chose
    if last is None or last not in people:
        return people[0]
    return people[(people.index(last) + 1) % len(people)]
