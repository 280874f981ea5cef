"""What each record prints, read from the request, its events and the records models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from weibao.core import clock
from weibao.records.kinds import ORDER, RecordKind, number_of
from weibao.records.models import Acceptance, Archive, Assessment, WorkOrder
from weibao.tickets.models import FollowUp, Survey, Ticket, TicketEvent, Visit


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


def record_context(ticket: Ticket, kind: str) -> dict[str, Any]:
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
        "channel": ticket.get_channel_display(),
        "type": ticket.get_type_display(),
        "category": ticket.get_maintenance_category_display() if ticket.maintenance_category else "",
        "urgency": ticket.get_urgency_display(),
        "impact": ticket.get_impact_display(),
        "priority": (ticket.priority or "").upper(),
        "status": ticket.get_status_display(),
        "organisation": ticket.organisation.name,
        "requester": requester.name if requester else "",
        "requester_phone": requester.phone if requester else "",
        "requester_email": requester.email if requester else "",
        "system": str(ticket.system) if ticket.system_id else "",
        "component": str(ticket.component) if ticket.component_id else "",
        "environment": str(ticket.environment) if ticket.environment_id else "",
        "registered_by": _person(created.actor) if created else "",
        "entitlement": ticket.get_entitlement_kind_display() if ticket.entitlement_kind else "",
        "entitlement_reason": ticket.entitlement_reason,
        "method": ticket.get_resolution_method_display() if ticket.resolution_method else "",
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
        archive = Archive.objects.filter(ticket=ticket).select_related("archived_by").first()
        stored = {d.kind: d for d in archive.documents.all()} if archive else {}
        rows = []
        for other in ORDER[:-1]:
            doc = stored.get(other.value)
            rows.append(DocumentRow(number_of(other), other.value, other.label, doc.filename if doc else "",
                                    doc.sha256 if doc else "", doc.size if doc else 0))
        base |= {"archive": archive, "documents": rows, "archived_at": local(archive.archived_at if archive else None)}
    return base
