"""Entitlement: for a system and a moment, is maintenance free, covered by prepaid hours, or paid — and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from weibao.customers.models import Contract, System


class EntitlementKind(StrEnum):
    FREE = "free"
    PREPAID = "prepaid"
    PAID = "paid"


class EntitlementBasis(StrEnum):
    WARRANTY = "warranty"
    FREE_MAINTENANCE = "free_maintenance"
    PREPAID_HOURS = "prepaid_hours"
    NO_COVER = "no_cover"


@dataclass(frozen=True)
class Entitlement:
    kind: EntitlementKind
    basis: EntitlementBasis
    reason: str
    contract_number: str | None
    contract_public_id: str | None
    valid_until: date | None
    prepaid_balance_hours: Decimal | None
    free_upgrade: bool
    on_date: date


def prepaid_balance(contract: Contract) -> Decimal:
    drawn = contract.prepaid_entries.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    return (contract.prepaid_hours + drawn).quantize(Decimal("0.01"))


def _local_date(at: datetime | date) -> date:
    if isinstance(at, datetime):
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return at


def entitlement_for(*, system: System, at: datetime | date) -> Entitlement:
    """Decide cover on the date of `at` (in the active time zone), best cover first:
    warranty, then the free-maintenance period, then prepaid hours with a positive balance, else paid.
    """
    day = _local_date(at)
    contracts = list(system.contracts.all().order_by("-end_date", "number"))
    free_upgrade = any(c.free_upgrade_end and c.start_date <= day <= c.free_upgrade_end for c in contracts)

    def make(kind: EntitlementKind, basis: EntitlementBasis, reason: str, c: Contract | None,
             until: date | None, balance: Decimal | None = None) -> Entitlement:
        return Entitlement(kind, basis, reason, c.number if c else None, c.public_id if c else None,
                           until, balance, free_upgrade, day)

    for c in contracts:
        if c.warranty_end and c.start_date <= day <= c.warranty_end:
            return make(EntitlementKind.FREE, EntitlementBasis.WARRANTY,
                        _("合同 %(number)s 质保期内（至 %(until)s），免费维护。") % {"number": c.number, "until": c.warranty_end},
                        c, c.warranty_end)
    for c in contracts:
        if c.free_maintenance_end and c.start_date <= day <= c.free_maintenance_end:
            return make(EntitlementKind.FREE, EntitlementBasis.FREE_MAINTENANCE,
                        _("合同 %(number)s 免费维护期内（至 %(until)s）。") % {"number": c.number, "until": c.free_maintenance_end},
                        c, c.free_maintenance_end)
    for c in contracts:
        if c.prepaid_hours > 0 and c.start_date <= day <= c.end_date:
            balance = prepaid_balance(c)
            if balance > 0:
                return make(EntitlementKind.PREPAID, EntitlementBasis.PREPAID_HOURS,
                            _("合同 %(number)s 预付服务工时余额 %(balance)s 小时。") % {"number": c.number, "balance": balance},
                            c, c.end_date, balance)
    latest = contracts[0] if contracts else None
    if latest is None:
        reason = _("该系统没有关联任何合同，按有偿服务处理。")
    else:
        reason = _("合同 %(number)s 的质保期、免费维护期均已结束且无预付工时余额，按有偿服务处理（工时单价 %(rate)s 元）。") % {
            "number": latest.number, "rate": latest.hourly_rate}
    return make(EntitlementKind.PAID, EntitlementBasis.NO_COVER, reason, latest, None)
