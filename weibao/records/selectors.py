"""Reads of the records on a user's path: access-checked through the tickets selector."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from weibao.accounts import access
from weibao.core.errors import DomainError, NotFound
from weibao.records.kinds import RecordKind, filename_of
from weibao.records.models import Acceptance, Archive, ArchivedDocument, Assessment, WorkOrder
from weibao.records.rendering import record_pdf_render
from weibao.tickets.models import Ticket
from weibao.tickets.selectors import ticket_get_for


class ArchiveDamaged(DomainError):
    """A stored PDF no longer matches the SHA-256 written when it was archived."""

    code = "archive_damaged"
    status = 500


@dataclass(frozen=True)
class RecordFile:
    filename: str
    content: bytes
    archived: bool
    sha256: str


def archived_document_read(document: ArchivedDocument) -> bytes:
    path = settings.DATA_DIR / document.archive.directory / document.filename
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ArchiveDamaged(gettext("归档文件 %(name)s 无法读取：%(error)s") % {"name": document.filename, "error": exc}) from exc
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise ArchiveDamaged(gettext("归档文件 %(name)s 与其 SHA-256 不符。") % {"name": document.filename})
    return content


def record_file_for(actor: access.Actor | None, ticket_public_id: str, kind: str, *, language: str) -> RecordFile:
    """The record as PDF: the frozen bytes once archived (whatever the language asked), else rendered now."""
    ticket = ticket_get_for(actor, ticket_public_id)
    if kind not in RecordKind.values:
        raise NotFound(gettext("未知的记录类型：%(kind)s") % {"kind": kind}, details={"kinds": RecordKind.values})
    document = ArchivedDocument.objects.select_related("archive").filter(archive__ticket=ticket, kind=kind).first()
    if document is not None:
        return RecordFile(document.filename, archived_document_read(document), True, document.sha256)
    content = record_pdf_render(ticket, kind, language=language)
    return RecordFile(filename_of(kind, ticket.number), content, False, hashlib.sha256(content).hexdigest())


def archive_for(actor: access.Actor | None, ticket_public_id: str) -> Archive | None:
    ticket = ticket_get_for(actor, ticket_public_id)
    return Archive.objects.filter(ticket=ticket).select_related("archived_by").prefetch_related("documents").first()


@dataclass(frozen=True)
class RecordFacts:
    """What the staff forms start from: the rows recorded so far (None when not yet) and whether archived."""

    assessment: Assessment | None
    work_order: WorkOrder | None
    acceptance: Acceptance | None
    archived: bool


def record_facts_for(actor: access.Actor | None, ticket_public_id: str) -> tuple[Ticket, RecordFacts]:
    ticket = ticket_get_for(actor, ticket_public_id)
    work_order = WorkOrder.objects.filter(ticket=ticket).prefetch_related("engineers").first()
    facts = RecordFacts(
        assessment=Assessment.objects.filter(ticket=ticket).select_related("reviewer").first(),
        work_order=work_order,
        acceptance=Acceptance.objects.filter(ticket=ticket).select_related("engineer", "lead").first(),
        archived=Archive.objects.filter(ticket=ticket).exists(),
    )
    return ticket, facts
