from __future__ import annotations

from django import forms
from django.conf import settings
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
