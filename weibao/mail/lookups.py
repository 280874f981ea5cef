"""What one intake run (an import, an IMAP poll, one SMTP delivery) would otherwise look up for every message.

An archive of 10,000 mails from 200 people asks 10,000 times who `a@b.cn` is, which organisation owns
`b.cn`, whether the message was seen before, and how many mails that sender sent in the last hour. A run
reads each answer once and keeps it in memory:

* never longer than MAX_AGE seconds, so a long run sees what administrators change meanwhile;
* forgotten whenever a message's processing is rolled back (a contact created there no longer exists);
* updated by the run's own writes (a contact it created, a message it recorded, a request a mail joined).

A run belongs to one thread; it is not shared between the SMTP server's workers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Lower

from weibao.accounts.models import STAFF_ROLES, Contact, Organisation, OrganisationKind, User
from weibao.core import clock
from weibao.mail.models import InboundMessage, Mailbox

_ABSENT = 0  # "known not to be recorded" in `_recorded`; row ids start at 1


class IngestLookups:
    MAX_AGE = 300.0

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._started = time.monotonic()
        self._ours: set[str] | None = None
        self._staff: dict[str, User | None] = {}
        self._contacts: dict[str, list[Contact]] = {}
        self._domains: dict[str, Organisation | None] = {}
        self._sent: dict[str, int] = {}  # sender → mails recorded in the last hour, this run's included
        self._threads: dict[str, int] = {}  # Message-ID → request, for mail this run put on a request
        self._recorded: dict[tuple[int | None, str], int] = {}  # (mailbox, dedupe key) → row id, or _ABSENT
        # dedupe key → mailboxes this run recorded it in, for keys no mailbox had recorded when prefetched
        self._nowhere: dict[str, set[int | None]] = {}

    def forget(self) -> None:
        self._reset()

    def processing_failed(self) -> None:
        """A message's processing was rolled back: so was any contact it created while the run looked on."""
        self._contacts.clear()

    def refresh_if_old(self) -> None:
        if time.monotonic() - self._started > self.MAX_AGE:
            self._reset()

    # -- idempotency ------------------------------------------------------------------------------

    def prefetch(self, mailbox: Mailbox | None, keys: Iterable[str]) -> None:
        """One query for a batch of dedupe keys instead of one (or two, with the twin check) per message."""
        keys = list(dict.fromkeys(keys))
        # Only the current batch is kept: a repeat across batches is found by its own query.
        self._recorded.clear()
        self._nowhere.clear()
        if not keys:
            return
        box = mailbox.id if mailbox is not None else None
        anywhere: set[str] = set()
        for key, mailbox_id, row_id in InboundMessage.objects.filter(dedupe_key__in=keys).values_list(
            "dedupe_key", "mailbox_id", "id"
        ):
            anywhere.add(key)
            if mailbox_id == box:
                self._recorded[(box, key)] = row_id
        for key in keys:
            self._recorded.setdefault((box, key), _ABSENT)
            if key not in anywhere:
                self._nowhere[key] = set()

    def recorded(self, mailbox: Mailbox | None, key: str) -> int | None:
        """The row id of this message in this mailbox, _ABSENT (0) when known new, None when not known."""
        return self._recorded.get((mailbox.id if mailbox is not None else None, key))

    def note_recorded(self, inbound: InboundMessage) -> None:
        self._recorded[(inbound.mailbox_id, inbound.dedupe_key)] = inbound.id
        if inbound.dedupe_key in self._nowhere:
            self._nowhere[inbound.dedupe_key].add(inbound.mailbox_id)
        if inbound.from_addr in self._sent:
            self._sent[inbound.from_addr] += 1

    def no_twin(self, inbound: InboundMessage) -> bool:
        """True when no other mailbox can hold this message (so the twin query can be skipped)."""
        boxes = self._nowhere.get(inbound.dedupe_key)
        return boxes is not None and boxes <= {inbound.mailbox_id}

    # -- loop limit -------------------------------------------------------------------------------

    def recent_from(self, inbound: InboundMessage) -> int:
        """Mails from this sender recorded in the last hour, not counting this one."""
        address = inbound.from_addr
        if address not in self._sent:
            since = clock.now() - timedelta(hours=1)
            count = InboundMessage.objects.filter(from_addr=address, received_at__gte=since).exclude(id=inbound.id).count()
            self._sent[address] = count + 1
        return self._sent[address] - 1

    # -- who wrote --------------------------------------------------------------------------------

    def our_addresses(self) -> set[str]:
        if self._ours is None:
            import re

            mine = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
            from_default = re.search(r"<([^>]+)>", settings.DEFAULT_FROM_EMAIL)
            mine.add((from_default.group(1) if from_default else settings.DEFAULT_FROM_EMAIL).strip().lower())
            self._ours = mine
        return self._ours

    def staff(self, address: str) -> User | None:
        if address not in self._staff:
            self._staff[address] = User.objects.filter(email__iexact=address, is_active=True, role__in=STAFF_ROLES).first()
        return self._staff[address]

    def contacts(self, address: str) -> list[Contact]:
        if address not in self._contacts:
            self._contacts[address] = list(
                Contact.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower=address, is_active=True)
                .select_related("organisation", "user")
                .order_by("id")
            )
        return self._contacts[address]

    def note_contact(self, address: str, contact: Contact) -> None:
        self._contacts[address] = [contact]

    def domain_owner(self, domain: str) -> Organisation | None:
        if domain not in self._domains:
            candidates = Organisation.objects.filter(
                kind=OrganisationKind.CUSTOMER, is_active=True, email_domains__icontains=domain
            )
            owners = [o for o in candidates if domain in o.domains()]
            # Two organisations claiming one domain is a configuration mistake: trust neither.
            self._domains[domain] = owners[0] if len(owners) == 1 else None
        return self._domains[domain]

    # -- threading --------------------------------------------------------------------------------

    def thread_ticket_id(self, ids: list[str]) -> int | None:
        """The request of the nearest reference when this run put that mail on one; None: ask the database."""
        return self._threads.get(ids[0]) if ids else None

    def note_thread(self, message_id: str, ticket_id: int | None) -> None:
        if message_id and ticket_id is not None:
            self._threads.setdefault(message_id, ticket_id)
