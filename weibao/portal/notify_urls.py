"""The customer's in-app notification inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from weibao.accounts import access
from weibao.web.inbox import inbox


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    if not access.is_customer(request.user):
        raise Http404
    return inbox(request)


urlpatterns = [path("notifications/", notifications, name="notifications")]
