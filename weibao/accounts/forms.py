from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import TokenScope


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名或邮箱"), max_length=254)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class TotpForm(forms.Form):
    code = forms.CharField(label=_("验证码"), max_length=10, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("语言"), choices=settings.LANGUAGES)
    timezone = forms.CharField(label=_("时区"), max_length=60)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    scope = forms.ChoiceField(label=_("权限"), choices=TokenScope.choices)


class LocalisedPasswordResetForm(PasswordResetForm):
    """Sends the reset mail in the account holder's language, with links to the configured public URL.

    Whoever asks for the reset may be anonymous and browsing in another language; the mail is for the
    account's owner. The link uses WEIBAO_BASE_URL, not the Host header of the request.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        base = urlsplit(settings.BASE_URL)
        context = {**context, "protocol": base.scheme, "domain": base.netloc + base.path.rstrip("/")}
        user = context.get("user")
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name)
