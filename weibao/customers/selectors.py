from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.core.errors import NotFound
from weibao.customers.models import Contract, System


def system_list_for(actor: Actor | None) -> QuerySet[System]:
    return access.scope(actor, System.objects.select_related("organisation", "responsible_team"))


def system_get_for(actor: Actor | None, public_id: str) -> System:
    return access.get_for(actor, System.objects.select_related("organisation"), public_id=public_id)


def contract_list_for(actor: Actor | None) -> QuerySet[Contract]:
    if not access.can_read_contracts(actor):
        return Contract.objects.none()
    return access.scope(actor, Contract.objects.select_related("organisation"))


def contract_get_for(actor: Actor | None, public_id: str) -> Contract:
    contract = contract_list_for(actor).filter(public_id=public_id).first()
    if contract is None:
        raise NotFound(_("合同不存在。"))
    return contract
