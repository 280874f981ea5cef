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
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import ApiToken, Contact, LoginAttempt, Organisation, TokenScope, User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, ValidationFailed
from weibao.core.prepared import Param, PreparedQuery

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
        raise ValidationFailed(_("令牌需要一个名称。"), details={"name": [_("此项为必填项。")]})
    if scope not in TokenScope.values:
        raise ValidationFailed(_("未知的权限。"), details={"scope": [_("应为以下之一：%(choices)s") % {"choices": ", ".join(TokenScope.values)}]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name[:100], scope=scope, prefix=raw[:10], key_hash=_hash(raw))
    return NewToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, actor: User, public_id: str) -> ApiToken:
    token = ApiToken.objects.filter(user=actor, public_id=public_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("令牌不存在。"))
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    return token


# Runs on every API request: compiled once (compiling the queryset cost ~6x running it). key_hash is
# unique: no ORDER BY to sort. The user and organisation come in the same row (the API reads both).
_TOKEN_BY_HASH = PreparedQuery(
    lambda: ApiToken.objects.select_related("user", "user__organisation")
    .filter(key_hash=Param("key_hash"), revoked_at__isnull=True, user__is_active=True)
    .order_by()[:1]
)


def api_token_authenticate(raw: str) -> ApiToken | None:
    token = _TOKEN_BY_HASH.first(key_hash=_hash(raw))
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


def _throttle_key(username: str) -> str:
    """The account's username when the name or e-mail matches one, so both spellings share one budget."""
    name = username.strip()
    field = "email__iexact" if "@" in name else "username__iexact"
    found = User.objects.filter(**{field: name}).values_list("username", flat=True).first() if name else None
    return (found or name).lower()[:254]


def login_throttle_check(*, username: str, request: HttpRequest | None) -> None:
    since = clock.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    key = _throttle_key(username)
    by_name = LoginAttempt.objects.filter(kind="login", username=key, at__gte=since).count()
    ip = _client_ip(request)
    by_ip = LoginAttempt.objects.filter(kind="login", ip=ip, at__gte=since).count() if ip else 0
    if by_name >= settings.LOGIN_FAILURE_LIMIT or by_ip >= settings.LOGIN_FAILURE_LIMIT * 4:
        raise LoginThrottled(
            _("登录失败次数过多，请稍后再试。"),
            details={"retry_after_minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES},
        )


def login_failure_record(*, username: str, request: HttpRequest | None) -> None:
    LoginAttempt.objects.create(kind="login", username=_throttle_key(username), ip=_client_ip(request), at=clock.now())


def password_authenticate(*, username: str, password: str, request: HttpRequest | None) -> User | None:
    """Check a password with throttling; records failures. Returns the user or None."""
    login_throttle_check(username=username, request=request)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, request=request)
        return None
    LoginAttempt.objects.filter(kind="login", username=_throttle_key(username)).delete()
    return user  # type: ignore[return-value]


def password_reset_throttle(*, email: str, request: HttpRequest | None) -> None:
    """Count a password-reset request; refuse it when this address or this client asked too often.

    Counted whether or not the address belongs to an account, so the answer reveals nothing, and
    a stranger cannot flood someone's mailbox with reset mails.
    """
    since = clock.now() - timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES)
    key = (email or "").strip().lower()[:254]
    ip = _client_ip(request)
    by_email = LoginAttempt.objects.filter(kind="reset", username=key, at__gte=since).count()
    by_ip = LoginAttempt.objects.filter(kind="reset", ip=ip, at__gte=since).count() if ip else 0
    if by_email >= settings.PASSWORD_RESET_LIMIT or by_ip >= settings.PASSWORD_RESET_LIMIT * 4:
        raise LoginThrottled(
            _("重置密码的请求过于频繁，请稍后再试。"),
            details={"retry_after_minutes": settings.PASSWORD_RESET_WINDOW_MINUTES},
        )
    LoginAttempt.objects.create(kind="reset", username=key, ip=ip, at=clock.now())


# --- two-factor -----------------------------------------------------------------------------


def totp_begin(*, actor: User) -> str:
    """Start enrolment: a fresh secret that becomes active only after a code is confirmed."""
    if actor.totp_enabled:
        raise ValidationFailed(_("两步验证已经开启。"))
    actor.totp_secret = pyotp.random_base32()
    actor.save(update_fields=["totp_secret"])
    return pyotp.TOTP(actor.totp_secret).provisioning_uri(name=actor.email or actor.username, issuer_name="Weibao")


def totp_verify(user: User, code: str) -> bool:
    """Accept a code once: a code seen before (replayed, or shoulder-surfed) is refused.

    The matching time step is recorded with a conditional UPDATE, so two sign-ins racing with the
    same code cannot both succeed.
    """
    if not user.totp_secret:
        return False
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    current = totp.timecode(now)
    for offset in (0, -1, 1):
        step = current + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            used = (
                User.objects.filter(pk=user.pk)
                .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
                .update(totp_last_step=step)
            )
            if used:
                user.totp_last_step = step
            return bool(used)
    return False


def totp_confirm(*, actor: User, code: str) -> None:
    if not totp_verify(actor, code):
        raise ValidationFailed(_("验证码不正确。"), details={"code": [_("验证码不正确。")]})
    actor.totp_enabled = True
    actor.save(update_fields=["totp_enabled"])


def totp_disable(*, actor: User, code: str) -> None:
    if actor.mfa_required:
        raise PermissionDenied(_("管理员要求此账户开启两步验证，不能关闭。"))
    if not totp_verify(actor, code):
        raise ValidationFailed(_("验证码不正确。"), details={"code": [_("验证码不正确。")]})
    actor.totp_enabled = False
    actor.totp_secret = ""
    actor.totp_last_step = None
    actor.save(update_fields=["totp_enabled", "totp_secret", "totp_last_step"])


# --- preferences ----------------------------------------------------------------------------


def user_set_preferences(*, actor: User, language: str, timezone: str) -> User:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    errors: dict[str, list[str]] = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("未知的语言。")]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("未知的时区。")]
    if errors:
        raise ValidationFailed(_("偏好设置无效。"), details=errors)
    actor.language, actor.timezone = language, timezone
    actor.save(update_fields=["language", "timezone"])
    return actor


# --- contacts -------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone", "email", "position", "language", "is_active")


def _clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in CONTACT_FIELDS}
    if "name" in cleaned and not str(cleaned["name"]).strip():
        raise ValidationFailed(_("联系人信息无效。"), details={"name": [_("此项不能为空。")]})
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
