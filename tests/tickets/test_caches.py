"""The in-process priority matrix and assignment rules: an edit anywhere is seen, here at once, elsewhere soon."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F

from tests.personas import World
from weibao.accounts.models import Team
from weibao.core import config_cache
from weibao.core.models import CacheVersion
from weibao.tickets import caches
from weibao.tickets.models import AssignmentRule, PriorityMatrixEntry
from weibao.tickets.services import ticket_create
from weibao.tickets.services_config import priority_matrix_set

pytestmark = pytest.mark.django_db


def _create(world: World, **kwargs: Any) -> Any:
    return ticket_create(actor=None, organisation=world.org_a, subject="报表慢", description="", channel="portal",
                         **kwargs)


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = time.monotonic() + seconds
    monkeypatch.setattr(config_cache.time, "monotonic", lambda: now)


def _another_process_sets(name: str) -> None:
    """What a commit in another process leaves here: the rows changed and the version bumped, no local signal."""
    CacheVersion.objects.filter(name=name).update(version=F("version") + 1)


def test_this_process_sees_its_own_matrix_edit_at_once(world: World) -> None:
    assert _create(world, urgency="medium", impact="medium").priority == "p3"
    cells = {(u, i): "p4" for u in ("high", "medium", "low") for i in ("high", "medium", "low")}
    priority_matrix_set(actor=world.users["manager"], cells=cells | {("medium", "medium"): "p1"})
    assert _create(world, urgency="medium", impact="medium").priority == "p1"
    PriorityMatrixEntry.objects.filter(urgency="medium", impact="medium").get().delete()
    assert _create(world, urgency="medium", impact="medium").priority == "p3"  # the built-in default


def test_another_process_edit_is_seen_within_the_check_interval(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    PriorityMatrixEntry.objects.update_or_create(urgency="low", impact="low", defaults={"priority": "p3"})
    assert _create(world, urgency="low", impact="low").priority == "p3"
    PriorityMatrixEntry.objects.filter(urgency="low", impact="low").update(priority="p1")  # no signal: elsewhere
    _another_process_sets(caches.MATRIX)
    assert _create(world, urgency="low", impact="low").priority == "p3"  # the cached copy, until the next check
    _later(monkeypatch, config_cache.CHECK_SECONDS + 0.1)
    assert _create(world, urgency="low", impact="low").priority == "p1"


def test_rules_route_new_requests_and_follow_edits(world: World) -> None:
    other = Team.objects.create(name="二线支持")
    first = _create(world, system=world.system_a)
    assert first.team == world.system_a.responsible_team
    rule = AssignmentRule.objects.create(position=1, organisation=world.org_a, type="fault", team=other)
    assert _create(world, system=world.system_a, type="fault").team == other
    assert _create(world, system=world.system_a, type="consultation").team == world.system_a.responsible_team
    other.name = "二线支持组"
    other.save()
    assert _create(world, system=world.system_a, type="fault").team.name == "二线支持组"
    rule.is_active = False
    rule.save()
    assert _create(world, system=world.system_a, type="fault").team == world.system_a.responsible_team


def test_cached_routing_matches_the_database_query(world: World) -> None:
    from weibao.tickets.assignment import cached_rule_for, rule_for

    other = Team.objects.create(name="二线支持")
    AssignmentRule.objects.create(position=5, organisation=world.org_a, team=other)
    AssignmentRule.objects.create(position=5, system=world.system_a, type="fault", team=world.team)
    AssignmentRule.objects.create(position=1, organisation=world.org_b, team=other)
    AssignmentRule.objects.create(position=0, organisation=world.org_a, team=other, is_active=False)
    for org, system, kind in [(world.org_a, world.system_a, "fault"), (world.org_a, world.system_a, "consultation"),
                              (world.org_b, world.system_b, "fault"), (world.org_a, None, "fault")]:
        probe = _create(world)
        probe.organisation_id, probe.system_id, probe.type = org.id, system.id if system else None, kind
        assert cached_rule_for(probe) == rule_for(probe)


def test_the_round_robin_pointer_does_not_empty_the_cache(world: World) -> None:
    rule = AssignmentRule.objects.create(position=1, organisation=world.org_a, team=world.team)
    caches.rules.get()
    version = CacheVersion.objects.get(name=caches.RULES).version
    rule.last_assignee = world.users["engineer"]
    rule.save(update_fields=["last_assignee", "updated_at"])
    assert CacheVersion.objects.get(name=caches.RULES).version == version


def test_a_rolled_back_rule_is_forgotten(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    other = Team.objects.create(name="二线支持")
    with pytest.raises(RuntimeError), transaction.atomic():
        AssignmentRule.objects.create(position=1, organisation=world.org_a, team=other)
        assert _create(world).team == other  # seen inside the transaction that wrote it
        raise RuntimeError("rolled back")
    _later(monkeypatch, config_cache.CHECK_SECONDS + 0.1)
    assert _create(world).team != other
