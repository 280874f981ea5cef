"""Django's database session store, with its per-request lookup compiled once (weibao.core.prepared).

Every signed-in page reads the session row; compiling ``Session.objects.get(...)`` cost more CPU than the
query itself. Everything else (saving, expiry, clearsessions) is Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from weibao.core.prepared import Param, PreparedQuery

# session_key is the primary key: at most one row, nothing to order.
_SESSION_BY_KEY = PreparedQuery(
    lambda: Session.objects.filter(session_key=Param("key"), expire_date__gt=Param("now")).order_by()[:1]
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _SESSION_BY_KEY.first(key=key, now=timezone.now()) if key is not None else None
        if found is None:
            self._session_key = None  # as Django's: an unknown or expired key starts a new session
        return found
