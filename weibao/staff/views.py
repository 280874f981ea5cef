from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from weibao.accounts import access
from weibao.customers.selectors import system_list_for
from weibao.staff.access import staff_required


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    orgs = access.organisations_for(request.user)
    systems = system_list_for(request.user)[:50]
    return render(request, "staff/dashboard.html", {"organisations": orgs, "systems": systems})
