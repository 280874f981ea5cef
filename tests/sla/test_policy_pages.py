"""Managers edit an SLA policy's targets on a staff page; open clocks follow; bad rows save nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.personas import World
from tests.sla.factories import make_policy
from tests.tickets.factories import make_ticket
from weibao.core.errors import PermissionDenied
from weibao.core.outbox import outbox_sweep
from weibao.sla.models import Clock, Metric, Target
from weibao.sla.policies import policy_targets_set

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _form(policy: Any, **minutes: int | str) -> dict[str, str]:
    """The page's table as posted: every current target, with some limits changed (key metric__priority)."""
    data: dict[str, str] = {}
    targets = list(Target.objects.filter(policy=policy).order_by("metric", "priority", "request_type"))
    for i, t in enumerate(targets):
        data.update({f"metric_{i}": t.metric, f"priority_{i}": t.priority, f"type_{i}": t.request_type,
                     f"minutes_{i}": str(minutes.get(f"{t.metric}__{t.priority}", t.minutes))})
    data["rows"] = str(len(targets))
    return data


def _snapshot(policy: Any) -> list[tuple[str, str, str, int]]:
    return sorted(Target.objects.filter(policy=policy).values_list("metric", "priority", "request_type", "minutes"))


def test_manager_changes_a_target_and_open_clocks_are_retargeted(world: World, web, django_capture_on_commit_callbacks: Any) -> None:
    policy = make_policy(steps=False)
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket = make_ticket(world, urgency="medium", impact="medium")
        outbox_sweep()
    clock = Clock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert clock.target_minutes == 900
    manager = web(world.users["manager"])
    page = manager.get(f"/staff/sla/policies/{policy.public_id}/")
    assert page.status_code == 200 and 'name="minutes_0"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/staff/sla/policies/{policy.public_id}/", _form(policy, resolution__p3=1200))
    assert response.status_code == 302
    clock.refresh_from_db()
    assert clock.target_minutes == 1200
    assert ("resolution", "p3", "", 1200) in _snapshot(policy)


def test_a_type_specific_row_is_added_and_an_emptied_row_removed(world: World, web) -> None:
    policy = make_policy(steps=False)
    data = _form(policy, first_response__p4="")
    n = int(data["rows"])
    data.update({f"metric_{n}": "resolution", f"priority_{n}": "p3", f"type_{n}": "consultation", f"minutes_{n}": "480",
                 "rows": str(n + 1)})
    assert web(world.users["manager"]).post(f"/staff/sla/policies/{policy.public_id}/", data).status_code == 302
    rows = _snapshot(policy)
    assert ("resolution", "p3", "consultation", 480) in rows
    assert not [r for r in rows if r[:2] == ("first_response", "p4")]


@pytest.mark.parametrize(("change", "field"), [
    ({"minutes_0": "0"}, "targets[0].minutes"),
    ({"minutes_0": "abc"}, "targets[0].minutes"),
    ({"metric_0": "coffee"}, "targets[0].metric"),
    ({"priority_0": "p9"}, "targets[0].priority"),
    ({"type_0": "nonsense"}, "targets[0].request_type"),
])
def test_a_bad_row_saves_nothing(world: World, web, change: dict[str, str], field: str) -> None:
    policy = make_policy(steps=False)
    before = _snapshot(policy)
    data = _form(policy, resolution__p1=300)  # a valid change that must not be kept either
    data.update(change)
    response = web(world.users["manager"]).post(f"/staff/sla/policies/{policy.public_id}/", data)
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()
    assert _snapshot(policy) == before


def test_a_duplicate_row_is_refused(world: World, web) -> None:
    policy = make_policy(steps=False)
    before = _snapshot(policy)
    data = _form(policy)
    n = int(data["rows"])
    data.update({f"metric_{n}": data["metric_0"], f"priority_{n}": data["priority_0"], f"type_{n}": "", f"minutes_{n}": "99",
                 "rows": str(n + 1)})
    assert web(world.users["manager"]).post(f"/staff/sla/policies/{policy.public_id}/", data).status_code == 400
    assert _snapshot(policy) == before


def test_engineers_read_the_targets_but_cannot_change_them(world: World, web) -> None:
    policy = make_policy(steps=False)
    before = _snapshot(policy)
    engineer = web(world.users["engineer"])
    page = engineer.get(f"/staff/sla/policies/{policy.public_id}/").content.decode()
    assert "保存时限目标" not in page and "900" in page
    assert policy.name in engineer.get("/staff/sla/policies/").content.decode()
    assert engineer.post(f"/staff/sla/policies/{policy.public_id}/", _form(policy, resolution__p3=1)).status_code == 404
    with pytest.raises(PermissionDenied):
        policy_targets_set(actor=world.users["engineer"], policy=policy, targets=[])
    assert _snapshot(policy) == before


def test_the_policy_page_speaks_english(world: World, web) -> None:
    policy = make_policy(steps=False)
    manager = world.users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = web(manager).get(f"/staff/sla/policies/{policy.public_id}/").content.decode()
    assert "Save targets" in page and "保存时限目标" not in page
