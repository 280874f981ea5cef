"""Who wrote a mail: a known contact, a staff member, a new contact of an organisation that owns the
sender's mail domain, or nobody we know."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.functions import Lower

from weibao.accounts.models import CUSTOMER_ROLES, STAFF_ROLES, Contact, Organisation, OrganisationKind, User


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


def _domain_organisation(domain: str) -> Organisation | None:
    candidates = Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True, email_domains__icontains=domain)
    owners = [o for o in candidates if domain in o.domains()]
    # Two organisations claiming one domain is a configuration mistake: trust neither.
    return owners[0] if len(owners) == 1 else None


def resolve_sender(*, address: str, name: str, organisation: Organisation | None = None) -> Sender:
    """`organisation`: the request the mail threads into, to choose among contacts sharing an address."""
    address = address.lower()
    if not address or "@" not in address:
        return Sender(address, name)
    staff = User.objects.filter(email__iexact=address, is_active=True, role__in=STAFF_ROLES).first()
    if staff is not None:
        return Sender(address, name, staff=staff)
    contacts = list(
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=address, is_active=True)
        .select_related("organisation", "user")
        .order_by("id")
    )
    if contacts:
        preferred = [c for c in contacts if organisation is not None and c.organisation_id == organisation.id]
        return Sender(address, name, contact=(preferred or contacts)[0])
    owner = _domain_organisation(address.rpartition("@")[2])
    if owner is None:
        return Sender(address, name)
    display = (name or address.partition("@")[0]).strip()[:100]
    contact = Contact.objects.create(organisation=owner, name=display, email=address)
    return Sender(address, name, contact=contact, created_contact=True)
