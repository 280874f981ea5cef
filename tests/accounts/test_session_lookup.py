"""The session store and the user lookup of signed-in requests (prepared queries): Django's answers, one query each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory
from weibao.accounts.backends import UsernameOrEmailBackend
from weibao.accounts.models import Role
from weibao.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _signed_in(role: str = Role.ENGINEER) -> tuple[Client, Any]:
    user = UserFactory(role=role)
    client = Client()
    client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    return client, user


def test_settings_use_this_store() -> None:
    assert settings.SESSION_ENGINE == "weibao.accounts.sessions"


def test_signed_in_page_reads_session_and_user_once_each() -> None:
    client, user = _signed_in()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/accounts/me/")
    assert response.status_code == 200 and response.wsgi_request.user == user
    sqls = [q["sql"] for q in captured.captured_queries]
    assert sum("django_session" in s and s.startswith("SELECT") for s in sqls) == 1
    assert sum('FROM "accounts_user"' in s and s.startswith("SELECT") for s in sqls) >= 1


def test_expired_unknown_and_missing_sessions_are_anonymous() -> None:
    client, _user = _signed_in()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).get("_auth_user_id") is not None
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    assert client.get("/accounts/me/").status_code == 302  # back to the sign-in page
    assert SessionStore(None).load() == {}


def test_backend_get_user_matches_django() -> None:
    backend = UsernameOrEmailBackend()
    user = UserFactory(role=Role.MANAGER)
    assert backend.get_user(user.pk) == user
    assert backend.get_user(str(user.pk)) == user  # the session stores the id as text
    assert backend.get_user(user.pk + 1000) is None
    inactive = UserFactory(role=Role.MANAGER, is_active=False)
    assert backend.get_user(inactive.pk) is None
