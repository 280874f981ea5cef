from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from weibao.accounts.models import User
from weibao.core.prepared import Param, PreparedQuery

# Every signed-in request loads its user by the id in the session: compiled once (weibao.core.prepared).
_USER_BY_ID = PreparedQuery(lambda: User.objects.filter(pk=Param("pk")).order_by()[:1])


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with the username or the e-mail address (case-insensitive)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or password is None:
            return None
        username = username.strip()
        field = "email__iexact" if "@" in username else "username__iexact"
        user = User.objects.filter(**{field: username}).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        # Django's ModelBackend.get_user (same answer, same one query) without compiling the query each time.
        user = _USER_BY_ID.first(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
