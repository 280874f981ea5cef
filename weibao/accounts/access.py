"""The only place that decides what an actor may see and change.

Every read on a user's path goes through `scope()` or `get_for()`; objects of another organisation
are reported as NotFound, never as forbidden, so their existence does not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from weibao.accounts.models import CUSTOMER_ROLES, STAFF_ROLES, Organisation, Role, User
from weibao.core.errors import NotFound, PermissionDenied

M = TypeVar("M", bound=Model)
Actor = User | AnonymousUser


def is_authenticated(actor: Actor | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def is_staff(actor: Actor | None) -> bool:
    return is_authenticated(actor) and getattr(actor, "role", None) in STAFF_ROLES


def is_customer(actor: Actor | None) -> bool:
    return is_authenticated(actor) and getattr(actor, "role", None) in CUSTOMER_ROLES


def has_role(actor: Actor | None, *roles: str) -> bool:
    return is_authenticated(actor) and getattr(actor, "role", None) in roles


def is_manager_or_admin(actor: Actor | None) -> bool:
    return has_role(actor, Role.MANAGER, Role.ADMIN)


def scope(actor: Actor | None, qs: QuerySet[M], org_path: str = "organisation") -> QuerySet[M]:
    """Restrict a queryset to what the actor may read. Staff read every customer; customers their own."""
    if is_staff(actor):
        return qs
    if is_customer(actor) and getattr(actor, "organisation_id", None):
        return qs.filter(**{f"{org_path}_id": actor.organisation_id})  # type: ignore[union-attr]
    return qs.none()


def get_for(actor: Actor | None, qs: QuerySet[M], org_path: str = "organisation", **lookup: Any) -> M:
    try:
        return scope(actor, qs, org_path).get(**lookup)
    except qs.model.DoesNotExist:  # type: ignore[attr-defined]
        raise NotFound(_("%(thing)s不存在。") % {"thing": qs.model._meta.verbose_name}) from None


def organisations_for(actor: Actor | None) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(kind="customer")
    if is_staff(actor):
        return qs
    if is_customer(actor):
        return qs.filter(Q(id=actor.organisation_id))  # type: ignore[union-attr]
    return qs.none()


def require(condition: bool, message: str = "") -> None:
    if not condition:
        raise PermissionDenied(message or _("您没有权限执行此操作。"))


def can_manage_contacts(actor: Actor | None, organisation: Organisation) -> bool:
    if has_role(actor, Role.MANAGER, Role.ADMIN):
        return True
    return has_role(actor, Role.CUSTOMER_ADMIN) and actor.organisation_id == organisation.id  # type: ignore[union-attr]


def can_read_contracts(actor: Actor | None) -> bool:
    return is_staff(actor) or has_role(actor, Role.CUSTOMER_ADMIN)


def can_manage_contracts(actor: Actor | None) -> bool:
    return has_role(actor, Role.ADMIN)


def can_manage_systems(actor: Actor | None) -> bool:
    return has_role(actor, Role.MANAGER, Role.ADMIN)


def can_manage_organisations(actor: Actor | None) -> bool:
    return has_role(actor, Role.ADMIN)
