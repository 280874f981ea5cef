"""Entitlement: free (warranty, free maintenance), prepaid with a balance, or paid — and which contract says so."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import ContractFactory, SystemFactory, UserFactory
from weibao.accounts.models import Role
from weibao.core.errors import ValidationFailed
from weibao.customers.entitlement import EntitlementBasis, EntitlementKind, entitlement_for, prepaid_balance
from weibao.customers.services import prepaid_hours_draw

pytestmark = pytest.mark.django_db


def _system(**contract: object):  # type: ignore[no-untyped-def]
    c = ContractFactory(number="WB-2025-042", start_date=date(2025, 1, 1), end_date=date(2026, 12, 31), **contract)
    return SystemFactory(organisation=c.organisation, contracts=[c]), c


def test_under_warranty_is_free_through_the_last_day() -> None:
    system, _ = _system(warranty_end=date(2025, 12, 31), free_maintenance_end=None)
    for day in (date(2025, 1, 1), date(2025, 12, 31)):
        e = entitlement_for(system=system, at=day)
        assert (e.kind, e.basis) == (EntitlementKind.FREE, EntitlementBasis.WARRANTY)
        assert "WB-2025-042" in e.reason and e.contract_number == "WB-2025-042"
        assert e.valid_until == date(2025, 12, 31)
    after = entitlement_for(system=system, at=date(2026, 1, 1))
    assert after.kind == EntitlementKind.PAID


def test_free_maintenance_period_follows_warranty_and_ends_on_its_last_day() -> None:
    system, _ = _system(warranty_end=date(2025, 12, 31), free_maintenance_end=date(2029, 12, 31))
    e = entitlement_for(system=system, at=date(2026, 1, 1))
    assert (e.kind, e.basis) == (EntitlementKind.FREE, EntitlementBasis.FREE_MAINTENANCE)
    assert "WB-2025-042" in e.reason and "2029-12-31" in e.reason
    assert entitlement_for(system=system, at=date(2029, 12, 31)).kind == EntitlementKind.FREE
    last = entitlement_for(system=system, at=date(2030, 1, 1))
    assert (last.kind, last.basis) == (EntitlementKind.PAID, EntitlementBasis.NO_COVER)
    assert "WB-2025-042" in last.reason


def test_nothing_before_the_contract_starts() -> None:
    system, _ = _system(warranty_end=date(2025, 12, 31))
    assert entitlement_for(system=system, at=date(2024, 12, 31)).kind == EntitlementKind.PAID


def test_prepaid_hours_with_a_balance_then_paid_when_drawn_down() -> None:
    system, contract = _system(warranty_end=None, free_maintenance_end=None, prepaid_hours=Decimal("10"))
    e = entitlement_for(system=system, at=date(2026, 6, 1))
    assert (e.kind, e.basis, e.prepaid_balance_hours) == (EntitlementKind.PREPAID, EntitlementBasis.PREPAID_HOURS, Decimal("10.00"))
    assert "WB-2025-042" in e.reason and "10.00" in e.reason

    prepaid_hours_draw(contract=contract, hours=Decimal("7.5"), reason="上门排障", reference="time:1")
    assert prepaid_hours_draw(contract=contract, hours=Decimal("7.5"), reason="again", reference="time:1") is None  # once per reference
    assert entitlement_for(system=system, at=date(2026, 6, 1)).prepaid_balance_hours == Decimal("2.50")

    prepaid_hours_draw(contract=contract, hours=Decimal("2.5"), reason="远程支持", reference="time:2")
    assert prepaid_balance(contract) == Decimal("0.00")
    paid = entitlement_for(system=system, at=date(2026, 6, 1))
    assert (paid.kind, paid.prepaid_balance_hours) == (EntitlementKind.PAID, None)
    assert "WB-2025-042" in paid.reason and "500" in paid.reason  # the hourly rate that applies


def test_prepaid_hours_only_within_the_contract_term() -> None:
    system, _ = _system(warranty_end=None, free_maintenance_end=None, prepaid_hours=Decimal("10"))
    assert entitlement_for(system=system, at=date(2026, 12, 31)).kind == EntitlementKind.PREPAID
    assert entitlement_for(system=system, at=date(2027, 1, 1)).kind == EntitlementKind.PAID


def test_drawdown_must_be_positive() -> None:
    _, contract = _system(prepaid_hours=Decimal("10"))
    with pytest.raises(ValidationFailed):
        prepaid_hours_draw(contract=contract, hours=Decimal("0"), reason="x", reference="time:9")
    assert prepaid_balance(contract) == Decimal("10.00")


def test_best_cover_wins_across_several_contracts() -> None:
    old = ContractFactory(number="WB-OLD", start_date=date(2020, 1, 1), end_date=date(2020, 12, 31), warranty_end=None,
                          free_maintenance_end=None, prepaid_hours=Decimal("5"))
    new = ContractFactory(number="WB-NEW", organisation=old.organisation, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                          warranty_end=date(2026, 12, 31))
    system = SystemFactory(organisation=old.organisation, contracts=[old, new])
    e = entitlement_for(system=system, at=date(2026, 3, 1))
    assert (e.kind, e.contract_number) == (EntitlementKind.FREE, "WB-NEW")


def test_system_without_contract_is_paid_and_says_why() -> None:
    e = entitlement_for(system=SystemFactory(), at=date(2026, 3, 1))
    assert e.kind == EntitlementKind.PAID and e.contract_number is None and e.reason


def test_the_day_is_the_local_day_in_shanghai() -> None:
    system, _ = _system(warranty_end=date(2025, 12, 31), free_maintenance_end=None)
    # 2025-12-31 17:00 UTC is already 2026-01-01 01:00 in Shanghai: the warranty has ended there
    e = entitlement_for(system=system, at=datetime(2025, 12, 31, 17, 0, tzinfo=UTC))
    assert e.on_date == date(2026, 1, 1) and e.kind == EntitlementKind.PAID
    assert entitlement_for(system=system, at=datetime(2025, 12, 31, 15, 0, tzinfo=UTC)).kind == EntitlementKind.FREE


def test_entitlement_api_answers_for_a_moment_and_rejects_bad_moments(api) -> None:
    system, _ = _system(warranty_end=date(2025, 12, 31), free_maintenance_end=date(2029, 12, 31))
    client = api(UserFactory(role=Role.ENGINEER))
    body = client.get(f"/api/v1/systems/{system.public_id}/entitlement", {"at": "2025-12-31"}).json()
    assert body["kind"] == "free" and body["basis"] == "warranty" and body["contract_number"] == "WB-2025-042"
    assert body["contract_id"] == system.contracts.get().public_id and body["on_date"] == "2025-12-31"
    body = client.get(f"/api/v1/systems/{system.public_id}/entitlement", {"at": "2030-01-01T10:00:00+08:00"}).json()
    assert body["kind"] == "paid"
    bad = client.get(f"/api/v1/systems/{system.public_id}/entitlement", {"at": "next tuesday"})
    assert bad.status_code == 400 and "at" in bad.json()["details"]
