"""The staff member's in-app notification inbox."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from weibao.staff.access import staff_required
from weibao.web.inbox import inbox


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    return inbox(request)


urlpatterns = [path("notifications/", notifications, name="notifications")]
