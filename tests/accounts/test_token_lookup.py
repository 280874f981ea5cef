"""api_token_authenticate (a prepared query): the right token or None, the user and organisation in one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import OrganisationFactory, UserFactory
from weibao.accounts.models import ApiToken, Role, TokenScope
from weibao.accounts.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)


def test_valid_token_brings_its_user_and_organisation(django_assert_num_queries: Any) -> None:
    org = OrganisationFactory()
    user = UserFactory(role=Role.CUSTOMER, organisation=org)
    other = UserFactory(role=Role.CUSTOMER, organisation=OrganisationFactory())
    raw = api_token_create(actor=user, name="script").raw
    api_token_create(actor=other, name="script")
    token = api_token_authenticate(raw)
    assert token is not None and token.user == user and token.scope == TokenScope.READ
    with django_assert_num_queries(0):
        assert token.user.organisation == org
        assert token.user.organisation.name == org.name


def test_staff_token_user_without_organisation(django_assert_num_queries: Any) -> None:
    manager = UserFactory(role=Role.MANAGER, organisation=None)
    token = api_token_authenticate(api_token_create(actor=manager, name="ops").raw)
    assert token is not None and token.user == manager
    with django_assert_num_queries(0):
        assert token.user.organisation is None


def test_revoked_inactive_and_unknown_tokens_are_none() -> None:
    user = UserFactory(role=Role.MANAGER)
    revoked = api_token_create(actor=user, name="old")
    api_token_revoke(actor=user, public_id=revoked.token.public_id)
    assert api_token_authenticate(revoked.raw) is None
    inactive_user = UserFactory(role=Role.MANAGER, is_active=False)
    assert api_token_authenticate(api_token_create(actor=inactive_user, name="x").raw) is None
    assert api_token_authenticate("wb_unknown") is None
    assert api_token_authenticate("") is None
    live = api_token_create(actor=user, name="live")
    assert api_token_authenticate(live.raw) == live.token


def test_last_used_at_is_written_at_most_once_a_minute() -> None:
    user = UserFactory(role=Role.MANAGER)
    new = api_token_create(actor=user, name="script")
    with time_machine.travel(START, tick=False) as traveller:
        with CaptureQueriesContext(connection) as first:
            api_token_authenticate(new.raw)
        assert [q["sql"].split()[0] for q in first.captured_queries] == ["SELECT", "UPDATE"]
        assert ApiToken.objects.get(pk=new.token.pk).last_used_at == START
        traveller.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as again:
            api_token_authenticate(new.raw)
        assert [q["sql"].split()[0] for q in again.captured_queries] == ["SELECT"]
        assert ApiToken.objects.get(pk=new.token.pk).last_used_at == START
        traveller.shift(timedelta(seconds=2))
        token = api_token_authenticate(new.raw)
        assert token is not None
        assert ApiToken.objects.get(pk=new.token.pk).last_used_at == START + timedelta(seconds=61)


def test_bearer_authentication_costs_one_query_per_request() -> None:
    user = UserFactory(role=Role.MANAGER)
    raw = api_token_create(actor=user, name="script").raw
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    forced = APIClient()
    forced.force_authenticate(user)
    assert bearer.get("/api/v1/tokens").status_code == 200  # writes last_used_at
    assert forced.get("/api/v1/tokens").status_code == 200
    with CaptureQueriesContext(connection) as by_token:
        assert bearer.get("/api/v1/tokens").status_code == 200
    with CaptureQueriesContext(connection) as without_auth:
        assert forced.get("/api/v1/tokens").status_code == 200
    assert len(by_token.captured_queries) == len(without_auth.captured_queries) + 1
    token_queries = [q["sql"] for q in by_token.captured_queries if "accounts_apitoken" in q["sql"]]
    assert len(token_queries) == 2  # the lookup, and the page's own list of tokens
