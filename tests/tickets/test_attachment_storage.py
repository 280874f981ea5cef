"""Attachment files follow their transaction: a rolled-back reply or upload leaves no file behind."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.tickets import services
from weibao.tickets.attachments import IncomingFile
from weibao.tickets.models import Attachment, Message, Ticket
from weibao.tickets.states import Status


def _files(settings: Any, ticket: Ticket) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / "tickets" / ticket.public_id
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_reply_rolled_back_by_its_caller_takes_its_files_with_it(world: World, settings: Any) -> None:
    ticket = make_ticket(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_reply(actor=world.users["engineer"], ticket=ticket, body="日志见附件",
                              attachments=[IncomingFile("app.log", b"ERROR 1"), IncomingFile("b.txt", b"two")])
        assert len(_files(settings, ticket)) == 2  # written while the transaction is open
        raise RuntimeError("the caller fails after the reply")
    gc.collect()
    assert _files(settings, ticket) == []
    assert not Attachment.objects.exists() and not Message.objects.filter(ticket=ticket).exists()


def test_a_reply_failing_after_its_files_were_stored_leaves_none(world: World, api: Callable[..., Any], settings: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = place(make_ticket(world), Status.WAITING_CUSTOMER, world)

    def broken(**kwargs: Any) -> Ticket:
        raise RuntimeError("resume failed")

    # A customer's answer resumes the work after the attachments are stored; make that last step fail.
    monkeypatch.setattr(services, "ticket_transition", broken)
    with pytest.raises(RuntimeError):
        api(world.users["customer_a"]).post(f"/api/v1/tickets/{ticket.public_id}/messages",
                                            {"body": "截图如下", "files": [SimpleUploadedFile("s.png", b"\x89PNG....")]},
                                            format="multipart")
    gc.collect()
    assert _files(settings, ticket) == [] and not Attachment.objects.exists()


def test_an_upload_in_a_rolled_back_savepoint_is_removed_and_the_rest_kept(world: World, settings: Any,
                                                                            django_capture_on_commit_callbacks: Any) -> None:
    ticket = make_ticket(world)
    with django_capture_on_commit_callbacks(execute=True):
        kept = services.ticket_attach(actor=world.users["engineer"], ticket=ticket,
                                      attachments=[IncomingFile("keep.txt", b"keep")])
        with pytest.raises(RuntimeError), transaction.atomic():
            services.ticket_attach(actor=world.users["engineer"], ticket=ticket,
                                   attachments=[IncomingFile("drop.txt", b"drop")])
            raise RuntimeError("inner step fails")
    gc.collect()
    assert _files(settings, ticket) == [Path(kept[0].file.path)]
    assert Path(kept[0].file.path).read_bytes() == b"keep"
