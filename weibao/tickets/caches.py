"""The priority matrix and the assignment rules, cached in process (see weibao.core.config_cache).

Both are edited by administrators a few times a year and read by every create. A rule's team is cached with
it (its name is rendered), so a team's save or delete marks the rules stale too. The round-robin pointer
(`last_assignee`) is not cached: saving only it leaves the cache alone, and the assignment service re-reads
the rule under a row lock.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from weibao.accounts.models import Team
from weibao.core.config_cache import Cached, bump
from weibao.tickets.models import AssignmentRule, PriorityMatrixEntry

MATRIX = "tickets.priority_matrix"
RULES = "tickets.assignment_rules"


def _load_matrix() -> dict[tuple[str, str], str]:
    return {(u, i): p for u, i, p in PriorityMatrixEntry.objects.values_list("urgency", "impact", "priority")}


def _load_rules() -> tuple[AssignmentRule, ...]:
    return tuple(AssignmentRule.objects.select_related("team").filter(is_active=True).order_by("position", "id"))


matrix = Cached(MATRIX, _load_matrix)
rules = Cached(RULES, _load_rules)

_POINTER_ONLY = frozenset({"last_assignee", "updated_at"})


def _matrix_changed(**kwargs: Any) -> None:
    bump(MATRIX)


def _rules_changed(**kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if fields is not None and frozenset(fields) <= _POINTER_ONLY:
        return
    bump(RULES)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_matrix_changed, sender=PriorityMatrixEntry, dispatch_uid="tickets.cache.matrix")
        signal.connect(_rules_changed, sender=AssignmentRule, dispatch_uid="tickets.cache.rules")
        signal.connect(_rules_changed, sender=Team, dispatch_uid="tickets.cache.rules_team")
