"""Writes on service requests. Each is keyword-only, one transaction, and appends events to the outbox.

Work around the request (time, visits, surveys, follow-ups, reviews, rules) is in `services_work.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.models import STAFF_ROLES, Contact, Organisation, Team, User
from weibao.core import clock
from weibao.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from weibao.core.inserts import save_new
from weibao.core.prepared import Param, PreparedQuery
from weibao.core.rows import update_values
from weibao.customers.entitlement import entitlement_for
from weibao.customers.models import Component, Environment, System
from weibao.tickets import attachments as files
from weibao.tickets import caches, numbering
from weibao.tickets.events import event_append, events_append_many
from weibao.tickets.models import (
    Attachment,
    Channel,
    EntitlementKindChoice,
    Level,
    LinkKind,
    MaintenanceCategory,
    Message,
    Priority,
    ResolutionMethod,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)
from weibao.tickets.rendering import mentioned_usernames, render_markdown
from weibao.tickets.states import TRANSITIONS, By, Status, actor_kind, allowed_transitions, refusal

DEFAULT_MATRIX = {
    ("high", "high"): "p1", ("high", "medium"): "p2", ("medium", "high"): "p2",
    ("high", "low"): "p3", ("medium", "medium"): "p3", ("low", "high"): "p3",
    ("medium", "low"): "p4", ("low", "medium"): "p4", ("low", "low"): "p4",
}


def priority_for(urgency: str, impact: str) -> str:
    return caches.matrix.get().get((urgency, impact)) or DEFAULT_MATRIX[(urgency, impact)]


def _choice(errors: dict[str, list[str]], name: str, value: Any, choices: Any) -> None:
    if value not in choices.values:
        errors.setdefault(name, []).append(_("取值应为：%(values)s") % {"values": ", ".join(v for v in choices.values if v)})


def can_see(actor: User | None, ticket: Ticket) -> bool:
    if actor is None or access.is_staff(actor):
        return True
    return access.is_customer(actor) and actor.organisation_id == ticket.organisation_id


def _require_visible(actor: User | None, ticket: Ticket) -> None:
    if not can_see(actor, ticket):
        raise NotFound(_("服务请求不存在。"))


def _require_staff(actor: User | None) -> None:
    if actor is not None and not access.is_staff(actor):
        raise PermissionDenied(_("只有服务人员可以执行此操作。"))


# A customer's create asks for their contact every time: compiled once (see weibao.core.prepared).
_CONTACT_OF_USER = PreparedQuery(lambda: Contact.objects.filter(user=Param("user")).order_by()[:1])


@transaction.atomic
def ticket_create(*, actor: User | None, organisation: Organisation, subject: str, description: str, channel: str,
                  requester: Contact | None = None, system: System | None = None, component: Component | None = None,
                  environment: Environment | None = None, type: str = "fault", urgency: str = "medium",
                  impact: str = "medium", unverified_requester: bool = False, parent: Ticket | None = None,
                  tags: Iterable[str] = ()) -> Ticket:
    """Register a request (客户咨询/反馈登记). actor None = the system (mail intake, monitoring)."""
    if actor is not None:
        if access.is_customer(actor):
            if actor.organisation_id != organisation.id:
                raise NotFound(_("组织不存在。"))
            if requester is None:  # the customer's own contact (one-to-one: nothing to order)
                requester = _CONTACT_OF_USER.first(user=actor)
        elif not access.is_staff(actor):
            raise PermissionDenied(_("您无权提交服务请求。"))
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("请填写标题。")]
    elif len(subject) > 300:
        errors["subject"] = [_("标题不能超过 300 个字符。")]
    _choice(errors, "channel", channel, Channel)
    _choice(errors, "type", type, TicketType)
    _choice(errors, "urgency", urgency, Level)
    _choice(errors, "impact", impact, Level)
    if requester is not None and requester.organisation_id != organisation.id:
        errors["requester"] = [_("联系人不属于该客户。")]
    if system is not None and system.organisation_id != organisation.id:
        errors["system"] = [_("系统不属于该客户。")]
    if component is not None and (system is None or component.system_id != system.id):
        errors["component"] = [_("组件不属于所选系统。")]
    if environment is not None and (system is None or environment.system_id != system.id):
        errors["environment"] = [_("环境不属于所选系统。")]
    if parent is not None and parent.organisation_id != organisation.id:
        errors["parent"] = [_("上级请求不属于该客户。")]
    if errors:
        raise ValidationFailed(_("服务请求无效。"), details=errors)
    now = clock.now()
    from weibao.tickets.assignment import team_for  # the rules read tickets' own tables only

    ticket = Ticket(
        organisation=organisation, requester=requester, system=system,
        component=component, environment=environment, channel=channel, type=type, urgency=urgency, impact=impact,
        priority=priority_for(urgency, impact), subject=subject, description=description or "",
        unverified_requester=unverified_requester, parent=parent, tags=sorted({t.strip() for t in tags if t.strip()}),
    )
    ticket.team = team_for(ticket)
    year = timezone.localtime(now).year
    ticket.id = numbering.reserve_id()
    if ticket.id is None:  # SQLite: the transaction holds the database's write lock from its start; order is free
        ticket.number = numbering.next_number(year)
        save_new(ticket)
        _append_created(ticket, actor)
    else:
        # The year's number row stays locked from its increment to the commit (see numbering.py): the ticket's
        # own rows go in first (the event's foreign key is checked at commit), the number and the ticket last.
        _append_created(ticket, actor)
        numbering.insert_numbered(ticket, year)
    return ticket


def _append_created(ticket: Ticket, actor: User | None) -> None:
    # The number is not in the snapshot: on PostgreSQL it is drawn after this event is written (it never changes,
    # and the event belongs to the ticket that carries it).
    event_append(ticket=ticket, actor=actor, kind="created", after=_snapshot(ticket),
                 data={"channel": ticket.channel, "by_staff": access.is_staff(actor)})


def _snapshot(t: Ticket) -> dict[str, Any]:
    return {"status": t.status, "priority": t.priority, "urgency": t.urgency, "impact": t.impact,
            "type": t.type, "team_id": t.team_id, "assignee_id": t.assignee_id, "system_id": t.system_id}


def _lock(ticket: Ticket) -> Ticket:
    # The row lock (PostgreSQL) / write transaction (SQLite IMMEDIATE) makes the guard check and the write atomic.
    return Ticket.objects.select_for_update().select_related("organisation").get(pk=ticket.pk)


def _refuse(ticket: Ticket, actor: User | None, reason: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(reason, details={"status": ticket.status, "allowed": allowed_transitions(ticket, actor)})


@transaction.atomic
def ticket_transition(*, actor: User | None, ticket: Ticket, transition: str, **params: Any) -> Ticket:
    """Fire a named transition. Checks the guard on fresh, locked state; 409 (with the allowed list) otherwise.

    Optional `expected_status`: refuse if the ticket moved since the caller looked (compare-and-set).
    """
    _require_visible(actor, ticket)
    spec = TRANSITIONS.get(transition)
    fresh = _lock(ticket)
    if spec is None:
        raise _refuse(fresh, actor, _("未知的操作：%(name)s") % {"name": transition})
    expected = params.pop("expected_status", None)
    if expected and expected != fresh.status:
        raise _refuse(fresh, actor, _("请求状态已被他人更改，请刷新后重试。"))
    now = clock.now()
    reason = refusal(fresh, actor, spec, now)
    if reason is not None:
        raise _refuse(fresh, actor, reason)
    before = {"status": fresh.status}
    data: dict[str, Any] = {"transition": transition, "from": fresh.status, "to": spec.target.value,
                            "automatic": actor is None}
    _APPLY[transition](fresh, actor, params, data, now)
    fresh.status = spec.target.value
    if actor is not None and access.is_staff(actor) and fresh.first_response_at is None:
        fresh.first_response_at = now
    fresh.save()
    event_append(ticket=fresh, actor=actor, kind="transitioned", before=before, after={"status": fresh.status}, data=data)
    return fresh


def _text(params: dict[str, Any], name: str, *, required: bool = False, limit: int = 5000) -> str:
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(_("请填写%(field)s。") % {"field": name}, details={name: [_("必填。")]})
    if len(value) > limit:
        raise ValidationFailed(_("内容过长。"), details={name: [_("不能超过 %(n)s 个字符。") % {"n": limit}]})
    return value


def _apply_assess(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    category = p.get("maintenance_category", t.maintenance_category) or ""
    if category not in MaintenanceCategory.values:
        raise ValidationFailed(_("维护类别无效。"), details={"maintenance_category": [", ".join(MaintenanceCategory.values)]})
    t.maintenance_category = category
    t.assessment_note = _text(p, "assessment_note") or t.assessment_note
    kind = p.get("entitlement_kind")
    if kind:
        _override_entitlement(t, actor, kind, _text(p, "entitlement_reason"))
    elif t.system_id is not None:
        decision = entitlement_for(system=t.system, at=now)  # type: ignore[arg-type]
        t.entitlement_kind, t.entitlement_reason, t.entitlement_overridden = decision.kind.value, decision.reason, False
    data.update(entitlement_kind=t.entitlement_kind, maintenance_category=t.maintenance_category)


def _override_entitlement(t: Ticket, actor: User | None, kind: str, reason: str) -> None:
    if not access.is_manager_or_admin(actor):
        raise PermissionDenied(_("只有服务经理可以调整费用性质。"))
    if kind not in EntitlementKindChoice.values or not kind:
        raise ValidationFailed(_("费用性质无效。"), details={"entitlement_kind": ["free, prepaid, paid"]})
    if not reason:
        raise ValidationFailed(_("调整费用性质须说明理由。"), details={"entitlement_reason": [_("必填。")]})
    t.entitlement_kind, t.entitlement_reason, t.entitlement_overridden = kind, reason, True


def _apply_assign(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    if "assignee" in p or "team" in p:
        _set_assignment(t, actor, p.get("assignee", t.assignee), p.get("team", t.team))
    if t.assignee_id is None and t.team_id is None:
        raise ValidationFailed(_("请指定处理人或团队。"), details={"assignee": [_("必填。")]})
    data.update(assignee_id=t.assignee_id, team_id=t.team_id)


def _apply_nothing(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    note = _text(p, "note")
    if note:
        data["note"] = note


def _apply_resolve(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    method = p.get("resolution_method") or t.resolution_method
    if method not in ResolutionMethod.values or not method:
        raise ValidationFailed(_("请选择解决方式。"), details={"resolution_method": [", ".join(v for v in ResolutionMethod.values if v)]})
    text = _text(p, "resolution_text") or t.resolution_text
    if not text:
        raise ValidationFailed(_("请填写解决说明。"), details={"resolution_text": [_("必填。")]})
    if method == ResolutionMethod.DATA_FIX and t.data_fix_consent_at is None:
        # The contracts: back-end data is changed only after the customer agreed; front-end guidance comes first.
        raise _refuse(t, actor, _("后台数据修复须先记录客户同意。"))
    t.resolution_method, t.resolution_text = method, text
    t.resolution_root_cause = _text(p, "resolution_root_cause") or t.resolution_root_cause
    t.resolved_at = now
    data["resolution_method"] = method


def _apply_close(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    t.closed_at = now
    t.closed_automatically = data["transition"] == "auto_close"  # a confirm by mail link has no actor either
    _apply_nothing(t, actor, p, data, now)


def _apply_back_to_work(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    t.reopen_count += 1
    t.resolved_at = None
    t.closed_at = None
    t.closed_automatically = False
    data["reason"] = _text(p, "reason")
    data["reopen_count"] = t.reopen_count


def _apply_decline(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    t.decline_reason = _text(p, "reason", required=True)
    t.closed_at = now
    data["reason"] = t.decline_reason


def _apply_merge(t: Ticket, actor: User | None, p: dict[str, Any], data: dict[str, Any], now: Any) -> None:
    into = p.get("into")
    if not isinstance(into, Ticket):
        raise ValidationFailed(_("请指定合并到的请求。"), details={"into": [_("必填。")]})
    into = Ticket.objects.get(pk=into.pk)
    if into.pk == t.pk or into.organisation_id != t.organisation_id or into.status in (Status.MERGED, Status.DECLINED):
        raise ValidationFailed(_("不能合并到该请求。"), details={"into": [_("须为同一客户的另一个有效请求。")]})
    t.merged_into = into
    t.closed_at = now
    data.update(into_id=into.id, into_number=into.number)
    event_append(ticket=into, actor=actor, kind="merge_received", data={"from_id": t.id, "from_number": t.number})


_APPLY = {
    "assess": _apply_assess, "assign": _apply_assign, "start": _apply_nothing, "request_info": _apply_nothing,
    "wait_third_party": _apply_nothing, "resume": _apply_nothing, "propose_resolution": _apply_resolve,
    "confirm": _apply_close, "reject": _apply_back_to_work, "auto_close": _apply_close, "decline": _apply_decline,
    "merge": _apply_merge, "reopen": _apply_back_to_work,
}
assert set(_APPLY) == set(TRANSITIONS), "every transition needs its parameter handler"


def _set_assignment(t: Ticket, actor: User | None, assignee: User | None, team: Team | None) -> None:
    if assignee is not None and (assignee.role not in STAFF_ROLES or not assignee.is_active):
        raise ValidationFailed(_("处理人须为在职服务人员。"), details={"assignee": [_("不是服务人员。")]})
    before = {"assignee_id": t.assignee_id, "team_id": t.team_id}
    t.assignee, t.team = assignee, team
    after = {"assignee_id": t.assignee_id, "team_id": t.team_id}
    if before != after:
        event_append(ticket=t, actor=actor, kind="assigned", before=before, after=after)
        if assignee is not None:
            t.watchers.add(assignee)


@transaction.atomic
def ticket_assign(*, actor: User | None, ticket: Ticket, assignee: User | None = None, team: Team | None = None) -> Ticket:
    """Set assignee and/or team (event `assigned`); a new or assessed request also moves to `assigned`."""
    _require_staff(actor)
    fresh = _lock(ticket)
    if Status(fresh.status) in (Status.NEW, Status.ASSESSED):
        return ticket_transition(actor=actor, ticket=fresh, transition="assign", assignee=assignee,
                                 team=team if team is not None else fresh.team)
    if Status(fresh.status) not in (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER,
                                    Status.WAITING_THIRD_PARTY, Status.RESOLVED):
        raise _refuse(fresh, actor, _("已结束的请求不能再分派。"))
    _set_assignment(fresh, actor, assignee, team if team is not None else fresh.team)
    fresh.save(update_fields=["assignee", "team", "updated_at"])
    return fresh


UPDATE_GROUPS: dict[str, tuple[str, ...]] = {
    "content": ("subject", "description"),
    "classification": ("type", "maintenance_category", "channel"),
    "priority": ("urgency", "impact", "priority"),
    "scope": ("system", "component", "environment", "requester"),
    "tags": ("tags",),
}


@transaction.atomic
def ticket_update(*, actor: User | None, ticket: Ticket, **fields: Any) -> Ticket:
    """Change descriptive fields; one `updated` event per changed group (data.group) with before/after."""
    _require_staff(actor)
    known = {name for names in UPDATE_GROUPS.values() for name in names} | {"team", "assignee"}
    unknown = set(fields) - known
    if unknown:
        raise ValidationFailed(_("不能修改这些字段。"), details={k: [_("不可修改。")] for k in sorted(unknown)})
    t = _lock(ticket)
    if "team" in fields or "assignee" in fields:
        t = ticket_assign(actor=actor, ticket=t, assignee=fields.pop("assignee", t.assignee), team=fields.pop("team", t.team))
    errors: dict[str, list[str]] = {}
    for name, choices in (("type", TicketType), ("channel", Channel), ("urgency", Level), ("impact", Level),
                          ("priority", Priority), ("maintenance_category", MaintenanceCategory)):
        if name in fields:
            _choice(errors, name, fields[name], choices)
    if "subject" in fields and not str(fields["subject"] or "").strip():
        errors["subject"] = [_("请填写标题。")]
    system = fields.get("system", t.system)
    if system is not None and system.organisation_id != t.organisation_id:
        errors["system"] = [_("系统不属于该客户。")]
    for name in ("component", "environment"):
        obj = fields.get(name, getattr(t, name))
        if obj is not None and (system is None or obj.system_id != system.id):
            errors[name] = [_("不属于所选系统。")]
    requester = fields.get("requester", t.requester)
    if requester is not None and requester.organisation_id != t.organisation_id:
        errors["requester"] = [_("联系人不属于该客户。")]
    if errors:
        raise ValidationFailed(_("修改无效。"), details=errors)
    if "tags" in fields:
        fields["tags"] = sorted({str(x).strip() for x in fields["tags"] if str(x).strip()})
    if ("urgency" in fields or "impact" in fields) and "priority" not in fields:
        fields["priority"] = priority_for(fields.get("urgency", t.urgency), fields.get("impact", t.impact))
    for group, names in UPDATE_GROUPS.items():
        before, after = {}, {}
        for name in names:
            if name not in fields:
                continue
            old, new = getattr(t, name), fields[name]
            if old != new:
                before[name], after[name] = _plain(old), _plain(new)
                setattr(t, name, new)
        if after:
            event_append(ticket=t, actor=actor, kind="updated", before=before, after=after, data={"group": group})
    t.save()
    return t


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def ticket_reply(*, actor: User | None, ticket: Ticket, body: str, internal: bool = False, contact: Contact | None = None,
                 channel: str = "portal", attachments: Iterable[Any] = ()) -> Message:
    """Add to the conversation. Customers cannot write internal notes; a customer's answer resumes the work."""
    _require_visible(actor, ticket)
    by_staff = access.is_staff(actor)
    if internal and not by_staff:
        raise PermissionDenied(_("只有服务人员可以写内部备注。"))
    if channel not in Channel.values:
        raise ValidationFailed(_("渠道无效。"), details={"channel": [", ".join(Channel.values)]})
    body = (body or "").strip()
    checked = files.checked(attachments)
    if not body and not checked:
        raise ValidationFailed(_("请填写内容。"), details={"body": [_("必填。")]})
    if len(body) > 100_000:
        raise ValidationFailed(_("内容过长。"), details={"body": [_("不能超过 100000 个字符。")]})
    if contact is not None and contact.organisation_id != ticket.organisation_id:
        raise ValidationFailed(_("联系人不属于该客户。"), details={"contact": [_("不属于该客户。")]})
    if contact is None and actor is not None and access.is_customer(actor):
        contact = Contact.objects.filter(user=actor).first()
    now = clock.now()
    t = _lock(ticket)
    message = save_new(Message(ticket=t, author_user=actor, author_contact=contact, body=body,
                               body_html=render_markdown(body), internal=internal, channel=channel, created_at=now))
    mentions: list[int] = []
    if by_staff:
        names = mentioned_usernames(body)
        if names:
            mentioned = list(User.objects.filter(username__in=names, role__in=STAFF_ROLES, is_active=True))
            mentions = [u.id for u in mentioned]
            t.watchers.add(*mentioned)
    event_append(ticket=t, actor=actor, kind="replied",
                 data={"message_id": message.id, "internal": internal, "by_staff": by_staff, "mentions": mentions,
                       "channel": channel})
    _store_attachments(t, actor, message, checked, internal)
    if by_staff and not internal and t.first_response_at is None:
        t.first_response_at = now
        t.save(update_fields=["first_response_at", "updated_at"])
    if not by_staff and Status(t.status) == Status.WAITING_CUSTOMER:
        ticket_transition(actor=actor if actor_kind(actor) is By.CUSTOMER else None, ticket=t, transition="resume",
                          note=_("客户已答复。"))
    return message


def _store_attachments(t: Ticket, actor: User | None, message: Message | None,
                       checked: list[tuple[files.IncomingFile, str, str]], internal: bool) -> list[Attachment]:
    stored: list[Attachment] = []
    for f, content_type, digest in checked:
        att = Attachment(ticket=t, message=message, filename=f.filename, content_type=content_type,
                         size=len(f.content), sha256=digest, internal=internal, uploaded_by=actor)
        att.file.save(att.public_id, files.as_content(f), save=False)
        # Whatever fails later, here or in the caller's transaction, takes the file with the rolled-back row.
        files.delete_on_rollback(att.file.storage, att.file.name or "")
        att.save()
        stored.append(att)
        event_append(ticket=t, actor=actor, kind="attachment_added",
                     data={"attachment_id": att.id, "filename": att.filename, "size": att.size, "internal": internal,
                           "message_id": message.id if message else None})
    return stored


@transaction.atomic
def ticket_attach(*, actor: User | None, ticket: Ticket, attachments: Iterable[Any], internal: bool = False) -> list[Attachment]:
    """Attach files without a message. Limits are checked for every file before any is stored."""
    _require_visible(actor, ticket)
    if internal and not access.is_staff(actor):
        raise PermissionDenied(_("只有服务人员可以添加内部附件。"))
    checked = files.checked(attachments)
    if not checked:
        raise ValidationFailed(_("请选择文件。"), details={"file": [_("必填。")]})
    return _store_attachments(_lock(ticket), actor, None, checked, internal)


@transaction.atomic
def ticket_record_event(*, actor: User | None, ticket: Ticket, kind: str, data: dict[str, Any]) -> TicketEvent:
    """A fact another app puts on the timeline (delivery_failed, alarm_attached, sla_breached…)."""
    kind = (kind or "").strip()
    if not kind or len(kind) > 40 or kind in {"created", "transitioned", "replied", "updated", "assigned"}:
        raise ValidationFailed(_("事件类型无效。"), details={"kind": [_("须为 1–40 个字符，且不是服务请求自身的事件类型。")]})
    return event_append(ticket=ticket, actor=actor, kind=kind, data=dict(data))


@transaction.atomic
def ticket_record_events(*, actor: User | None, kind: str, items: list[tuple[int, dict[str, Any]]]) -> list[TicketEvent]:
    """The same fact for many tickets (ticket id, data) in a few queries: the SLA sweep's breaches and escalations."""
    kind = (kind or "").strip()
    if not kind or len(kind) > 40 or kind in {"created", "transitioned", "replied", "updated", "assigned"}:
        raise ValidationFailed(_("事件类型无效。"), details={"kind": [_("须为 1–40 个字符，且不是服务请求自身的事件类型。")]})
    return events_append_many(actor=actor, kind=kind, items=[(tid, dict(data)) for tid, data in items])


@transaction.atomic
def ticket_link(*, actor: User | None, ticket: Ticket, other: Ticket, kind: str) -> TicketLink:
    _require_staff(actor)
    if kind not in LinkKind.values:
        raise ValidationFailed(_("关联类型无效。"), details={"kind": [", ".join(LinkKind.values)]})
    if other.pk == ticket.pk:
        raise ValidationFailed(_("不能关联自身。"), details={"other": [_("不能关联自身。")]})
    if other.organisation_id != ticket.organisation_id:
        raise ValidationFailed(_("只能关联同一客户的请求。"), details={"other": [_("不属于该客户。")]})
    link, created = TicketLink.objects.get_or_create(source=ticket, target=other, kind=kind, defaults={"created_by": actor})
    if created:
        event_append(ticket=ticket, actor=actor, kind="linked", data={"other_id": other.id, "other_number": other.number, "kind": kind})
    return link


@transaction.atomic
def ticket_record_consent(*, actor: User | None, ticket: Ticket, note: str) -> Ticket:
    """Record that the customer agreed to a back-end data fix (phone call, mail, signed form)."""
    _require_staff(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("请记录客户同意的方式与时间。"), details={"note": [_("必填。")]})
    t = _lock(ticket)
    t.data_fix_consent_at, t.data_fix_consent_note = clock.now(), note
    t.save(update_fields=["data_fix_consent_at", "data_fix_consent_note", "updated_at"])
    event_append(ticket=t, actor=actor, kind="consent_recorded", data={"note": note})
    return t


@transaction.atomic
def ticket_set_entitlement(*, actor: User | None, ticket: Ticket, kind: str, reason: str) -> Ticket:
    """A manager overrides the assessed entitlement, with a reason."""
    t = _lock(ticket)
    before = {"entitlement_kind": t.entitlement_kind, "entitlement_reason": t.entitlement_reason}
    _override_entitlement(t, actor, kind, (reason or "").strip())
    t.save()
    event_append(ticket=t, actor=actor, kind="entitlement_overridden", before=before,
                 after={"entitlement_kind": t.entitlement_kind, "entitlement_reason": t.entitlement_reason})
    return t


@transaction.atomic
def ticket_watch(*, actor: User, ticket: Ticket, user: User | None = None, watching: bool = True) -> None:
    _require_staff(actor)
    target = user or actor
    if target.role not in STAFF_ROLES:
        raise ValidationFailed(_("关注人须为服务人员。"), details={"user": [_("不是服务人员。")]})
    if watching:
        ticket.watchers.add(target)
    else:
        ticket.watchers.remove(target)
    event_append(ticket=ticket, actor=actor, kind="watched" if watching else "unwatched", data={"user_id": target.id})


def ticket_due_set(*, ticket_id: int, due_at: datetime | None) -> None:
    """Store the request's earliest running SLA deadline (the SLA app's derived value; no event, no `updated_at`:
    a clock moving is not a change a person made). Writes only when the value differs."""
    Ticket.objects.filter(id=ticket_id).exclude(due_at=due_at).update(due_at=due_at)


def tickets_due_set(due: dict[int, datetime | None]) -> None:
    """`ticket_due_set` for many requests at once (one UPDATE run per row); the caller passes only changes."""
    update_values(Ticket, ["due_at"], list(due.items()))
