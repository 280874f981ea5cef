"""The one-time satisfaction survey link sent after closing: no sign-in, expires, answers once."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weibao.core.errors import DomainError
from weibao.portal import ticket_forms as pf
from weibao.portal.mail_link_views import page_language
from weibao.tickets import services_work
from weibao.tickets.models import Survey


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    found = services_work.survey_for_token(token)
    if found is None:
        return render(request, "portal/survey.html", {"invalid": True}, status=404)
    with translation.override(page_language(request, found.ticket.requester)):  # the survey mail's recipient's
        return _survey(request, token, found)


def _survey(request: HttpRequest, token: str, found: Survey) -> HttpResponse:
    form = pf.RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_work.ticket_survey_answer_by_token(token=token, rating=form.cleaned_data["rating"],
                                                 comment=form.cleaned_data["comment"])
        except DomainError as exc:
            return render(request, "portal/survey.html", {"survey": found, "form": form, "error": exc.message},
                          status=exc.status)
        return render(request, "portal/survey.html", {"survey": found, "thanks": True})
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/survey.html", {"survey": found, "form": form, "error": _("请选择满意度（1–5）。")
                                                   if request.method == "POST" else ""}, status=status)
