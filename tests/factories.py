"""Factories shared by every test module."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from weibao.accounts.models import Contact, Organisation, Role, Team, TeamMembership, User
from weibao.customers.models import Component, Contract, Environment, System

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"客户单位{n}")
    code = factory.Sequence(lambda n: f"org{n}")
    email_domains = factory.LazyAttribute(lambda o: f"{o.code}.example.cn")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.ENGINEER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"团队{n}")


def add_member(team: Team, user: User, on_duty: bool = True) -> TeamMembership:
    return TeamMembership.objects.create(team=team, user=user, on_duty=on_duty)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    email = factory.LazyAttribute(lambda c: f"contact{c.name[-3:]}@{c.organisation.code}.example.cn")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"WB-T-{n:04d}")
    title = "运维服务合同"
    organisation = factory.SubFactory(OrganisationFactory)
    start_date = date(2025, 1, 1)
    end_date = date(2026, 12, 31)
    warranty_end = date(2025, 12, 31)
    free_maintenance_end = date(2029, 12, 31)
    prepaid_hours = Decimal("0")
    hourly_rate = Decimal("500")


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"业务系统{n}")
    code = factory.Sequence(lambda n: f"sys{n}")
    version = "1.0"

    @factory.post_generation
    def contracts(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.contracts.set(extracted)


def environment(system: System, name: str = "生产") -> Environment:
    return Environment.objects.create(system=system, name=name)


def component(system: System, name: str = "接口服务") -> Component:
    return Component.objects.create(system=system, name=name)
