from __future__ import annotations

from datetime import timedelta

import pytest

from tests.monitoring.factories import make_source
from tests.personas import World
from weibao.core.errors import PermissionDenied, ValidationFailed
from weibao.monitoring.models import AlarmSource, SeverityPolicy
from weibao.monitoring.policy import alarm_source_set_flap_window, flap_window, severity_policies, severity_policy_set

pytestmark = pytest.mark.django_db


def test_manager_sets_hold_and_flap_window_and_other_fields_keep_their_values(world: World) -> None:
    row = severity_policy_set(actor=world.users["manager"], severity="warning", recovery_hold_minutes=15, flap_window_minutes=30)
    assert (row.recovery_hold_minutes, row.flap_window_minutes, row.urgency, row.opens_incident) == (15, 30, "medium", True)
    policy = severity_policies()["warning"]
    assert policy.recovery_hold == timedelta(minutes=15) and policy.flap_window == timedelta(minutes=30)
    assert severity_policies()["critical"].flap_window == timedelta(minutes=10)  # the default without a row


@pytest.mark.parametrize("fields", [{"recovery_hold_minutes": -1}, {"flap_window_minutes": "ten"}, {"urgency": "extreme"},
                                    {"colour": "red"}])
def test_bad_policy_values_are_refused_and_nothing_changes(world: World, fields: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        severity_policy_set(actor=world.users["manager"], severity="warning", **fields)
    with pytest.raises(ValidationFailed):
        severity_policy_set(actor=world.users["manager"], severity="loud")
    assert not SeverityPolicy.objects.exists()


def test_only_managers_change_policies_and_only_admins_sources(world: World) -> None:
    with pytest.raises(PermissionDenied):
        severity_policy_set(actor=world.users["engineer"], severity="warning", flap_window_minutes=1)
    src = make_source()
    with pytest.raises(PermissionDenied):
        alarm_source_set_flap_window(actor=world.users["manager"], source=src.source, minutes=1)
    alarm_source_set_flap_window(actor=world.users["admin"], source=src.source, minutes=45)
    source = AlarmSource.objects.get()
    assert flap_window(severity_policies(), "info", source) == timedelta(minutes=45)
    alarm_source_set_flap_window(actor=None, source=source, minutes=None)
    assert flap_window(severity_policies(), "info", AlarmSource.objects.get()) == timedelta(minutes=10)
