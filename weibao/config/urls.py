from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from weibao.core.health import ready

admin.site.site_header = _("维保 管理")
admin.site.site_title = _("维保 管理")
admin.site.index_title = _("系统管理")


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """One sign-in page for everybody, so throttling and two-factor cannot be bypassed through /admin/.

    Django admin's own form is never shown: anonymous visitors go to our sign-in page, signed-in
    administrators on to where they were going, and everybody else finds no admin site (404).
    """
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(target, login_url=reverse("accounts:login"))
    if user.is_active and user.is_staff:
        return redirect(target)
    raise Http404


admin.site.login = admin_login  # type: ignore[method-assign,assignment]


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ok, results = ready()
    body = {"status": "ok" if ok else "unavailable", "checks": {r.name: {"level": r.level, "detail": r.detail} for r in results}}
    return JsonResponse(body, status=200 if ok else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("/staff/" if request.user.is_staff_member else "/portal/")  # type: ignore[union-attr]


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/", include("weibao.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("weibao.api.v1.urls")),
    path("staff/", include("weibao.staff.urls")),
    path("portal/", include("weibao.portal.urls")),
    path("kb/", include("weibao.portal.kb_urls")),
]
