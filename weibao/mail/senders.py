"""Who wrote a mail: a known contact, a staff member, a new contact of an organisation that owns the
sender's mail domain, or nobody we know."""

from __future__ import annotations

from dataclasses import dataclass

from weibao.accounts.models import CUSTOMER_ROLES, Contact, User
from weibao.mail.lookups import IngestLookups


@dataclass(frozen=True)
class Sender:
    address: str
    name: str
    contact: Contact | None = None
    staff: User | None = None
    created_contact: bool = False

    def actor_for(self, organisation_id: int) -> User | None:
        """The user a change is attributed to: staff, or the contact's own customer account in that org."""
        if self.staff is not None:
            return self.staff
        user = self.contact.user if self.contact is not None else None
        if user is not None and user.is_active and user.role in CUSTOMER_ROLES and user.organisation_id == organisation_id:
            return user
        return None


def resolve_sender(*, address: str, name: str, organisation_id: int | None = None,
                   lookups: IngestLookups | None = None) -> Sender:
    """`organisation_id`: of the request the mail threads into, to choose among contacts sharing an address."""
    lookups = lookups or IngestLookups()
    address = address.lower()
    if not address or "@" not in address:
        return Sender(address, name)
    staff = lookups.staff(address)
    if staff is not None:
        return Sender(address, name, staff=staff)
    contacts = lookups.contacts(address)
    if contacts:
        preferred = [c for c in contacts if organisation_id is not None and c.organisation_id == organisation_id]
        return Sender(address, name, contact=(preferred or contacts)[0])
    owner = lookups.domain_owner(address.rpartition("@")[2])
    if owner is None:
        return Sender(address, name)
    display = (name or address.partition("@")[0]).strip()[:100]
    contact = Contact.objects.create(organisation=owner, name=display, email=address)
    lookups.note_contact(address, contact)
    return Sender(address, name, contact=contact, created_contact=True)
