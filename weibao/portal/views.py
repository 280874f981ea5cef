from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from weibao.accounts import access
from weibao.customers.selectors import system_list_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not access.is_customer(request.user):
        raise Http404
    return render(request, "portal/home.html", {"systems": system_list_for(request.user)})
