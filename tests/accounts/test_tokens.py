"""Personal API tokens: made and revoked in the UI and the API, used as Bearer, scoped, revocable."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from weibao.accounts.models import ApiToken, Role, TokenScope
from weibao.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_for_script_by_username_and_password() -> None:
    user = UserFactory(username="script", role=Role.MANAGER)
    response = APIClient().post("/api/v1/auth/token", {"username": "SCRIPT", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    raw = response.json()["token"]
    token = ApiToken.objects.get(user=user)
    assert raw.startswith("wb_") and token.key_hash != raw and raw not in token.key_hash  # only a hash is kept
    listed = _bearer(raw).get("/api/v1/tokens")
    assert listed.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_endpoint_refuses_bad_payload_and_bad_password() -> None:
    UserFactory(username="p")
    bad = APIClient().post("/api/v1/auth/token", {"username": "p"}, format="json")
    assert bad.status_code == 400 and "password" in bad.json()["details"]
    wrong = APIClient().post("/api/v1/auth/token", {"username": "p", "password": "wrong-one"}, format="json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"
    assert not ApiToken.objects.exists()


def test_read_only_token_reads_but_cannot_write() -> None:
    manager = UserFactory(role=Role.MANAGER)
    raw = api_token_create(actor=manager, name="report", scope=TokenScope.READ).raw
    client = _bearer(raw)
    assert client.get("/api/v1/systems").status_code == 200
    response = client.post("/api/v1/tokens", {"name": "more", "scope": "write"}, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "details"}
    assert ApiToken.objects.filter(user=manager).count() == 1


def test_read_write_token_can_write() -> None:
    manager = UserFactory(role=Role.MANAGER)
    raw = api_token_create(actor=manager, name="sync", scope=TokenScope.WRITE).raw
    response = _bearer(raw).post("/api/v1/tokens", {"name": "second", "scope": "read"}, format="json")
    assert response.status_code == 201
    assert ApiToken.objects.filter(user=manager).count() == 2


def test_revoked_token_is_refused() -> None:
    user = UserFactory()
    raw = api_token_create(actor=user, name="old", scope=TokenScope.WRITE).raw
    client = _bearer(raw)
    token_id = ApiToken.objects.get(user=user).public_id
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    response = client.get("/api/v1/tokens")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "authentication_failed"


def test_garbage_and_malformed_bearer_headers_are_401() -> None:
    assert _bearer("wb_not-a-real-token").get("/api/v1/tokens").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert client.get("/api/v1/tokens").status_code == 401


def test_token_of_an_inactive_user_is_refused() -> None:
    user = UserFactory()
    raw = api_token_create(actor=user, name="x", scope=TokenScope.READ).raw
    user.is_active = False
    user.save()
    assert _bearer(raw).get("/api/v1/tokens").status_code == 401


def test_tokens_are_created_and_revoked_on_the_account_page() -> None:
    user = UserFactory(username="ui")
    client = Client()
    client.post("/accounts/login/", {"username": "ui", "password": PASSWORD})
    page = client.post("/accounts/me/", {"create_token": "1", "name": "监控脚本", "scope": "read"})
    assert page.status_code == 200
    raw = page.context["new_token"]
    assert raw and raw in page.content.decode()  # shown once
    token = ApiToken.objects.get(user=user)
    assert token.name == "监控脚本" and token.scope == TokenScope.READ
    assert _bearer(raw).get("/api/v1/tokens").status_code == 200
    # the secret is not shown again
    assert raw not in client.get("/accounts/me/").content.decode()

    response = client.post("/accounts/me/", {"revoke_token": token.public_id})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _bearer(raw).get("/api/v1/tokens").status_code == 401
    assert token.name not in client.get("/accounts/me/").content.decode()


def test_account_page_refuses_a_token_without_a_name() -> None:
    user = UserFactory(username="noname")
    client = Client()
    client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    page = client.post("/accounts/me/", {"create_token": "1", "name": "", "scope": "read"})
    assert page.status_code == 200 and page.context["new_token"] is None
    assert not ApiToken.objects.exists()


def test_one_user_cannot_revoke_anothers_token() -> None:
    owner, other = UserFactory(), UserFactory()
    api_token_create(actor=owner, name="mine")
    token = ApiToken.objects.get(user=owner)
    client = Client()
    client.force_login(other, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    client.post("/accounts/me/", {"revoke_token": token.public_id})
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_answers_in_the_bearer_users_language_and_time_zone() -> None:
    english = UserFactory(role=Role.CUSTOMER, language="en", timezone="Europe/Berlin")
    raw = api_token_create(actor=english, name="en", scope=TokenScope.READ).raw
    response = _bearer(raw).get("/api/v1/systems/nope/entitlement")
    assert response.status_code == 404
    assert response["Content-Language"] == "en"
    chinese = UserFactory(role=Role.CUSTOMER)
    raw_zh = api_token_create(actor=chinese, name="zh", scope=TokenScope.READ).raw
    assert _bearer(raw_zh).get("/api/v1/tokens")["Content-Language"] == "zh-hans"
