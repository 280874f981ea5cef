"""Archiving freezes a finished request's records: stored PDFs, SHA-256 in the archive, no change afterwards."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings

from tests import factories as f
from tests.personas import World
from tests.records.factories import declined, make_ticket, work_to
from tests.records.pdf_inspect import pdf_text
from tests.records.test_pdf import full_ticket
from weibao.accounts.models import Role
from weibao.core.errors import Conflict, PermissionDenied
from weibao.records.kinds import RecordKind
from weibao.records.models import Archive, ArchivedDocument
from weibao.records.selectors import ArchiveDamaged, record_file_for
from weibao.records.services import acceptance_sign, assessment_record, ticket_archive, work_order_record
from weibao.tickets.models import Ticket, TicketEvent
from weibao.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


def test_archive_freezes_the_records(world: World, cjk_font) -> None:
    """One archive (rendering seven PDFs is the slow part), checked from every side."""
    ticket = full_ticket(world)
    archive = ticket_archive(actor=world.users["manager"], ticket=ticket)
    stores_every_record_with_its_sha256(ticket, archive)
    download_returns_the_frozen_bytes(world, ticket, archive)
    archived_records_cannot_change(world, ticket, archive)
    a_tampered_archive_file_is_refused(world, ticket, archive)


def stores_every_record_with_its_sha256(ticket: Ticket, archive: Archive) -> None:
    docs = list(archive.documents.all())
    assert [d.kind for d in docs] == [k.value for k in RecordKind]
    for doc in docs:
        path = settings.DATA_DIR / archive.directory / doc.filename
        content = path.read_bytes()
        assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == doc.sha256 and len(content) == doc.size
        assert not path.stat().st_mode & 0o222, "archived files are read-only"
    # the archive record (7) lists the other six with their checksums
    text = "".join(pdf_text((settings.DATA_DIR / archive.directory / docs[-1].filename).read_bytes()).split())
    assert "草稿" not in text
    for doc in docs[:-1]:
        assert doc.sha256 in text
    event = TicketEvent.objects.get(ticket=ticket, kind="archived")
    assert event.data["sha256"] == {d.kind: d.sha256 for d in docs}


def download_returns_the_frozen_bytes(world: World, ticket: Ticket, archive: Archive) -> None:
    frozen = archive.documents.get(kind="registration")
    ticket_update(actor=world.users["manager"], ticket=ticket, subject="改过的标题")
    for lang in ("zh-hans", "en"):
        got = record_file_for(world.users["customer_a"], ticket.public_id, "registration", language=lang)
        assert got.archived and got.sha256 == frozen.sha256
        assert hashlib.sha256(got.content).hexdigest() == frozen.sha256
        assert "改过的标题" not in pdf_text(got.content)


def archived_records_cannot_change(world: World, ticket: Ticket, archive: Archive) -> None:
    manager = world.users["manager"]
    with pytest.raises(Conflict):
        ticket_archive(actor=manager, ticket=ticket)
    with pytest.raises(Conflict):
        assessment_record(actor=manager, ticket=ticket, decision="immediate")
    with pytest.raises(Conflict):
        work_order_record(actor=manager, ticket=ticket, tasks=["再做一次"], engineers=[world.users["engineer"]])
    with pytest.raises(Conflict):
        acceptance_sign(actor=manager, ticket=ticket, verification="x")
    archive.language = "en"
    with pytest.raises(Conflict):
        archive.save()
    doc = archive.documents.first()
    assert doc is not None
    doc.sha256 = "0" * 64
    with pytest.raises(Conflict):
        doc.save()
    with pytest.raises(Conflict):
        ArchivedDocument.objects.filter(archive=archive).update(sha256="0" * 64)
    with pytest.raises(Conflict):
        ArchivedDocument.objects.filter(archive=archive).delete()
    with pytest.raises(Conflict):
        Archive.objects.get(pk=archive.pk).delete()
    archive.refresh_from_db()
    assert archive.language == "zh-hans"
    assert ArchivedDocument.objects.filter(archive=archive).exclude(sha256="0" * 64).count() == 7


def a_tampered_archive_file_is_refused(world: World, ticket: Ticket, archive: Archive) -> None:
    doc = archive.documents.get(kind="receipt")
    path = settings.DATA_DIR / archive.directory / doc.filename
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"%tampered")
    with pytest.raises(ArchiveDamaged):
        record_file_for(world.users["manager"], ticket.public_id, "receipt", language="zh-hans")


def test_only_finished_requests_are_archived_by_the_document_administrator(world: World, cjk_font) -> None:
    open_ticket = work_to(make_ticket(world), world, until="resolved")
    with pytest.raises(Conflict):
        ticket_archive(actor=world.users["manager"], ticket=open_ticket)
    closed = work_to(make_ticket(world), world)
    for persona in ("engineer", "customer_a"):
        with pytest.raises(PermissionDenied):
            ticket_archive(actor=world.users[persona], ticket=closed)
    assert not Archive.objects.exists()
    # a declined request is finished too, and its receipt carries the reason
    archive = ticket_archive(actor=world.users["admin"], ticket=declined(world, "不属于合同约定的维护范围"))
    receipt = archive.documents.get(kind="receipt")
    assert "不属于合同约定的维护范围" in pdf_text((settings.DATA_DIR / archive.directory / receipt.filename).read_bytes())


def test_acceptance_is_signed_by_the_engineer_then_countersigned(world: World) -> None:
    worker = f.UserFactory(role=Role.ENGINEER, display_name="王工")
    f.add_member(world.team, worker)
    ticket = work_to(make_ticket(world), world, until="in_progress")
    with pytest.raises(Conflict):  # not resolved yet
        acceptance_sign(actor=world.users["engineer"], ticket=ticket, verification="x")
    ticket = work_to(ticket, world, until="resolved")
    ticket.assignee = worker
    ticket.save(update_fields=["assignee"])
    with pytest.raises(PermissionDenied):  # the lead did not do the work: the engineer signs first
        acceptance_sign(actor=world.users["engineer"], ticket=ticket, verification="x")
    row = acceptance_sign(actor=worker, ticket=ticket, verification="回归测试通过")
    assert row.engineer == worker and row.lead_signed_at is None
    with pytest.raises(PermissionDenied):  # not twice by the same person
        acceptance_sign(actor=worker, ticket=ticket)
    row = acceptance_sign(actor=world.users["engineer"], ticket=ticket)  # the team lead
    assert row.complete and row.lead == world.users["engineer"]
    with pytest.raises(Conflict):
        acceptance_sign(actor=world.users["manager"], ticket=ticket)
    assert TicketEvent.objects.filter(ticket=ticket, kind="acceptance_signed").count() == 2


def test_archive_renders_outside_the_lock_and_retries_when_the_request_changed(world: World, monkeypatch) -> None:
    """Our own retry logic, with rendering replaced by cheap bytes (real PDFs are covered above)."""
    from weibao.records import services
    from weibao.tickets.services import ticket_record_event

    ticket = work_to(make_ticket(world), world)
    calls: list[str] = []

    def render(t, kind, *, language, pending=None):  # type: ignore[no-untyped-def]
        calls.append(kind)
        if len(calls) == 1:  # someone writes to the request while the first round renders
            ticket_record_event(actor=world.users["engineer"], ticket=t, kind="note_added", data={})
        return f"%PDF-fake {kind} {len(calls)}".encode()

    monkeypatch.setattr(services, "record_pdf_render", render)
    archive = ticket_archive(actor=world.users["manager"], ticket=ticket)
    assert len(calls) == 14, "the first round was thrown away and everything rendered again"
    assert archive.documents.count() == 7

    def always_changing(t, kind, *, language, pending=None):  # type: ignore[no-untyped-def]
        ticket_record_event(actor=world.users["engineer"], ticket=t, kind="note_added", data={})
        return b"%PDF-fake"

    other = work_to(make_ticket(world), world)
    monkeypatch.setattr(services, "record_pdf_render", always_changing)
    with pytest.raises(Conflict) as err:
        ticket_archive(actor=world.users["manager"], ticket=other)
    assert err.value.code == "changed_while_archiving"
    assert not Archive.objects.filter(ticket=other).exists()
