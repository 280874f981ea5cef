"""Service requests as search documents (the tickets contract: Ticket, Message, Attachment).

One ticket gives: "main" (subject, description, the customer-visible conversation, the resolution;
readable by the ticket's organisation and staff), "internal" (internal notes; staff only) and one
"att:<id>" per attachment with text (internal attachments staff only).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from weibao.search.extract import attachment_text
from weibao.search.index import DocSpec, id_range
from weibao.search.models import Visibility

KIND = "ticket"


class TicketSource:
    kind = KIND

    def __init__(self) -> None:
        from weibao.tickets.models import Attachment, Message, Ticket

        self.Ticket: Any = Ticket
        self.Message: Any = Message
        self.Attachment: Any = Attachment

    def count(self) -> int:
        return int(self.Ticket.objects.count())

    def id_batches(self, batch_size: int) -> Iterator[list[int]]:
        last = 0
        while True:
            ids = list(self.Ticket.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:batch_size])
            if not ids:
                return
            yield ids
            last = ids[-1]

    def documents(self, ids: Sequence[int]) -> dict[int, list[DocSpec]]:
        # values(), not model instances: a full reindex reads a million of these.
        wanted = set(ids)
        tickets = {t["id"]: t for t in self.Ticket.objects.filter(id_range("id", ids)).values(
            "id", "public_id", "number", "subject", "description", "organisation_id", "system_id", "status", "type",
            "resolution_text", "resolution_root_cause", "created_at", "tags") if t["id"] in wanted}
        public: dict[int, list[str]] = {}
        internal: dict[int, list[str]] = {}
        for ticket_id, body, is_internal in (self.Message.objects.filter(id_range("ticket_id", ids))
                                             .order_by("id").values_list("ticket_id", "body", "internal")):
            if ticket_id in tickets:
                (internal if is_internal else public).setdefault(ticket_id, []).append(body or "")
        attachments: dict[int, list[Any]] = {}
        for att in self.Attachment.objects.filter(id_range("ticket_id", ids)).select_related("message").order_by("id"):
            if att.ticket_id in tickets:
                attachments.setdefault(att.ticket_id, []).append(att)
        out: dict[int, list[DocSpec]] = {}
        for tid, t in tickets.items():
            common: dict[str, Any] = {
                "kind": KIND, "ref_id": tid, "public_id": t["public_id"], "title": t["subject"], "created_at": t["created_at"],
                "organisation_id": t["organisation_id"], "system_ids": [t["system_id"]] if t["system_id"] else [],
                "status": str(t["status"]), "subtype": str(t["type"]), "label": t["number"],
            }
            tags = t["tags"] if isinstance(t["tags"], str) else " ".join(map(str, t["tags"] or []))
            body = "\n".join([t["description"] or "", *public.get(tid, []), t["resolution_root_cause"] or "",
                              t["resolution_text"] or ""])
            docs = [DocSpec(**common, body=body, visibility=Visibility.ORGS, org_ids=[t["organisation_id"]], extra_words=tags)]
            if internal.get(tid):
                docs.append(DocSpec(**common, part="internal", body="\n".join(internal[tid]), visibility=Visibility.STAFF))
            for att in attachments.get(tid, []):
                text = attachment_text(sha256=att.sha256, filename=att.filename, content_type=att.content_type,
                                       open_file=att.file.open)
                if not text.strip():
                    continue
                hidden = bool(getattr(att, "internal", False)) or bool(att.message and att.message.internal)
                docs.append(DocSpec(**(common | {"title": f"{t['subject']} · {att.filename}"}), part=f"att:{att.id}", body=text,
                                    visibility=Visibility.STAFF if hidden else Visibility.ORGS,
                                    org_ids=[] if hidden else [t["organisation_id"]]))
            out[tid] = docs
        return out
