"""Staff pages for mail intake: the quarantine, one message (text, quoted history, error), reprocess, raw .eml.

Templates live in weibao/mail/templates/staff/mail so their English is in the mail catalogue.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weibao.core.errors import NotFound
from weibao.mail.models import InboundMessage, InboundStatus
from weibao.mail.parsing import parse_message
from weibao.mail.selectors import inbound_get_for, inbound_list_for
from weibao.mail.services import mail_reprocess
from weibao.mail.storage import raw_read
from weibao.staff.access import staff_required

PAGE = 50


def _get(request: HttpRequest, inbound_id: int) -> InboundMessage:
    try:
        return inbound_get_for(request.user, inbound_id)
    except NotFound:
        raise Http404 from None


@staff_required
def quarantine(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", InboundStatus.QUARANTINED)
    if status not in InboundStatus.values and status != "":
        status = InboundStatus.QUARANTINED
    before = request.GET.get("before", "")
    rows = list(inbound_list_for(request.user, status=status, before_id=int(before) if before.isdigit() else None, limit=PAGE + 1))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(request, "staff/mail/quarantine.html", {
        "rows": rows, "status": status, "statuses": InboundStatus.choices,
        "next_before": rows[-1].id if more and rows else None,
    })


@staff_required
def message(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = _get(request, inbound_id)
    try:
        parsed = parse_message(raw_read(inbound.raw_path))
    except OSError:
        parsed = None
    return render(request, "staff/mail/message.html", {"m": inbound, "parsed": parsed})


@staff_required
@require_POST
def reprocess(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = mail_reprocess(inbound=_get(request, inbound_id), actor=request.user)
    if inbound.status == InboundStatus.PROCESSED:
        messages.success(request, f"{_('已处理')}：{inbound.get_outcome_display()}")
    else:
        messages.error(request, f"{_('错误')}：{inbound.error.splitlines()[0] if inbound.error else ''}")
    return redirect("staff:mail-message", inbound_id=inbound.id)


@staff_required
def raw(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = _get(request, inbound_id)
    try:
        data = raw_read(inbound.raw_path)
    except OSError:
        raise Http404 from None
    response = HttpResponse(data, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{inbound.id}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
