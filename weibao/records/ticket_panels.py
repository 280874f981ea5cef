"""The records box on the request pages (found by weibao.core.panels): downloads, archive state, archive button."""

from __future__ import annotations

from typing import Any

from weibao.accounts import access
from weibao.records.kinds import ORDER, number_of
from weibao.records.models import Acceptance, Archive
from weibao.records.services import ARCHIVABLE_STATUSES, acceptance_can_sign


def _panel(actor: Any, ticket: Any, area: str) -> tuple[str, dict[str, Any]]:
    archive = Archive.objects.filter(ticket_id=ticket.pk).prefetch_related("documents").first()
    hashes = {d.kind: d.sha256 for d in archive.documents.all()} if archive else {}
    rows = [{"kind": k.value, "number": number_of(k), "title": k.label, "sha256": hashes.get(k.value, ""),
             "url": f"/{area}/tickets/{ticket.public_id}/records/{k.value}/"} for k in ORDER]
    can_archive = area == "staff" and archive is None and access.is_manager_or_admin(actor) \
        and ticket.status in ARCHIVABLE_STATUSES
    editable = area == "staff" and archive is None and access.is_staff(actor)
    can_sign = editable and acceptance_can_sign(actor, ticket, Acceptance.objects.filter(ticket_id=ticket.pk).first())
    return "records/_panel.html", {"records": rows, "archive": archive, "area": area, "can_archive": can_archive,
                                   "can_edit": editable, "can_sign": can_sign}


def staff_panel(actor: Any, ticket: Any) -> tuple[str, dict[str, Any]]:
    return _panel(actor, ticket, "staff")


def portal_panel(actor: Any, ticket: Any) -> tuple[str, dict[str, Any]]:
    return _panel(actor, ticket, "portal")
