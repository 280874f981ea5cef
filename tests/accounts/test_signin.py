"""Sign-in: username or e-mail, throttling, TOTP second step, required two-factor, admin routed through us."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from weibao.accounts.models import LoginAttempt, Role, User

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _login(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> object:
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def _whoami(client: Client) -> str | None:
    response = client.get("/api/v1/tokens")
    if response.status_code != 200:
        return None
    return str(client.session.get("_auth_user_id"))


def test_sign_in_by_username_case_insensitive() -> None:
    user = UserFactory(username="Wang.Li", email="wang@example.com")
    client = Client()
    response = _login(client, "wang.li")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_by_email_case_insensitive() -> None:
    user = UserFactory(username="liu", email="Liu.Yang@Example.com")
    client = Client()
    response = _login(client, "  liu.yang@EXAMPLE.COM ")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_is_refused_and_recorded() -> None:
    UserFactory(username="zhao")
    client = Client()
    response = _login(client, "zhao", "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "用户名或密码不正确" in response.content.decode()
    assert LoginAttempt.objects.filter(username="zhao").count() == 1


def test_inactive_user_cannot_sign_in() -> None:
    UserFactory(username="gone", is_active=False)
    client = Client()
    _login(client, "gone")
    assert "_auth_user_id" not in client.session


def test_safe_next_is_followed_and_foreign_next_is_not() -> None:
    UserFactory(username="sun")
    assert _login(Client(), "sun", next_url="/accounts/me/")["Location"] == "/accounts/me/"  # type: ignore[index]
    assert _login(Client(), "sun", next_url="https://evil.example/")["Location"] == "/"  # type: ignore[index]


def test_login_is_throttled_after_repeated_failures_and_recovers_after_the_window(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    UserFactory(username="qian", email="qian@example.com")
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        # failures by name and by e-mail share one budget
        for name in ("qian", "QIAN@example.com", "qian"):
            assert _login(client, name, "wrong-password").status_code == 200
        response = _login(client, "qian")  # the right password no longer helps
        assert response.status_code == 429
        assert response["Retry-After"] == str(15 * 60)
        assert "登录失败次数过多" in response.content.decode()
        assert "_auth_user_id" not in client.session
        traveller.shift(timedelta(minutes=16))
        assert _login(client, "qian").status_code == 302
        assert "_auth_user_id" in client.session
    assert not LoginAttempt.objects.filter(username="qian").exists()  # success clears the slate


def test_api_token_endpoint_is_throttled_with_retry_after(settings, api) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    UserFactory(username="li")
    client = api()
    for _ in range(2):
        assert client.post("/api/v1/auth/token", {"username": "li", "password": "nope-nope"}, format="json").status_code == 401
    response = client.post("/api/v1/auth/token", {"username": "li", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_MINUTES * 60
    assert response.json()["code"] == "login_throttled"


def _enrol(client: Client, user: User) -> str:
    page = client.get("/accounts/me/totp/")
    assert page.status_code == 200
    secret = page.context["secret"]
    assert "<svg" in page.content.decode()  # the QR code is inline, no image service
    response = client.post("/accounts/me/totp/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.totp_enabled and user.totp_secret == secret
    return secret


def test_totp_enrolment_then_sign_in_needs_the_current_code() -> None:
    user = UserFactory(username="zhou", role=Role.ENGINEER)
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        assert _login(client, "zhou").status_code == 302
        secret = _enrol(client, user)
        client.post("/accounts/logout/")

        client = Client()
        response = _login(client, "zhou", next_url="/accounts/me/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/totp/")
        assert "_auth_user_id" not in client.session  # the password alone does not sign in
        assert client.get("/api/v1/tokens").status_code in (401, 403)

        wrong = client.post("/accounts/login/totp/", {"code": "000000", "next": "/accounts/me/"})
        assert wrong.status_code == 200 and "_auth_user_id" not in client.session

        stale = pyotp.TOTP(secret).now()
        traveller.shift(timedelta(minutes=5))
        assert client.post("/accounts/login/totp/", {"code": stale}).status_code == 200
        assert "_auth_user_id" not in client.session

        fresh = pyotp.TOTP(secret).now()
        response = client.post("/accounts/login/totp/", {"code": fresh, "next": "/accounts/me/"})
        assert response.status_code == 302 and response["Location"] == "/accounts/me/"
        assert client.session["_auth_user_id"] == str(user.pk)


def test_totp_code_is_accepted_once_only() -> None:
    secret = pyotp.random_base32()
    UserFactory(username="qian", totp_enabled=True, totp_secret=secret)
    with time_machine.travel(T0, tick=False) as traveller:
        code = pyotp.TOTP(secret).now()
        first = Client()
        _login(first, "qian")
        assert first.post("/accounts/login/totp/", {"code": code}).status_code == 302
        # someone who saw the code (or a replayed request) cannot use it again, even inside its window
        replay = Client()
        _login(replay, "qian")
        assert replay.post("/accounts/login/totp/", {"code": code}).status_code == 200
        assert "_auth_user_id" not in replay.session
        # nor an older code still inside the tolerance window
        traveller.shift(timedelta(seconds=30))
        assert replay.post("/accounts/login/totp/", {"code": code}).status_code == 200
        assert replay.post("/accounts/login/totp/", {"code": pyotp.TOTP(secret).now()}).status_code == 302


def test_totp_user_cannot_get_an_api_token_with_the_password_alone(api) -> None:
    user = UserFactory(username="wu", totp_enabled=True, totp_secret=pyotp.random_base32())
    response = api().post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "second_factor_required"
    assert not user.api_tokens.exists()


def test_totp_second_step_is_throttled_too(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    user = UserFactory(username="feng", totp_enabled=True, totp_secret=pyotp.random_base32())
    client = Client()
    _login(client, "feng")
    for _ in range(2):
        client.post("/accounts/login/totp/", {"code": "123456"})
    response = client.post("/accounts/login/totp/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_required_two_factor_sends_the_user_to_enrolment_first(web, api) -> None:
    user = UserFactory(username="chen", role=Role.MANAGER, mfa_required=True)
    client = Client()
    assert _login(client, "chen").status_code == 302
    for path in ("/staff/", "/admin/", "/", "/accounts/me/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/me/totp/", path
    # the API is closed to that session as well, and no token can be had with the password
    blocked = client.get("/api/v1/systems")
    assert blocked.status_code == 403 and blocked.json()["code"] == "second_factor_required"
    assert api().post("/api/v1/auth/token", {"username": "chen", "password": PASSWORD}, format="json").status_code == 401
    client.post("/accounts/me/", {"create_token": "1", "name": "sidestep", "scope": "write"})
    assert not user.api_tokens.exists()
    _enrol(client, user)
    assert client.get("/staff/").status_code == 200
    # and it cannot be switched off while required
    response = client.post("/accounts/me/totp/", {"code": pyotp.TOTP(user.totp_secret).now()})
    user.refresh_from_db()
    assert response.status_code == 200 and user.totp_enabled


def test_user_may_switch_optional_two_factor_off_with_a_code() -> None:
    user = UserFactory(username="he")
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        _login(client, "he")
        secret = _enrol(client, user)
        assert client.post("/accounts/me/totp/", {"code": "999999"}).status_code == 200
        user.refresh_from_db()
        assert user.totp_enabled
        # the code that enrolled is spent; the next one switches it off
        assert client.post("/accounts/me/totp/", {"code": pyotp.TOTP(secret).now()}).status_code == 200
        traveller.shift(timedelta(seconds=30))
        assert client.post("/accounts/me/totp/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    user.refresh_from_db()
    assert not user.totp_enabled and user.totp_secret == ""


def test_admin_site_signs_in_through_our_page_only() -> None:
    admin = UserFactory(username="boss", role=Role.ADMIN)
    anonymous = Client()
    response = anonymous.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    # Django admin's own form would bypass throttling and the second factor: it is never served
    assert anonymous.post("/admin/login/", {"username": "boss", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in anonymous.session

    engineer = Client()
    engineer.force_login(UserFactory(username="eng", role=Role.ENGINEER), backend="weibao.accounts.backends.UsernameOrEmailBackend")
    assert engineer.get("/admin/", follow=True).status_code == 404

    client = Client()
    _login(client, "boss", next_url="/admin/")
    assert client.get("/admin/").status_code == 200
    assert admin.is_superuser
