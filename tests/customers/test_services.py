"""Contract and system writes through the API: bad input is 400 with field errors and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import ContractFactory, OrganisationFactory, SystemFactory, UserFactory
from weibao.accounts.models import Role
from weibao.customers.models import Contract, System
from weibao.customers.services import contract_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(api):  # type: ignore[no-untyped-def]
    return api(UserFactory(role=Role.ADMIN))


def _contract_body(org, **over):  # type: ignore[no-untyped-def]
    body = {"organisation": org.public_id, "number": "WB-2026-100", "title": "运维合同", "start_date": "2026-01-01",
            "end_date": "2026-12-31"}
    return body | over


def _snapshot() -> list[tuple]:
    return list(Contract.objects.order_by("id").values_list()) + list(System.objects.order_by("id").values_list())


def test_contract_gets_the_usual_free_periods_by_default(admin_api) -> None:
    org = OrganisationFactory()
    response = admin_api.post("/api/v1/contracts", _contract_body(org), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["free_maintenance_end"] == "2029-12-31"  # term + 3 years
    assert body["free_upgrade_end"] == "2027-01-01"  # one year from the start


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"end_date": "2025-12-31"}, "end_date"),
        ({"warranty_end": "2025-06-30"}, "warranty_end"),
        ({"prepaid_hours": "-3"}, "prepaid_hours"),
        ({"service_level": "gold"}, "service_level"),
        ({"start_date": "not a date"}, "start_date"),
        ({"number": ""}, "number"),
    ],
)
def test_invalid_contract_is_400_with_field_errors_and_nothing_changes(admin_api, over, field) -> None:
    org = OrganisationFactory()
    before = _snapshot()
    response = admin_api.post("/api/v1/contracts", _contract_body(org, **over), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and field in body["details"], body
    assert _snapshot() == before


def test_duplicate_contract_number_is_409_and_nothing_changes(admin_api) -> None:
    existing = ContractFactory(number="WB-2026-100")
    before = _snapshot()
    response = admin_api.post("/api/v1/contracts", _contract_body(existing.organisation), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and "number" in response.json()["details"]
    assert _snapshot() == before


def test_invalid_contract_update_changes_nothing(admin_api) -> None:
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2026, 12, 31))
    before = _snapshot()
    response = admin_api.patch(f"/api/v1/contracts/{contract.public_id}", {"end_date": "2024-01-01", "notes": "x"}, format="json")
    assert response.status_code == 400 and "end_date" in response.json()["details"]
    assert _snapshot() == before


def test_contract_service_refuses_non_admins() -> None:
    from weibao.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        contract_create(actor=UserFactory(role=Role.MANAGER), organisation=OrganisationFactory(), number="X-1", title="t",
                        start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert not Contract.objects.exists()


def test_system_with_a_contract_of_another_customer_is_refused(api) -> None:
    manager = api(UserFactory(role=Role.MANAGER))
    mine, other = OrganisationFactory(), ContractFactory()
    before = _snapshot()
    response = manager.post("/api/v1/systems", {"organisation": mine.public_id, "name": "系统", "code": "s1",
                                                "contracts": [other.public_id]}, format="json")
    assert response.status_code == 400 and "contracts" in response.json()["details"]
    assert _snapshot() == before


def test_system_stage_must_be_known_and_code_unique_per_customer(api) -> None:
    manager = api(UserFactory(role=Role.MANAGER))
    existing = SystemFactory(code="his")
    org = existing.organisation
    before = _snapshot()
    bad = manager.post("/api/v1/systems", {"organisation": org.public_id, "name": "x", "code": "x2", "stage": "dead"}, format="json")
    assert bad.status_code == 400 and "stage" in bad.json()["details"]
    dup = manager.post("/api/v1/systems", {"organisation": org.public_id, "name": "HIS 2", "code": "his"}, format="json")
    assert dup.status_code == 409 and "code" in dup.json()["details"]
    assert _snapshot() == before
    # the same code at another customer is fine
    ok = manager.post("/api/v1/systems", {"organisation": OrganisationFactory().public_id, "name": "HIS", "code": "his"}, format="json")
    assert ok.status_code == 201


def test_system_lifecycle_update(api) -> None:
    manager = api(UserFactory(role=Role.MANAGER))
    system = SystemFactory()
    response = manager.patch(f"/api/v1/systems/{system.public_id}", {"stage": "retired", "retired_on": "2026-05-01"}, format="json")
    assert response.status_code == 200
    system.refresh_from_db()
    assert system.stage == "retired" and system.retired_on == date(2026, 5, 1)
    bad = manager.patch(f"/api/v1/systems/{system.public_id}", {"stage": "zombie"}, format="json")
    assert bad.status_code == 400
    system.refresh_from_db()
    assert system.stage == "retired"
