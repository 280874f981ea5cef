"""Sign-in (password, then TOTP when enabled), preferences, personal API tokens, two-factor enrolment."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weibao.accounts import services
from weibao.accounts.forms import LocalisedPasswordResetForm, LoginForm, PreferencesForm, TokenForm, TotpForm
from weibao.accounts.models import User
from weibao.core.errors import DomainError

PENDING_KEY = "weibao_pending_user"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _throttled(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)
    return response


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_authenticate(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"], request=request
            )
        except services.LoginThrottled:
            form.add_error(None, _("登录失败次数过多，请稍后再试。"))
            return _throttled(render(request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=429))
        if user is None:
            form.add_error(None, _("用户名或密码不正确。"))
        elif user.totp_enabled:
            request.session[PENDING_KEY] = user.pk
            return redirect(f"{reverse('accounts:login_totp')}?{urlencode({'next': _next_url(request)})}")
        else:
            login(request, user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
def login_totp_view(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_KEY)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_throttle_check(username=user.username, request=request)
        except services.LoginThrottled:
            form.add_error(None, _("登录失败次数过多，请稍后再试。"))
            return _throttled(render(request, "accounts/login_totp.html", {"form": form, "next": _next_url(request)}, status=429))
        if services.totp_verify(user, form.cleaned_data["code"]):
            del request.session[PENDING_KEY]
            login(request, user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
            return redirect(_next_url(request))
        services.login_failure_record(username=user.username, request=request)
        form.add_error("code", _("验证码不正确。"))
    return render(request, "accounts/login_totp.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def account_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    prefs = PreferencesForm(request.POST if "save_preferences" in request.POST else None, initial={"language": user.language, "timezone": user.timezone})
    token_form = TokenForm(request.POST if "create_token" in request.POST else None)
    new_token = None
    if request.method == "POST":
        try:
            if "save_preferences" in request.POST and prefs.is_valid():
                services.user_set_preferences(actor=user, **prefs.cleaned_data)
                messages.success(request, _("已保存。"))
                return redirect("accounts:account")
            if "create_token" in request.POST and token_form.is_valid():
                new_token = services.api_token_create(actor=user, **token_form.cleaned_data).raw
                token_form = TokenForm()
            if "revoke_token" in request.POST:
                services.api_token_revoke(actor=user, public_id=request.POST["revoke_token"])
                messages.success(request, _("令牌已撤销。"))
                return redirect("accounts:account")
        except DomainError as exc:
            messages.error(request, exc.message)
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/account.html",
        {"prefs": prefs, "token_form": token_form, "tokens": tokens, "new_token": new_token},
    )


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if user.totp_enabled:
                services.totp_disable(actor=user, code=form.cleaned_data["code"])
                messages.success(request, _("两步验证已关闭。"))
            else:
                services.totp_confirm(actor=user, code=form.cleaned_data["code"])
                messages.success(request, _("两步验证已开启。"))
            return redirect("accounts:account")
        except DomainError as exc:
            form.add_error("code", exc.message)
    qr_svg = ""
    secret = ""
    if not user.totp_enabled:
        if not user.totp_secret or request.method == "GET":
            uri = services.totp_begin(actor=user)
        else:
            import pyotp

            uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email or user.username, issuer_name="Weibao")
        buf = io.BytesIO()
        segno.make(uri).save(buf, kind="svg", scale=4)
        qr_svg = buf.getvalue().decode()
        secret = user.totp_secret
    return render(request, "accounts/totp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view with a per-address and per-client budget, so nobody can mail-bomb a user."""

    template_name = "accounts/password_reset.html"
    form_class = LocalisedPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form: LocalisedPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        try:
            services.password_reset_throttle(email=form.cleaned_data["email"], request=self.request)
        except services.LoginThrottled as exc:
            form.add_error(None, exc.message)
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(settings.PASSWORD_RESET_WINDOW_MINUTES * 60)
            return response
        return super().form_valid(form)
