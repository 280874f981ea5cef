"""Staff pages for service requests: queues and the request page with its actions.

Thin adapters: parse the form, call a tickets service or selector, render or redirect. Every write
goes through a service; an error the service raises becomes a message in the user's language.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import DomainError, NotFound
from weibao.core.keyset import keyset_page
from weibao.core.panels import conversation_extras, render_panels
from weibao.staff import ticket_forms as tf
from weibao.staff.access import staff_required
from weibao.staff.ticket_queues import queue_by_key, queues, sort_by_key, sorts
from weibao.tickets import selectors, services, services_work
from weibao.tickets.models import Ticket
from weibao.tickets.states import DONE, TRANSITIONS, By, allowed_transitions

PAGE_SIZES = (25, 50, 100, 200)
# What a queue row shows (`queue_rows`) and the sort orders read: building 200 full tickets with five full related
# rows cost a third of the page's CPU. A field left out here costs a query per row, which the query-count tests see.
QUEUE_RELATED = ("organisation", "system", "team", "assignee")
QUEUE_FIELDS = ("id", "public_id", "number", "subject", "priority", "status", "created_at", "updated_at", "due_at",
                "organisation__name", "organisation__short_name", "system__name", "team__name",
                "assignee__username", "assignee__display_name")
# Bulk changes are the staff transitions that need no parameters beyond an optional note.
BULK_TRANSITIONS = [t for t in TRANSITIONS.values()
                    if By.STAFF in t.by and tf.TRANSITION_FORMS.get(t.name) in (None, tf.NoteParams)]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _ticket(request: HttpRequest, public_id: str) -> Ticket:
    try:
        return selectors.ticket_get_for(_user(request), public_id)
    except NotFound:
        raise Http404 from None


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("size", "50"))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def list_filters(form: forms.Form) -> dict[str, Any]:
    """Valid GET filters as the selector's keyword arguments; invalid values are simply not applied."""
    form.is_valid()
    return {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}


@staff_required
@require_GET
def ticket_queue(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    queue = queue_by_key(request.GET.get("queue", "mine"))
    sort = sort_by_key(request.GET.get("sort", ""), queue)
    filters = tf.QueueFilterForm(request.GET)
    qs = queue.filter(selectors.ticket_list_for(actor, **list_filters(filters)), actor, clock.now())
    qs = qs.select_related(None).select_related(*QUEUE_RELATED).only(*QUEUE_FIELDS)
    page = keyset_page(qs, sort.order, request.GET.get("after"), _page_size(request), late_join=True)
    params = request.GET.copy()
    params.pop("after", None)
    next_params = params.copy()
    if page.next_cursor:
        next_params["after"] = page.next_cursor
    return render(request, "staff/tickets/queue.html", {
        "queue": queue, "queues": queues(), "sort": sort, "sorts": sorts(queue), "filters": filters, "page": page,
        "first_url": f"?{params.urlencode()}", "next_url": f"?{next_params.urlencode()}" if page.next_cursor else "",
        "detail_base": reverse("staff:ticket-queue"), "by_due": sort.key == "due", "page_size": _page_size(request), "page_sizes": PAGE_SIZES, "assign_form": tf.AssignForm(prefix="bulk"),
        "bulk_transitions": BULK_TRANSITIONS,
    })


def timeline_of(actor: User, ticket: Ticket) -> list[dict[str, Any]]:
    """Events and conversation in one time-ordered list (two queries, whatever their number)."""
    items: list[dict[str, Any]] = [{"at": m.created_at, "message": m} for m in selectors.messages_for(actor, ticket)]
    items += [{"at": e.created_at, "event": e} for e in selectors.events_for(actor, ticket)
              if e.kind not in ("replied", "attachment_added") or not e.data.get("message_id")]
    items.sort(key=lambda item: item["at"])
    return items


def detail_context(request: HttpRequest, ticket: Ticket, **bound: forms.Form) -> dict[str, Any]:
    actor = _user(request)
    names = allowed_transitions(ticket, actor)
    actions = [{"name": n, "label": TRANSITIONS[n].label, "form": bound.get(f"t-{n}") or tf.transition_form(n)}
               for n in names]
    canned = _canned_replies(actor, ticket)
    timeline = timeline_of(actor, ticket)
    return {
        "ticket": ticket, "timeline": timeline, "actions": actions,
        "description_extra": conversation_extras(request, ticket, timeline),
        "reply_form": bound.get("reply") or tf.ReplyForm(),
        "assign_form": bound.get("assign") or tf.AssignForm(initial={"team": ticket.team_id, "assignee": ticket.assignee_id}),
        "update_form": bound.get("update") or tf.UpdateForm(initial={
            "type": ticket.type, "maintenance_category": ticket.maintenance_category, "urgency": ticket.urgency,
            "impact": ticket.impact, "tags": ", ".join(ticket.tags or [])}),
        "link_form": bound.get("link") or tf.LinkForm(),
        "canned_replies": canned, "watchers": list(ticket.watchers.all()),
        "is_watching": ticket.watchers.filter(pk=actor.pk).exists(),
        "children": list(ticket.children.only("public_id", "number", "subject", "status")),
        "links": _links(ticket), "panels": render_panels(request, ticket, "staff"),
        "attachments": list(selectors.attachments_for(actor, ticket)),
        "time_entries": list(selectors.time_entries_for(actor, ticket)),
        "visits": list(ticket.visits.prefetch_related("engineers")),
        "time_form": bound.get("time") or tf.TimeEntryForm(initial={"started_at": clock.now(), "mode": "remote"}),
        "visit_form": bound.get("visit") or tf.VisitForm(initial={"date": clock.now().date(), "engineers": [actor.pk]}),
        "followup_form": bound.get("followup") or tf.FollowUpForm(),
        "quality_form": bound.get("quality") or tf.QualityReviewForm(),
        "is_manager": access.is_manager_or_admin(actor),
        "consent_form": bound.get("consent") or tf.ConsentForm(),
        "plan_form": bound.get("plan") or tf.SolutionPlanForm(),
        "can_present_plan": ticket.status not in DONE,
        "entitlement_form": bound.get("entitlement") or tf.EntitlementForm(initial={"kind": ticket.entitlement_kind}),
        "child_form": bound.get("child") or tf.ChildForm(),
    }


def _canned_replies(actor: User, ticket: Ticket) -> list[dict[str, str]]:
    return [{"title": r.title, "body": services_work.canned_reply_render(r, ticket)}
            for r in selectors.canned_replies_for(actor)]


def _links(ticket: Ticket) -> list[dict[str, Any]]:
    out = [{"kind": link.get_kind_display(), "other": link.target} for link in ticket.links_out.select_related("target")]
    out += [{"kind": link.get_kind_display(), "other": link.source, "incoming": True}
            for link in ticket.links_in.select_related("source")]
    return out


@staff_required
@require_GET
def ticket_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    return render(request, "staff/tickets/detail.html", detail_context(request, ticket))


def _back(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("staff:ticket-detail", args=[ticket.public_id]))


def _invalid(request: HttpRequest, ticket: Ticket, **bound: forms.Form) -> HttpResponse:
    messages.error(request, _first_error(*bound.values()))
    return render(request, "staff/tickets/detail.html", detail_context(request, ticket, **bound), status=400)


def _first_error(*forms_: forms.Form) -> str:
    for form in forms_:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            return f"{label}: {errors[0]}" if label else str(errors[0])
    return ""


def _call(request: HttpRequest, ticket: Ticket, fn: Any, success: str, *, then: str | None = None,
          **kwargs: Any) -> HttpResponse:
    """Call a ticket service for the signed-in user; on success go to `then` (a URL) or the request page."""
    try:
        fn(actor=_user(request), ticket=ticket, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=exc.status)
    messages.success(request, success)
    return redirect(then) if then else _back(ticket)


@staff_required
@require_POST
def ticket_reply(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invalid(request, ticket, reply=form)
    internal = form.cleaned_data["internal"]
    return _call(request, ticket, services.ticket_reply, _("内部备注已保存。") if internal else _("回复已发送。"),
                 body=form.cleaned_data["body"], internal=internal, channel="portal",
                 attachments=form.cleaned_data["attachments"])


def transition_params(name: str, form: forms.Form, actor: User) -> dict[str, Any]:
    """Form fields → the service's keyword parameters (a request number becomes its ticket)."""
    params = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    if name == "merge":
        params["into"] = _ticket_by_number(actor, params["into"])
    return params


def _ticket_by_number(actor: User, number: str) -> Ticket:
    found = selectors.ticket_list_for(actor).filter(number=number.strip().upper()).first()
    if found is None:
        raise NotFound(_("找不到请求 %(number)s。") % {"number": number})
    return found


@staff_required
@require_POST
def ticket_transition(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    name = request.POST.get("transition", "")
    if name not in TRANSITIONS:
        messages.error(request, _("未知的操作。"))
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=400)
    form = tf.transition_form(name, request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, **{f"t-{name}": form})
    try:
        params = transition_params(name, form, _user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=exc.status)
    return _call(request, ticket, services.ticket_transition, _("已执行：%(label)s") % {"label": TRANSITIONS[name].label},
                 transition=name, **params)


@staff_required
@require_POST
def ticket_assign(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.AssignForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, assign=form)
    return _call(request, ticket, services.ticket_assign, _("已分派。"),
                 assignee=form.cleaned_data["assignee"], team=form.cleaned_data["team"])


@staff_required
@require_POST
def ticket_update(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.UpdateForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, update=form)
    return _call(request, ticket, services.ticket_update, _("已保存。"), **form.cleaned_data)


@staff_required
@require_POST
def ticket_link(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = tf.LinkForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, link=form)
    try:
        other = _ticket_by_number(_user(request), form.cleaned_data["number"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "staff/tickets/detail.html", detail_context(request, ticket), status=exc.status)
    return _call(request, ticket, services.ticket_link, _("已关联。"), other=other, kind=form.cleaned_data["kind"])
