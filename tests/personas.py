"""The named personas every access test walks through, and the small world they live in.

org A and org B are two customers; each has a contact, a contract and a system. Staff belong to the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests import factories as f
from weibao.accounts.models import Contact, Organisation, Role, Team, User
from weibao.customers.models import Contract, System

PERSONAS = ["anonymous", "customer_a", "customer_admin_a", "customer_b", "engineer", "manager", "admin"]


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    users: dict[str, User]
    contact_a: Contact
    contact_b: Contact
    contract_a: Contract
    contract_b: Contract
    system_a: System
    system_b: System
    team: Team
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str) -> User | None:
        return self.users.get(persona)


def build_world() -> World:
    org_a = f.OrganisationFactory(name="甲单位", code="orga")
    org_b = f.OrganisationFactory(name="乙单位", code="orgb")
    team = f.TeamFactory(name="运维一组")
    users = {
        "customer_a": f.UserFactory(username="cust_a", role=Role.CUSTOMER, organisation=org_a),
        "customer_admin_a": f.UserFactory(username="custadmin_a", role=Role.CUSTOMER_ADMIN, organisation=org_a),
        "customer_b": f.UserFactory(username="cust_b", role=Role.CUSTOMER, organisation=org_b),
        "engineer": f.UserFactory(username="engineer", role=Role.ENGINEER),
        "manager": f.UserFactory(username="manager", role=Role.MANAGER),
        "admin": f.UserFactory(username="admin", role=Role.ADMIN),
    }
    f.add_member(team, users["engineer"])
    team.lead = users["engineer"]
    team.save()
    contact_a = f.ContactFactory(organisation=org_a, name="甲联系人", user=users["customer_a"], email="cust_a@example.com")
    contact_b = f.ContactFactory(organisation=org_b, name="乙联系人", user=users["customer_b"], email="cust_b@example.com")
    f.ContactFactory(organisation=org_a, name="甲管理员", user=users["customer_admin_a"], email="custadmin_a@example.com")
    contract_a = f.ContractFactory(organisation=org_a, number="WB-A-001")
    contract_b = f.ContractFactory(organisation=org_b, number="WB-B-001")
    system_a = f.SystemFactory(organisation=org_a, name="甲系统", code="sysa", contracts=[contract_a], responsible_team=team)
    system_b = f.SystemFactory(organisation=org_b, name="乙系统", code="sysb", contracts=[contract_b], responsible_team=team)
    f.environment(system_a)
    f.component(system_a)
    return World(org_a, org_b, users, contact_a, contact_b, contract_a, contract_b, system_a, system_b, team)
