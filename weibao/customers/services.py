"""Writes for contracts and systems. Each is one transaction and checks the actor's right to do it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import Organisation, User
from weibao.core.errors import Conflict, ValidationFailed
from weibao.customers.models import Contract, LifecycleStage, PrepaidHoursEntry, ServiceLevel, System

CONTRACT_FIELDS = (
    "title", "start_date", "end_date", "warranty_end", "free_maintenance_end", "free_upgrade_end",
    "service_level", "prepaid_hours", "hourly_rate", "onsite_day_rate", "notes",
)
SYSTEM_FIELDS = (
    "name", "code", "version", "description", "stage", "development_started_on", "deployed_on",
    "operation_started_on", "retired_on",
)


def _check_contract(c: Contract) -> None:
    errors: dict[str, list[str]] = {}
    if c.end_date < c.start_date:
        errors["end_date"] = [_("合同结束日期早于开始日期。")]
    for name in ("warranty_end", "free_maintenance_end", "free_upgrade_end"):
        value = getattr(c, name)
        if value is not None and value < c.start_date:
            errors[name] = [_("不能早于合同开始日期。")]
    if c.prepaid_hours < 0:
        errors["prepaid_hours"] = [_("不能为负数。")]
    if c.service_level not in ServiceLevel.values:
        errors["service_level"] = [_("应为以下之一：%(choices)s") % {"choices": ", ".join(ServiceLevel.values)}]
    if errors:
        raise ValidationFailed(_("合同信息无效。"), details=errors)


@transaction.atomic
def contract_create(*, actor: User, organisation: Organisation, number: str, **data: Any) -> Contract:
    access.require(access.can_manage_contracts(actor))
    fields = {k: v for k, v in data.items() if k in CONTRACT_FIELDS}
    contract = Contract(organisation=organisation, number=number.strip(), **fields)
    # The usual contract: free maintenance for the term plus three years, free upgrades for one year.
    if contract.free_maintenance_end is None:
        contract.free_maintenance_end = contract.end_date + relativedelta(years=3)
    if contract.free_upgrade_end is None:
        contract.free_upgrade_end = contract.start_date + relativedelta(years=1)
    _check_contract(contract)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:
        raise Conflict(_("该合同编号已存在。"), details={"number": [_("已被使用。")]}) from None
    return contract


@transaction.atomic
def contract_update(*, actor: User, contract: Contract, **data: Any) -> Contract:
    access.require(access.can_manage_contracts(actor))
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    for key, value in data.items():
        if key in CONTRACT_FIELDS:
            setattr(contract, key, value)
    _check_contract(contract)
    contract.save()
    return contract


@transaction.atomic
def system_create(*, actor: User, organisation: Organisation, contracts: list[Contract] | None = None, **data: Any) -> System:
    access.require(access.can_manage_systems(actor))
    fields = {k: v for k, v in data.items() if k in SYSTEM_FIELDS}
    if fields.get("stage", LifecycleStage.OPERATION) not in LifecycleStage.values:
        raise ValidationFailed(_("系统信息无效。"), details={"stage": [_("应为以下之一：%(choices)s") % {"choices": ", ".join(LifecycleStage.values)}]})
    for c in contracts or []:
        if c.organisation_id != organisation.id:
            raise ValidationFailed(_("系统信息无效。"), details={"contracts": [_("这是其他客户的合同。")]})
    try:
        with transaction.atomic():
            system = System.objects.create(organisation=organisation, **fields)
    except IntegrityError:
        raise Conflict(_("该客户已有使用此代码的系统。"), details={"code": [_("已被使用。")]}) from None
    if contracts:
        system.contracts.set(contracts)
    return system


@transaction.atomic
def system_update(*, actor: User, system: System, **data: Any) -> System:
    access.require(access.can_manage_systems(actor))
    system = System.objects.select_for_update().get(pk=system.pk)
    for key, value in data.items():
        if key in SYSTEM_FIELDS:
            setattr(system, key, value)
    if system.stage not in LifecycleStage.values:
        raise ValidationFailed(_("系统信息无效。"), details={"stage": [_("应为以下之一：%(choices)s") % {"choices": ", ".join(LifecycleStage.values)}]})
    system.save()
    return system


def prepaid_hours_draw(*, contract: Contract, hours: Decimal, reason: str, reference: str) -> PrepaidHoursEntry | None:
    """Draw hours down once per reference (a time entry); a repeated call is a no-op."""
    if hours <= 0:
        raise ValidationFailed(_("工时必须为正数。"), details={"hours": [_("必须大于 0。")]})
    if PrepaidHoursEntry.objects.filter(reference=reference).exists():
        return None
    return PrepaidHoursEntry.objects.create(contract=contract, hours=-hours, reason=reason[:200], reference=reference)


def contract_default_dates(start: date, end: date) -> dict[str, date]:
    return {"free_maintenance_end": end + relativedelta(years=3), "free_upgrade_end": start + relativedelta(years=1)}
