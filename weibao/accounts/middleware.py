from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real

Handler = Callable[[HttpRequest], HttpResponse]


API_PREFIX = "/api/"


def asked_language(request: HttpRequest) -> str | None:
    """The language an API client names in Accept-Language, if we have it (first match by preference).

    Only under /api/, and the callers ask only for Bearer-token or anonymous requests: a program sets that
    header on purpose, while a browser sends its system's language with every request, the pages' own calls
    to /api/ included (the SLA report export, the knowledge suggestions), and those follow the signed-in
    user's choice like the pages do.
    """
    if not request.path.startswith(API_PREFIX):
        return None
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header[:200]):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def language_for(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:  # a browser's session: the user's own choice, not the header
        return str(user.language)
    asked = asked_language(request)
    if asked:
        return asked
    lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def activate_user_preferences(request: HttpRequest, user: Any) -> None:
    """Switch language and time zone to the user's for the rest of this request (an API client's
    Accept-Language wins over the user's language).

    API authentication calls it once it has found the user behind a Bearer token, which happens only after
    every middleware has run (the middleware below has set a session user's language already).
    """
    lang = asked_language(request) or str(getattr(user, "language", "") or settings.LANGUAGE_CODE)
    if lang not in dict(settings.LANGUAGES):
        lang = settings.LANGUAGE_CODE
    translation.activate(lang)
    request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
    try:
        timezone.activate(zoneinfo.ZoneInfo(str(getattr(user, "timezone", "") or settings.TIME_ZONE)))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))


class UserLocaleMiddleware:
    """Chinese by default, whatever the browser says; English when the user (or cookie) asks."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = language_for(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
            # The view may have switched (a Bearer-token user): report what was actually used.
            response.headers.setdefault("Content-Language", translation.get_language() or lang)
            if request.path.startswith(API_PREFIX):
                patch_vary_headers(response, ("Accept-Language",))  # a cache must not mix the languages
            return response
        finally:
            translation.deactivate()


class UserTimezoneMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tz = settings.TIME_ZONE
        if user is not None and user.is_authenticated and user.timezone:
            tz = user.timezone
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class RequireSecondFactorMiddleware:
    """A user whose administrator requires two-factor sign-in must enrol before doing anything else."""

    # Not the whole of /accounts/: the account page makes API tokens, which would sidestep enrolment.
    ALLOWED_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/accounts/password/", "/accounts/me/totp/", "/static/",
                        "/healthz", "/readyz")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.mfa_required
            and not user.totp_enabled
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                # A session signed in with the password alone must not reach the API either.
                message = translation.gettext("管理员要求此账户开启两步验证：请先在网页上完成设置。")
                return JsonResponse({"code": "second_factor_required", "message": message, "details": {}}, status=403)
            return redirect(reverse("accounts:totp_setup"))
        return self.get_response(request)
