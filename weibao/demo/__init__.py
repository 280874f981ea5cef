"""The demo data set: one vendor, three customers with contracts, systems and contacts, two teams.

Idempotent: every row is found by a natural key before it is created. Later apps append their own
loaders to LOADERS (tickets, SLA policies, articles...), each idempotent too.
"""

from __future__ import annotations

import functools
import importlib
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from weibao.accounts.models import Contact, Organisation, OrganisationKind, Role, Team, TeamMembership, User
from weibao.customers.models import Component, Contract, Environment, LifecycleStage, ServiceLevel, System

DEMO_PASSWORD = "weibao-demo-2026"  # noqa: S105 - printed at start-up on purpose
LOADERS: list[str] = ["weibao.demo.sla", "weibao.demo.tickets", "weibao.demo.knowledge", "weibao.demo.monitoring"]

CUSTOMERS: list[dict[str, Any]] = [
    {
        "code": "hzgov", "name": "杭州市数据资源管理局", "short": "杭州数据局", "domains": "hzdata.example.cn",
        "phone": "0571-85250000",
        "contract": ("WB-2024-001", "政务数据共享平台运维服务合同", date(2024, 3, 1), date(2026, 2, 28), date(2025, 2, 28), Decimal("0")),
        "systems": [("gov-share", "政务数据共享交换平台", "3.2.1", ["接口网关", "数据目录", "交换节点"])],
        "contacts": [("王建国", "13800571001", "wangjg@hzdata.example.cn", "信息科科长", "hz_admin", Role.CUSTOMER_ADMIN),
                     ("李娜", "13800571002", "lina@hzdata.example.cn", "系统管理员", "hz_user", Role.CUSTOMER)],
    },
    {
        "code": "snpower", "name": "陕西能源集团有限公司", "short": "陕西能源", "domains": "snpower.example.com",
        "phone": "029-88880000",
        "contract": ("WB-2021-017", "生产调度系统维护合同", date(2021, 1, 1), date(2021, 12, 31), date(2022, 12, 31), Decimal("120")),
        "systems": [("dispatch", "生产调度管理系统", "5.0.4", ["调度台", "报表服务", "移动端"])],
        "contacts": [("张伟", "13900291001", "zhangwei@snpower.example.com", "信息中心主任", "sn_admin", Role.CUSTOMER_ADMIN),
                     ("刘洋", "13900291002", "liuyang@snpower.example.com", "调度员", "sn_user", Role.CUSTOMER)],
    },
    {
        "code": "gzhosp", "name": "广州市第一人民医院", "short": "广州一院", "domains": "gzyy.example.org.cn",
        "phone": "020-81040000",
        "contract": ("WB-2019-005", "医院信息系统软件实施合同", date(2019, 6, 1), date(2020, 5, 31), date(2020, 5, 31), Decimal("0")),
        "systems": [("his", "医院信息系统 HIS", "2.8", ["门诊", "住院", "药房"]), ("lis", "检验信息系统 LIS", "1.6", ["仪器接口"])],
        "contacts": [("陈静", "13600201001", "chenjing@gzyy.example.org.cn", "信息科工程师", "gz_user", Role.CUSTOMER)],
    },
]

STAFF = [
    ("admin", "系统管理员", Role.ADMIN, None),
    ("manager", "周敏（服务经理）", Role.MANAGER, None),
    ("eng_zhao", "赵磊", Role.ENGINEER, "平台运维组"),
    ("eng_qian", "钱芳", Role.ENGINEER, "平台运维组"),
    ("eng_sun", "孙浩", Role.ENGINEER, "应用支持组"),
    ("eng_li", "李强", Role.ENGINEER, "应用支持组"),
]


@functools.cache
def _demo_password_hash() -> str:
    # One Argon2 hash (~0.1-0.5 s, 100 MB) shared by every demo account: the password is printed anyway,
    # and hashing it eleven times was most of the first start-up.
    return make_password(DEMO_PASSWORD)


def _user(username: str, name: str, role: str, org: Organisation | None, email: str = "") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name, role=role, organisation=org, email=email or f"{username}@weibao.example")
        user.password = _demo_password_hash()
        user.save()
    return user


@transaction.atomic
def _load_base() -> bool:
    if Organisation.objects.filter(code="vendor").exists():
        return False
    vendor = Organisation.objects.create(kind=OrganisationKind.VENDOR, name="维保软件服务有限公司", short_name="维保", code="vendor")
    teams: dict[str, Team] = {}
    users: dict[str, User] = {}
    for username, name, role, team_name in STAFF:
        users[username] = _user(username, name, role, vendor if role != Role.ADMIN else None)
        if team_name:
            team = teams.get(team_name) or Team.objects.get_or_create(name=team_name)[0]
            teams[team_name] = team
            TeamMembership.objects.get_or_create(team=team, user=users[username])
    teams["平台运维组"].lead = users["eng_zhao"]
    teams["应用支持组"].lead = users["eng_sun"]
    for t in teams.values():
        t.save()
    for i, spec in enumerate(CUSTOMERS):
        org = Organisation.objects.create(name=spec["name"], short_name=spec["short"], code=spec["code"],
                                          email_domains=spec["domains"], phone=spec["phone"])
        number, title, start, end, warranty, prepaid = spec["contract"]
        contract = Contract.objects.create(
            number=number, title=title, organisation=org, start_date=start, end_date=end, warranty_end=warranty,
            free_maintenance_end=date(end.year + 3, end.month, end.day) if i != 2 else None,
            free_upgrade_end=date(start.year + 1, start.month, start.day), service_level=ServiceLevel.STANDARD,
            prepaid_hours=prepaid, hourly_rate=Decimal("600"), onsite_day_rate=Decimal("3000"),
        )
        if i == 1:  # the prepaid case needs a current term
            contract.end_date = date(2027, 12, 31)
            contract.save()
        for code, name, version, components in spec["systems"]:
            system = System.objects.create(
                organisation=org, code=code, name=name, version=version, stage=LifecycleStage.OPERATION,
                deployed_on=start, operation_started_on=start,
                responsible_team=teams["平台运维组"] if i % 2 == 0 else teams["应用支持组"],
            )
            system.contracts.add(contract)
            for env in ("生产", "测试"):
                Environment.objects.create(system=system, name=env)
            for comp in components:
                Component.objects.create(system=system, name=comp)
        for name, phone, email, position, username, role in spec["contacts"]:
            user = _user(username, name, role, org, email)
            Contact.objects.create(organisation=org, name=name, phone=phone, email=email, position=position, user=user)
    return True


def demo_load() -> bool:
    """Load everything; returns True when anything new was created."""
    created = _load_base()
    for module_name in LOADERS:
        created = bool(importlib.import_module(module_name).load()) or created
    return created


def demo_logins() -> list[tuple[str, str]]:
    rows = [(u, str(Role(r).label)) for u, _n, r, _t in STAFF]
    for spec in CUSTOMERS:
        rows += [(c[4], f"{Role(c[5]).label} · {spec['short']}") for c in spec["contacts"]]
    return rows
