"""No-login pages behind the links in our mail: confirm or reject a resolution (GET shows, POST acts).

Mail scanners and link previews fetch every link in a message: a GET here changes nothing. The page is
shown in the recipient's language (the one the mail was written in), unless the visitor chose one with the
language switcher; the browser's Accept-Language does not override it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from weibao.accounts.models import Contact
from weibao.core.errors import DomainError
from weibao.mail.decisions import contact_language, decision_link_find, decision_link_use

TEMPLATE = "portal/mail_decision.html"


def page_language(request: HttpRequest, contact: Contact | None) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and chosen in dict(settings.LANGUAGES):
        return chosen
    return contact_language(contact)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("还存在什么问题？"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 4}))


@require_http_methods(["GET", "POST"])
def mail_decision(request: HttpRequest, token: str) -> HttpResponse:
    page = decision_link_find(token)
    if page is None:
        return render(request, TEMPLATE, {"invalid": True}, status=404)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    with translation.override(page_language(request, page.link.contact)):
        context = {"page": page, "ticket": page.ticket, "action": page.link.action, "form": form}
        if page.state != "open":
            return render(request, TEMPLATE, context, status=410 if request.method == "POST" else 200)
        if request.method == "GET":
            return render(request, TEMPLATE, context)
        if not form.is_valid():
            return render(request, TEMPLATE, context, status=400)
        try:
            link = decision_link_use(token=token, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            if "reason" in exc.details:
                form.add_error("reason", exc.message)
            return render(request, TEMPLATE, {**context, "error": exc.message}, status=exc.status)
        return render(request, TEMPLATE, {**context, "done": True, "ticket": link.ticket})
