"""Writes for the records: assessment, work order, acceptance sign-off, and the archive that freezes them."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import Conflict, PermissionDenied, ValidationFailed
from weibao.records.context import PendingArchive
from weibao.records.kinds import ORDER, RecordKind, filename_of
from weibao.records.models import Acceptance, Archive, ArchivedDocument, Assessment, Decision, WorkOrder
from weibao.records.rendering import record_pdf_render
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_record_event

ARCHIVABLE_STATUSES = frozenset({"closed", "declined"})
ACCEPTABLE_STATUSES = frozenset({"resolved", "closed"})


def _locked(ticket: Ticket) -> Ticket:
    """Lock the request row, so two writers (or a writer and the archiver) go one after the other."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _ensure_not_archived(ticket: Ticket) -> None:
    if Archive.objects.filter(ticket_id=ticket.pk).exists():
        raise Conflict(gettext("服务请求已归档，其记录不能再更改。"), code="archived")


def assessment_record(*, actor: User, ticket: Ticket, decision: str, maintenance_mode: str = "", plan: str = "",
                      reviewer: User | None = None, reviewer_opinion: str = "") -> Assessment:
    access.require(access.is_staff(actor), gettext("只有服务人员可以登记评估。"))
    errors: dict[str, list[str]] = {}
    if decision not in Decision.values:
        errors["decision"] = [gettext("应为以下之一：%(values)s。") % {"values": ", ".join(Decision.values)}]
    if decision == Decision.PLAN and not plan.strip():
        errors["plan"] = [gettext("维护方案须填写内容。")]
    if reviewer is not None and not access.is_staff(reviewer):
        errors["reviewer"] = [gettext("审核人须为服务人员。")]
    if reviewer_opinion.strip() and reviewer is None:
        errors["reviewer"] = [gettext("填写审核意见须指定审核人。")]
    if errors:
        raise ValidationFailed(gettext("评估记录无效。"), details=errors)
    with transaction.atomic():
        ticket = _locked(ticket)
        _ensure_not_archived(ticket)
        row, created = Assessment.objects.update_or_create(ticket=ticket, defaults={
            "decision": decision, "maintenance_mode": maintenance_mode.strip(), "plan": plan.strip(),
            "reviewer": reviewer, "reviewer_opinion": reviewer_opinion.strip(),
            "recorded_by": actor,
        })
        ticket_record_event(actor=actor, ticket=ticket, kind="assessment_recorded",
                            data={"decision": decision, "reviewer": reviewer.pk if reviewer else None, "first": created})
    return row


def work_order_record(*, actor: User, ticket: Ticket, tasks: list[str], engineers: list[User],
                      planned_start: datetime | None = None, planned_end: datetime | None = None, notes: str = "") -> WorkOrder:
    access.require(access.is_staff(actor), gettext("只有服务人员可以填写维护任务单。"))
    clean_tasks = [t.strip() for t in tasks if t and t.strip()]
    errors: dict[str, list[str]] = {}
    if not clean_tasks:
        errors["tasks"] = [gettext("至少填写一项任务。")]
    if not engineers:
        errors["engineers"] = [gettext("至少指定一名工程师。")]
    elif any(not access.is_staff(e) for e in engineers):
        errors["engineers"] = [gettext("工程师须为服务人员。")]
    if planned_start and planned_end and planned_end < planned_start:
        errors["planned_end"] = [gettext("结束时间早于开始时间。")]
    if errors:
        raise ValidationFailed(gettext("维护任务单无效。"), details=errors)
    with transaction.atomic():
        ticket = _locked(ticket)
        _ensure_not_archived(ticket)
        row, _ = WorkOrder.objects.update_or_create(ticket=ticket, defaults={
            "tasks": clean_tasks, "planned_start": planned_start, "planned_end": planned_end, "notes": notes.strip(),
            "recorded_by": actor,
        })
        row.engineers.set(engineers)
        ticket_record_event(actor=actor, ticket=ticket, kind="work_order_recorded",
                            data={"tasks": len(clean_tasks), "engineers": [e.pk for e in engineers]})
    return row


def _did_the_work(actor: User, ticket: Ticket) -> bool:
    if ticket.assignee_id == actor.pk:
        return True
    return WorkOrder.objects.filter(ticket=ticket, engineers=actor).exists()


def _leads_the_team(actor: User, ticket: Ticket) -> bool:
    return bool(ticket.team_id and ticket.team is not None and ticket.team.lead_id == actor.pk)


def acceptance_can_sign(actor: User, ticket: Ticket, acceptance: Acceptance | None) -> bool:
    """Whether acceptance_sign would take this actor's signature now (to offer the form only to them)."""
    if not access.is_staff(actor) or ticket.status not in ACCEPTABLE_STATUSES:
        return False
    if acceptance is None or acceptance.engineer_signed_at is None:
        return _did_the_work(actor, ticket)
    if acceptance.lead_signed_at is None:
        return actor.pk != acceptance.engineer_id and (_leads_the_team(actor, ticket) or access.is_manager_or_admin(actor))
    return False


def acceptance_sign(*, actor: User, ticket: Ticket, passed: bool = True, verification: str = "") -> Acceptance:
    """The engineer who did the work signs first (with the verification); then the team lead countersigns."""
    access.require(access.is_staff(actor), gettext("只有服务人员可以签署验收。"))
    with transaction.atomic():
        ticket = _locked(ticket)
        _ensure_not_archived(ticket)
        if ticket.status not in ACCEPTABLE_STATUSES:
            raise Conflict(gettext("服务请求解决后才能签署验收。"), code="not_resolved",
                           details={"status": ticket.status})
        row, _ = Acceptance.objects.select_for_update().get_or_create(ticket=ticket)
        now = clock.now()
        if row.engineer_signed_at is None:
            if not _did_the_work(actor, ticket):
                raise PermissionDenied(gettext("须由实施维护的工程师先签字。"))
            if not verification.strip():
                raise ValidationFailed(gettext("验收记录无效。"), details={"verification": [gettext("请说明如何验证了修复。")]})
            row.engineer, row.engineer_signed_at = actor, now
            row.passed, row.verification = passed, verification.strip()
            role = "engineer"
        elif row.lead_signed_at is None:
            # A second pair of eyes: the lead (or a manager, when the lead did the work) countersigns.
            if actor.pk == row.engineer_id or not (_leads_the_team(actor, ticket) or access.is_manager_or_admin(actor)):
                raise PermissionDenied(gettext("由组长（或服务经理）复签，实施维护的工程师不能复签。"))
            row.lead, row.lead_signed_at = actor, now
            role = "lead"
        else:
            raise Conflict(gettext("验收已由工程师和组长签署。"), code="already_signed")
        row.save()
        ticket_record_event(actor=actor, ticket=ticket, kind="acceptance_signed", data={"role": role, "passed": row.passed})
    return row


def _write_frozen(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    if path.exists():  # left by an archive attempt that rolled back; no archive row points at it
        path.chmod(0o644)
    os.replace(tmp, path)
    path.chmod(0o444)


def _fingerprint(ticket: Ticket) -> tuple[Any, ...]:
    """Everything the records print changes one of these (every ticket write appends an event)."""
    last_event = TicketEvent.objects.filter(ticket_id=ticket.pk).aggregate(m=Max("id"))["m"]
    stamps = [m.objects.filter(ticket_id=ticket.pk).values_list("updated_at", flat=True).first()
              for m in (Assessment, WorkOrder, Acceptance)]
    return (ticket.updated_at, ticket.status, last_event, *stamps)


def _archive_precheck(ticket: Ticket) -> None:
    _ensure_not_archived(ticket)
    if ticket.status not in ARCHIVABLE_STATUSES:
        raise Conflict(gettext("只有已关闭或已拒绝的服务请求可以归档。"), code="not_closed",
                       details={"status": ticket.status})


def ticket_archive(*, actor: User, ticket: Ticket) -> Archive:
    """File every record of a finished request: stored PDFs + SHA-256, unchangeable afterwards.

    Rendering seven PDFs takes seconds, so it happens before the transaction; the transaction then
    locks the request, checks nothing changed meanwhile (else renders again, once) and stores.
    Holding the lock while rendering would stall every other writer on SQLite.
    """
    access.require(access.is_manager_or_admin(actor), gettext("只有文档管理员可以归档服务请求。"))
    language = settings.LANGUAGE_CODE
    for _attempt in range(2):
        fresh = Ticket.objects.get(pk=ticket.pk)
        _archive_precheck(fresh)
        stamp = _fingerprint(fresh)
        now = clock.now()
        files: dict[str, tuple[str, bytes]] = {}
        for record in ORDER[:-1]:
            files[record.value] = (filename_of(record.value, fresh.number),
                                   record_pdf_render(fresh, record.value, language=language))
        pending = PendingArchive(actor, now, {k: (name, _sha(content), len(content)) for k, (name, content) in files.items()})
        # The archive record lists the others' hashes, so it is rendered after them.
        files[RecordKind.ARCHIVE.value] = (filename_of(RecordKind.ARCHIVE, fresh.number),
                                           record_pdf_render(fresh, RecordKind.ARCHIVE, language=language, pending=pending))
        with transaction.atomic():
            locked = _locked(fresh)
            _archive_precheck(locked)
            if _fingerprint(locked) != stamp:
                continue  # changed while rendering: nothing written yet, render again
            directory = Path("records") / str(now.year) / locked.public_id
            archive = Archive.objects.create(ticket=locked, archived_by=actor, archived_at=now, language=language,
                                             directory=str(directory))
            for kind, (filename, content) in files.items():
                _write_frozen(settings.DATA_DIR / directory / filename, content)
                ArchivedDocument.objects.create(archive=archive, kind=kind, filename=filename, sha256=_sha(content),
                                                size=len(content))
            hashes: dict[str, Any] = {kind: _sha(content) for kind, (_, content) in files.items()}
            ticket_record_event(actor=actor, ticket=locked, kind="archived", data={"sha256": hashes})
            return archive
    raise Conflict(gettext("归档期间服务请求仍在变化，请重试。"), code="changed_while_archiving")


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
