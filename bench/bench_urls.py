"""The project's routes and /bench/bare: a JsonResponse with no database, the ceiling for one request."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from weibao.config.urls import urlpatterns as project


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "subject": "压测"})


urlpatterns = [path("bench/bare", bare), *project]
