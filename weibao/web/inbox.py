"""The in-app inbox page, shared by the staff and the portal areas (each adds its own access check)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from weibao.accounts.models import User
from weibao.notify.channels.inapp import (
    notification_get_for,
    notification_list_for,
    notification_mark_all_read,
    notification_mark_read,
    notification_text,
)


def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        if request.POST.get("all"):
            notification_mark_all_read(actor=user)
        elif request.POST.get("id"):
            notification_mark_read(actor=user, notification=notification_get_for(user, request.POST["id"]))
        return redirect(request.path)
    show_all = request.GET.get("all") == "1"
    rows = [(n, notification_text(n.kind, n.ticket_number, n.subject, n.data))
            for n in notification_list_for(user, unread_only=not show_all)[:100]]
    return render(request, "notify/inbox.html", {"rows": rows, "show_all": show_all})
