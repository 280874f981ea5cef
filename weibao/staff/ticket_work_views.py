"""Staff pages around the request: phone intake, bulk actions, attachment downloads, watching."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weibao.accounts import access
from weibao.accounts.models import Contact, User
from weibao.core.errors import DomainError, NotFound
from weibao.customers.selectors import system_list_for
from weibao.staff import ticket_forms as tf
from weibao.staff.access import staff_required
from weibao.staff.ticket_views import _call, _invalid, _ticket, detail_context
from weibao.tickets import selectors, services, services_work
from weibao.tickets.states import TRANSITIONS


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def find_callers(actor: User, q: str) -> list[Contact]:
    """Contacts by phone (digits, prefix) or name; 20 at most, with their organisation (one query)."""
    q = q.strip()
    if len(q) < 2:
        return []
    digits = "".join(ch for ch in q if ch.isdigit())
    match = Q(name__icontains=q)
    if len(digits) >= 3:
        match |= Q(phone__startswith=digits) | Q(phone__contains=digits)
    qs = access.scope(actor, Contact.objects.select_related("organisation").filter(is_active=True))
    return list(qs.filter(match).order_by("organisation__name", "name")[:20])


@staff_required
@require_GET
def intake_lookup(request: HttpRequest) -> HttpResponse:
    callers = find_callers(_user(request), request.GET.get("q", ""))
    return render(request, "staff/tickets/_callers.html", {"callers": callers, "q": request.GET.get("q", "")})


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_intake(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    contact = None
    contact_id = request.POST.get("contact") or request.GET.get("contact")
    if contact_id:
        contact = access.scope(actor, Contact.objects.select_related("organisation")).filter(public_id=contact_id).first()
    organisations = access.organisations_for(actor)
    systems = system_list_for(actor)
    if contact is not None:
        systems = systems.filter(organisation=contact.organisation)
    initial: dict[str, Any] = {"contact": contact.public_id if contact else "", "organisation": contact.organisation_id if contact else None}
    form = tf.IntakeForm(request.POST or None, initial=initial, organisations=organisations, systems=systems)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=actor, organisation=data["organisation"], requester=contact, system=data["system"],
                subject=data["subject"], description=data["description"], channel="phone", type=data["type"],
                urgency=data["urgency"], impact=data["impact"],
                unverified_requester=data["unverified_requester"] or contact is None)
        except DomainError as exc:
            for field, errors in exc.details.items():
                form.add_error(field if field in form.fields else None, errors if isinstance(errors, list) else str(errors))
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记 %(number)s。") % {"number": ticket.number})
            return redirect(reverse("staff:ticket-detail", args=[ticket.public_id]))
    status = 400 if request.method == "POST" else 200
    q = request.GET.get("q", "")
    return render(request, "staff/tickets/intake.html", {
        "form": form, "contact": contact, "q": q, "callers": find_callers(actor, q) if q else [],
    }, status=status)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("staff:ticket-queue")


@staff_required
@require_POST
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    """Each request is changed by its own service call; one refusal does not undo the others."""
    actor = _user(request)
    form = tf.BulkForm(request.POST)
    assign = tf.AssignForm(request.POST, prefix="bulk")
    if not form.is_valid():
        messages.error(request, _("请先勾选请求。"))
        return redirect(_safe_next(request))
    ids = form.cleaned_data["ticket"][:200]
    tickets = list(selectors.ticket_list_for(actor).filter(public_id__in=ids))
    action = form.cleaned_data["action"]
    if action == "assign" and not assign.is_valid():
        messages.error(request, _("请选择团队或处理人。"))
        return redirect(_safe_next(request))
    name = form.cleaned_data["transition"]
    if action == "transition" and name not in TRANSITIONS:
        messages.error(request, _("未知的操作。"))
        return redirect(_safe_next(request))
    done, failed = 0, []
    for ticket in tickets:
        try:
            if action == "assign":
                services.ticket_assign(actor=actor, ticket=ticket, assignee=assign.cleaned_data["assignee"],
                                       team=assign.cleaned_data["team"])
            else:
                services.ticket_transition(actor=actor, ticket=ticket, transition=name, note=form.cleaned_data["note"])
            done += 1
        except DomainError as exc:
            failed.append(f"{ticket.number}: {exc.message}")
    if done:
        messages.success(request, _("已处理 %(n)s 个请求。") % {"n": done})
    for line in failed:
        messages.error(request, line)
    return redirect(_safe_next(request))


@staff_required
@require_GET
def ticket_attachment(request: HttpRequest, public_id: str, attachment_id: str) -> FileResponse:
    ticket = _ticket(request, public_id)
    try:
        att = selectors.attachment_get_for(_user(request), ticket, attachment_id)
    except NotFound:
        raise Http404 from None
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.filename, content_type=att.content_type)


@staff_required
@require_POST
def ticket_watch(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    watching = request.POST.get("watching") == "1"
    try:
        services.ticket_watch(actor=_user(request), ticket=ticket, watching=watching)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=exc.status)
    return redirect(reverse("staff:ticket-detail", args=[ticket.public_id]))


@staff_required
@require_POST
def ticket_consent(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.ConsentForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, consent=form)
    return _call(request, ticket, services.ticket_record_consent, _("已记录客户同意。"), note=form.cleaned_data["note"])


@staff_required
@require_POST
def ticket_solution_plan(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.SolutionPlanForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, plan=form)
    try:
        services_work.ticket_present_solution_plan(actor=_user(request), ticket=ticket, **form.cleaned_data)
    except DomainError as exc:  # field errors stay beside their fields, the form keeps what was typed
        for field, errors in exc.details.items():
            if field in form.fields:
                form.add_error(field, errors if isinstance(errors, list) else str(errors))
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket, plan=form), status=exc.status)
    messages.success(request, _("解决方案已提交。"))
    return redirect(reverse("staff:ticket-detail", args=[ticket.public_id]))


@staff_required
@require_POST
def ticket_entitlement(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.EntitlementForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, entitlement=form)
    return _call(request, ticket, services.ticket_set_entitlement, _("费用性质已调整。"),
                 kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"])


@staff_required
@require_POST
def ticket_child(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.ChildForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, child=form)
    try:
        child = services.ticket_create(
            actor=_user(request), organisation=ticket.organisation, parent=ticket, requester=ticket.requester,
            system=ticket.system, component=ticket.component, environment=ticket.environment, channel=ticket.channel,
            type=ticket.type, urgency=ticket.urgency, impact=ticket.impact, subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=exc.status)
    messages.success(request, _("已新建子工单 %(number)s。") % {"number": child.number})
    return redirect(reverse("staff:ticket-detail", args=[child.public_id]))
