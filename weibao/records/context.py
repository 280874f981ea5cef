"""What each record prints, read from the request, its events and the records models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weibao.core import clock
from weibao.records.kinds import ORDER, RecordKind, number_of
from weibao.records.models import Acceptance, Archive, Assessment, WorkOrder
from weibao.tickets.models import FollowUp, Survey, Ticket, TicketEvent, Visit

# The records print these in the reader's language whatever the tickets app's catalogue holds, so the
# printed forms stay complete in English too.
CHANNELS = {"phone": _("电话"), "email": _("邮件"), "portal": _("客户门户"), "chat": _("即时通讯"), "api": _("接口"),
            "monitoring": _("监控告警"), "onsite": _("现场")}
TYPES = {"consultation": _("咨询"), "fault": _("故障"), "service_request": _("服务请求"), "customisation": _("定制开发"),
         "upgrade": _("升级"), "training": _("培训"), "complaint": _("投诉")}
CATEGORIES = {"corrective": _("纠错性维护"), "adaptive": _("适应性维护"), "perfective": _("完善性维护")}
LEVELS = {"high": _("高"), "medium": _("中"), "low": _("低")}
ENTITLEMENTS = {"free": _("免费"), "prepaid": _("预付费（扣减预付工时）"), "paid": _("收费")}
METHODS = {"frontend_guidance": _("前端指导"), "configuration": _("配置调整"), "data_fix": _("后台数据修复"),
           "code_fix": _("代码修复"), "workaround": _("临时规避"), "not_reproducible": _("无法复现")}
STATUSES = {"new": _("新建"), "assessed": _("已评估"), "assigned": _("已分配"), "in_progress": _("处理中"),
            "waiting_customer": _("等待客户"), "waiting_third_party": _("等待第三方"), "resolved": _("已解决"),
            "closed": _("已关闭"), "declined": _("不予维护"), "merged": _("已合并")}


def label(table: dict[str, Any], value: str | None, ticket: Ticket, field: str) -> str:
    if not value:
        return ""
    if value in table:
        return str(table[value])
    return str(getattr(ticket, f"get_{field}_display")())


def local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@dataclass
class DocumentRow:
    number: int
    kind: str
    title: Any
    filename: str = ""
    sha256: str = ""
    size: int = 0


@dataclass
class PendingArchive:
    """What the archive record (7) prints: who filed it, when, and each other record's file and SHA-256.

    Built before the archive rows exist, so the PDFs can be rendered outside the locking transaction.
    """

    archived_by: Any
    archived_at: datetime
    documents: dict[str, tuple[str, str, int]]

    @classmethod
    def of(cls, archive: Archive) -> PendingArchive:
        docs = {d.kind: (d.filename, d.sha256, d.size) for d in archive.documents.all()}
        return cls(archive.archived_by, archive.archived_at, docs)


def _events(ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("id"))


def _transition(events: list[TicketEvent], *names: str) -> TicketEvent | None:
    """The last event of one of the named transitions (the timeline keeps every attempt)."""
    found = None
    for event in events:
        if event.kind == "transitioned" and (event.data or {}).get("transition") in names:
            found = event
    return found


def _survey(ticket: Ticket) -> dict[str, Any]:
    survey = Survey.objects.filter(ticket=ticket, answered_at__isnull=False).first()
    if survey is None:
        return {}
    return {"rating": survey.rating, "comment": survey.comment, "at": local(survey.answered_at)}


def _follow_up(ticket: Ticket) -> dict[str, Any]:
    follow_up = FollowUp.objects.filter(ticket=ticket).select_related("by").order_by("-id").first()
    if follow_up is None:
        return {}
    return {"result": follow_up.get_result_display(), "note": follow_up.note, "by": _person(follow_up.by),
            "at": local(follow_up.created_at)}


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def record_context(ticket: Ticket, kind: str, *, pending: PendingArchive | None = None) -> dict[str, Any]:
    events = _events(ticket)
    created = next((e for e in events if e.kind == "created"), None)
    requester = ticket.requester
    base: dict[str, Any] = {
        "kind": kind,
        "doc_number": number_of(kind),
        "title": RecordKind(kind).label,
        "t": ticket,
        "received_at": local(ticket.created_at),
        "generated_at": local(clock.now()),
        "channel": label(CHANNELS, ticket.channel, ticket, "channel"),
        "type": label(TYPES, ticket.type, ticket, "type"),
        "category": label(CATEGORIES, ticket.maintenance_category, ticket, "maintenance_category"),
        "urgency": label(LEVELS, ticket.urgency, ticket, "urgency"),
        "impact": label(LEVELS, ticket.impact, ticket, "impact"),
        "priority": (ticket.priority or "").upper(),
        "status": label(STATUSES, ticket.status, ticket, "status"),
        "organisation": ticket.organisation.name,
        "requester": requester.name if requester else "",
        "requester_phone": requester.phone if requester else "",
        "requester_email": requester.email if requester else "",
        "system": str(ticket.system) if ticket.system_id else "",
        "component": str(ticket.component) if ticket.component_id else "",
        "environment": str(ticket.environment) if ticket.environment_id else "",
        "registered_by": _person(created.actor) if created else "",
        "entitlement": label(ENTITLEMENTS, ticket.entitlement_kind, ticket, "entitlement_kind"),
        "entitlement_reason": ticket.entitlement_reason,
        "method": label(METHODS, ticket.resolution_method, ticket, "resolution_method"),
        "assignee": _person(ticket.assignee),
        "team": str(ticket.team) if ticket.team_id else "",
        "first_response_at": local(ticket.first_response_at),
        "resolved_at": local(ticket.resolved_at),
        "closed_at": local(ticket.closed_at),
    }
    assessed = _transition(events, "assess")
    declined = _transition(events, "decline")
    assessment = Assessment.objects.filter(ticket=ticket).select_related("reviewer").first()
    decline_reason = ticket.decline_reason or (str((declined.data or {}).get("reason", "")) if declined else "")
    base |= {"assessment": assessment, "assessed_at": local(assessed.created_at if assessed else None),
             "assessed_by": _person(assessed.actor) if assessed else "", "declined": ticket.status == "declined" or bool(declined),
             "decline_reason": decline_reason}
    if kind in (RecordKind.WORK_ORDER, RecordKind.ACCEPTANCE, RecordKind.ASSESSMENT):
        work = WorkOrder.objects.filter(ticket=ticket).first()
        started = _transition(events, "start")
        engineers = [str(u) for u in work.engineers.all()] if work else []
        base |= {"work": work, "engineers": engineers or ([base["assignee"]] if base["assignee"] else []),
                 "planned_start": local(work.planned_start if work else None),
                 "planned_end": local(work.planned_end if work else None),
                 "started_at": local(started.created_at if started else None),
                 "visits": [{"date": v.date, "engineers": "、".join(str(u) for u in v.engineers.all()),
                             "arrived": local(v.arrived_at), "departed": local(v.departed_at),
                             "signatory": v.customer_signatory, "summary": v.summary}
                            for v in Visit.objects.filter(ticket=ticket).prefetch_related("engineers").order_by("date", "id")]}
    if kind in (RecordKind.OPINION, RecordKind.ACCEPTANCE):
        confirmed = _transition(events, "confirm")
        base |= {"survey": _survey(ticket), "follow_up": _follow_up(ticket), "confirmed_at": local(confirmed.created_at if confirmed else None),
                 "confirmed_comment": ((confirmed.data or {}).get("note") or (confirmed.data or {}).get("comment", "")) if confirmed else "",
                 "rejections": ticket.reopen_count}
    if kind == RecordKind.ACCEPTANCE:
        acceptance = Acceptance.objects.filter(ticket=ticket).select_related("engineer", "lead").first()
        base |= {"acceptance": acceptance,
                 "engineer_signed_at": local(acceptance.engineer_signed_at if acceptance else None),
                 "lead_signed_at": local(acceptance.lead_signed_at if acceptance else None)}
    if kind == RecordKind.ARCHIVE:
        if pending is None:
            archive = Archive.objects.filter(ticket=ticket).select_related("archived_by").first()
            pending = PendingArchive.of(archive) if archive else None
        rows = []
        for other in ORDER[:-1]:
            doc = pending.documents.get(other.value) if pending else None
            rows.append(DocumentRow(number_of(other), other.value, other.label, *(doc or ("", "", 0))))
        base |= {"archive": pending, "documents": rows, "archived_at": local(pending.archived_at if pending else None)}
    return base
