"""The customer's request pages: create, list, read the public conversation, reply, confirm, rate.

Customers see their own organisation's requests only (the tickets selectors scope every read) and
never internal notes or internal attachments. Other organisations' requests answer 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core.errors import DomainError, NotFound
from weibao.core.keyset import keyset_page
from weibao.core.panels import conversation_extras, render_panels
from weibao.customers.selectors import system_list_for
from weibao.portal import ticket_forms as pf
from weibao.tickets import selectors, services, services_work
from weibao.tickets.models import Ticket
from weibao.tickets.states import TRANSITIONS, Status, allowed_transitions

PAGE_SIZE = 25
CUSTOMER_DECISIONS = ("confirm", "reject", "reopen")
OPEN_STATUSES = [s.value for s in Status if s not in (Status.CLOSED, Status.DECLINED, Status.MERGED)]


def customer_required(view: Any) -> Any:
    """Portal pages answer 404 to staff and anonymous users are sent to sign in."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_customer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _ticket(request: HttpRequest, public_id: str) -> Ticket:
    try:
        return selectors.ticket_get_for(_user(request), public_id)
    except NotFound:
        raise Http404 from None


@customer_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    scope = "org" if request.GET.get("scope") == "org" else "mine"
    show = request.GET.get("show", "open")
    qs = selectors.ticket_list_for(actor, queue="mine" if scope == "mine" else "all")
    order: tuple[str, ...] = ("-id",)
    if show == "open":
        # An organisation's open requests are few and may be old: read them through the filter and sort,
        # not by walking the primary key back past years of closed ones (see staff.ticket_queues.Queue).
        qs = qs.filter(status__in=OPEN_STATUSES)  # an IN list, so the status index joins the organisation's
        qs, order = qs.annotate(id_key=F("id") + 0), ("-id_key", "-id")
    page = keyset_page(qs, order, request.GET.get("after"), PAGE_SIZE)
    params = request.GET.copy()
    params.pop("after", None)
    first_url = f"?{params.urlencode()}"
    if page.next_cursor:
        params["after"] = page.next_cursor
    return render(request, "portal/tickets/list.html", {
        "page": page, "scope": scope, "show": show, "first_url": first_url,
        "next_url": f"?{params.urlencode()}" if page.next_cursor else "",
    })


@customer_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = pf.CreateForm(request.POST or None, request.FILES or None, systems=system_list_for(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Request and files are one unit: a refused file (size, type) leaves no request behind.
            with transaction.atomic():
                ticket = services.ticket_create(
                    actor=actor, organisation=actor.organisation, subject=data["subject"],  # type: ignore[arg-type]
                    description=data["description"], channel="portal", system=data["system"], type=data["type"],
                    urgency=data["urgency"], impact=data["impact"])
                if data["attachments"]:
                    services.ticket_attach(actor=actor, ticket=ticket, attachments=data["attachments"])
        except DomainError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("已提交，编号 %(number)s。我们会尽快处理。") % {"number": ticket.number})
            return redirect(reverse("portal:ticket-detail", args=[ticket.public_id]))
    return render(request, "portal/tickets/create.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _errors_to_form(form: forms.Form, exc: DomainError) -> None:
    placed = False
    for field, errors in exc.details.items():
        if field in form.fields:
            form.add_error(field, errors if isinstance(errors, list) else str(errors))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def detail_context(request: HttpRequest, ticket: Ticket, **bound: forms.Form) -> dict[str, Any]:
    actor = _user(request)
    timeline: list[dict[str, Any]] = [{"at": m.created_at, "message": m} for m in selectors.messages_for(actor, ticket)]
    timeline += [{"at": e.created_at, "event": e} for e in selectors.events_for(actor, ticket)
                 if e.kind in ("created", "transitioned", "merge_received")]
    timeline.sort(key=lambda item: item["at"])
    allowed = allowed_transitions(ticket, actor)
    try:
        survey = ticket.survey
    except ObjectDoesNotExist:
        survey = None
    return {
        "ticket": ticket, "timeline": timeline, "description_extra": conversation_extras(request, ticket, timeline),
        "decisions": [{"name": n, "label": TRANSITIONS[n].label} for n in CUSTOMER_DECISIONS if n in allowed],
        "decision_form": bound.get("decision") or pf.DecisionForm(),
        "reply_form": bound.get("reply") or pf.ReplyForm(),
        "can_rate": ticket.status == Status.CLOSED.value and (survey is None or survey.answered_at is None),
        "survey": survey, "rating_form": bound.get("rating") or pf.RatingForm(),
        "panels": render_panels(request, ticket, "portal"), "attachments": list(selectors.attachments_for(actor, ticket)),
    }


@customer_required
@require_GET
def ticket_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    return render(request, "portal/tickets/detail.html", detail_context(request, ticket))


def _fail(request: HttpRequest, ticket: Ticket, message: str, status: int, **bound: forms.Form) -> HttpResponse:
    messages.error(request, message)
    return render(request, "portal/tickets/detail.html", detail_context(request, ticket, **bound), status=status)


def _back(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("portal:ticket-detail", args=[ticket.public_id]))


@customer_required
@require_POST
def ticket_reply(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = pf.ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _fail(request, ticket, _("回复无效。"), 400, reply=form)
    try:
        services.ticket_reply(actor=_user(request), ticket=ticket, body=form.cleaned_data["body"], channel="portal",
                              attachments=form.cleaned_data["attachments"])
    except DomainError as exc:
        return _fail(request, ticket, exc.message, exc.status, reply=form)
    messages.success(request, _("回复已发送。"))
    return _back(ticket)


@customer_required
@require_POST
def ticket_decision(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = pf.DecisionForm(request.POST)
    if not form.is_valid():
        return _fail(request, ticket, _("请说明还存在什么问题。"), 400, decision=form)
    name = form.cleaned_data["transition"]
    try:
        services.ticket_transition(actor=_user(request), ticket=ticket, transition=name,
                                   reason=form.cleaned_data["reason"], expected_status=ticket.status)
    except DomainError as exc:
        return _fail(request, ticket, exc.message, exc.status, decision=form)
    messages.success(request, {"confirm": _("感谢确认，请求已关闭。欢迎对本次服务评价。"),
                               "reject": _("已退回，工程师会继续处理。"),
                               "reopen": _("请求已重新打开。")}[name])
    return _back(ticket)


@customer_required
@require_POST
def ticket_rate(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = pf.RatingForm(request.POST)
    if not form.is_valid():
        return _fail(request, ticket, _("请选择满意度（1–5）。"), 400, rating=form)
    try:
        services_work.ticket_survey_answer(actor=_user(request), ticket=ticket, rating=form.cleaned_data["rating"],
                                    comment=form.cleaned_data["comment"])
    except DomainError as exc:
        return _fail(request, ticket, exc.message, exc.status, rating=form)
    messages.success(request, _("感谢您的评价。"))
    return _back(ticket)


@customer_required
@require_GET
def ticket_attachment(request: HttpRequest, public_id: str, attachment_id: str) -> FileResponse:
    ticket = _ticket(request, public_id)
    try:
        att = selectors.attachment_get_for(_user(request), ticket, attachment_id)
    except NotFound:
        raise Http404 from None
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.filename, content_type=att.content_type)
