"""Writes for accounts: tokens, sign-in throttling, two-factor, contacts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest

from weibao.accounts import access
from weibao.accounts.models import ApiToken, Contact, LoginAttempt, Organisation, TokenScope, User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, ValidationFailed

TOKEN_PREFIX = "wb_"  # noqa: S105 - a marker, not a secret


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


@transaction.atomic
def api_token_create(*, actor: User, name: str, scope: str = TokenScope.READ) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A token needs a name", details={"name": ["This field is required."]})
    if scope not in TokenScope.values:
        raise ValidationFailed("Unknown scope", details={"scope": [f"Expected one of {TokenScope.values}"]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name[:100], scope=scope, prefix=raw[:10], key_hash=_hash(raw))
    return NewToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, actor: User, public_id: str) -> ApiToken:
    token = ApiToken.objects.filter(user=actor, public_id=public_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("Token not found")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    # Write at most once a minute: the token is used on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token


# --- sign-in --------------------------------------------------------------------------------


class LoginThrottled(PermissionDenied):
    code = "login_throttled"
    status = 429


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def login_throttle_check(*, username: str, request: HttpRequest | None) -> None:
    since = clock.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    key = username.strip().lower()
    by_name = LoginAttempt.objects.filter(username=key, at__gte=since).count()
    ip = _client_ip(request)
    by_ip = LoginAttempt.objects.filter(ip=ip, at__gte=since).count() if ip else 0
    if by_name >= settings.LOGIN_FAILURE_LIMIT or by_ip >= settings.LOGIN_FAILURE_LIMIT * 4:
        raise LoginThrottled(
            "Too many failed sign-ins; try again later",
            details={"retry_after_minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES},
        )


def password_authenticate(*, username: str, password: str, request: HttpRequest | None) -> User | None:
    """Check a password with throttling; records failures. Returns the user or None."""
    login_throttle_check(username=username, request=request)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginAttempt.objects.create(username=username.strip().lower()[:254], ip=_client_ip(request), at=clock.now())
        return None
    LoginAttempt.objects.filter(username=username.strip().lower()).delete()
    return user  # type: ignore[return-value]


# --- two-factor -----------------------------------------------------------------------------


def totp_begin(*, actor: User) -> str:
    """Start enrolment: a fresh secret that becomes active only after a code is confirmed."""
    if actor.totp_enabled:
        raise ValidationFailed("Two-factor sign-in is already on")
    actor.totp_secret = pyotp.random_base32()
    actor.save(update_fields=["totp_secret"])
    return pyotp.TOTP(actor.totp_secret).provisioning_uri(name=actor.email or actor.username, issuer_name="Weibao")


def totp_verify(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    return pyotp.TOTP(user.totp_secret).verify((code or "").strip().replace(" ", ""), valid_window=1)


def totp_confirm(*, actor: User, code: str) -> None:
    if not totp_verify(actor, code):
        raise ValidationFailed("The code is not correct", details={"code": ["Invalid code"]})
    actor.totp_enabled = True
    actor.save(update_fields=["totp_enabled"])


def totp_disable(*, actor: User, code: str) -> None:
    if actor.mfa_required:
        raise PermissionDenied("An administrator requires two-factor sign-in for this account")
    if not totp_verify(actor, code):
        raise ValidationFailed("The code is not correct", details={"code": ["Invalid code"]})
    actor.totp_enabled = False
    actor.totp_secret = ""
    actor.save(update_fields=["totp_enabled", "totp_secret"])


# --- preferences ----------------------------------------------------------------------------


def user_set_preferences(*, actor: User, language: str, timezone: str) -> User:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    errors: dict[str, list[str]] = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = ["Unknown language"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = ["Unknown time zone"]
    if errors:
        raise ValidationFailed("Invalid preferences", details=errors)
    actor.language, actor.timezone = language, timezone
    actor.save(update_fields=["language", "timezone"])
    return actor


# --- contacts -------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone", "email", "position", "language", "is_active")


def _clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in CONTACT_FIELDS}
    if "name" in cleaned and not str(cleaned["name"]).strip():
        raise ValidationFailed("Invalid contact", details={"name": ["This field may not be blank."]})
    return cleaned


@transaction.atomic
def contact_create(*, actor: User, organisation: Organisation, **data: Any) -> Contact:
    access.require(access.can_manage_contacts(actor, organisation))
    return Contact.objects.create(organisation=organisation, **_clean_contact(data))


@transaction.atomic
def contact_update(*, actor: User, contact: Contact, **data: Any) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    access.require(access.can_manage_contacts(actor, contact.organisation))
    for key, value in _clean_contact(data).items():
        setattr(contact, key, value)
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> None:
    access.require(access.can_manage_contacts(actor, contact.organisation))
    contact.delete()
