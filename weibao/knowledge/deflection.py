"""Self-service deflection: a request being written, the suggestions opened, and whether it was sent.

The portal's suggestion script makes a random token per request form. Opening a suggestion records it;
sending the form marks the session submitted. A session with an opened suggestion and no submission
after GRACE is a deflected request: the customer found the answer instead of asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.accounts.models import User
from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.knowledge.models import SuggestionSession

GRACE = timedelta(hours=1)
MAX_OPENED = 50


def _session(actor: Actor | None, token: str) -> SuggestionSession:
    token = (token or "").strip()
    if not (8 <= len(token) <= 40) or not token.replace("-", "").isalnum():
        raise ValidationFailed(_("token 不正确"), details={"token": [_("8 到 40 个字母、数字或连字符。")]})
    user = actor if isinstance(actor, User) and actor.is_authenticated else None
    session, _created = SuggestionSession.objects.select_for_update().get_or_create(
        token=token, defaults={"user": user, "organisation_id": getattr(user, "organisation_id", None)})
    if session.user_id is not None and (user is None or session.user_id != user.id):
        # Somebody else's token: treat as a fresh, unrelated token rather than touching their record.
        raise ValidationFailed(_("token 不正确"), details={"token": [_("已被使用。")]})
    return session


@transaction.atomic
def suggestion_opened(*, actor: Actor | None, token: str, kind: str, public_id: str, query: str = "") -> SuggestionSession:
    access.require(access.is_authenticated(actor), _("请先登录。"))
    if kind not in ("article", "ticket"):
        raise ValidationFailed(_("type 不正确"), details={"type": [_("article 或 ticket。")]})
    session = _session(actor, token)
    entry = {"type": kind, "id": public_id[:24], "at": clock.now().isoformat()}
    if len(session.opened) < MAX_OPENED:
        session.opened = [*session.opened, entry]
    session.first_opened_at = session.first_opened_at or clock.now()
    session.query = query[:500] or session.query
    session.save()
    return session


@transaction.atomic
def suggestion_submitted(*, actor: Actor | None, token: str) -> SuggestionSession:
    access.require(access.is_authenticated(actor), _("请先登录。"))
    session = _session(actor, token)
    if session.submitted_at is None:
        session.submitted_at = clock.now()
        session.save(update_fields=["submitted_at"])
    return session


@dataclass(frozen=True)
class DeflectionStats:
    sessions_with_suggestion_opened: int
    submitted_anyway: int
    deflected: int

    def as_dict(self) -> dict[str, Any]:
        return {"opened": self.sessions_with_suggestion_opened, "submitted": self.submitted_anyway, "deflected": self.deflected}


def deflection_stats(*, start: datetime, end: datetime) -> DeflectionStats:
    cutoff = clock.now() - GRACE
    opened = SuggestionSession.objects.filter(first_opened_at__gte=start, first_opened_at__lt=end)
    return DeflectionStats(
        sessions_with_suggestion_opened=opened.count(),
        submitted_anyway=opened.filter(submitted_at__isnull=False).count(),
        deflected=opened.filter(submitted_at__isnull=True, first_opened_at__lt=cutoff).count(),
    )
