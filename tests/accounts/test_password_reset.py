"""Password reset by mail: the mail is sent in the account holder's language, its link works once."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    match = re.search(r"https?://\S+/accounts/password/reset/\S+/", body)
    assert match, body
    return match.group(0)


def test_password_reset_mail_link_sets_a_new_password(settings) -> None:
    settings.BASE_URL = "https://weibao.example.cn"
    user = UserFactory(username="ma", email="Ma.Li@example.com")
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "ma.li@EXAMPLE.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Ma.Li@example.com"]
    assert "重置密码" in message.subject
    link = _link(message.body)
    # the public URL from the settings, never the Host header of whoever asked
    assert link.startswith("https://weibao.example.cn/accounts/password/reset/")

    path = link.removeprefix("https://weibao.example.cn")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "a-much-better-secret-42", "new_password2": "a-much-better-secret-42"})
    assert response.status_code == 302

    assert Client().post("/accounts/login/", {"username": "ma", "password": PASSWORD}).status_code == 200  # old one fails
    new = Client()
    assert new.post("/accounts/login/", {"username": "ma", "password": "a-much-better-secret-42"}).status_code == 302
    assert new.session["_auth_user_id"] == str(user.pk)
    # the link is single-use
    assert Client().get(path, follow=True).context["validlink"] is False


def test_password_reset_mail_is_in_the_users_language() -> None:
    UserFactory(username="smith", email="smith@example.com", language="en")
    Client().post("/accounts/password/reset/", {"email": "smith@example.com"})  # asked from a Chinese page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "password" in message.subject.lower()
    assert "重置" not in message.subject and "链接" not in message.body
    assert "new password" in message.body.lower()


def test_password_reset_for_unknown_address_sends_nothing_and_reveals_nothing() -> None:
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_weak_new_password_is_refused(settings) -> None:
    UserFactory(username="weak", email="weak@example.com")
    client = Client()
    client.post("/accounts/password/reset/", {"email": "weak@example.com"})
    page = client.get(_link(mail.outbox[0].body).removeprefix(settings.BASE_URL), follow=True)
    set_url = page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert Client().post("/accounts/login/", {"username": "weak", "password": PASSWORD}).status_code == 302


def test_password_reset_requests_are_throttled_per_address(settings) -> None:
    settings.PASSWORD_RESET_LIMIT = 2
    UserFactory(username="lu", email="lu@example.com")
    client = Client()
    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"email": "lu@example.com"}).status_code == 302
    assert len(mail.outbox) == 2
    response = client.post("/accounts/password/reset/", {"email": "LU@example.com"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    assert "过于频繁" in response.content.decode()
    assert len(mail.outbox) == 2  # no third mail
    # an unknown address is counted the same way, so the answer tells nothing about accounts
    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"email": "nobody@example.com"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "nobody@example.com"}).status_code == 429
    # resets do not eat into the sign-in budget
    assert client.post("/accounts/login/", {"username": "lu", "password": PASSWORD}).status_code == 302


def test_password_reset_is_throttled_per_client_address(settings) -> None:
    settings.PASSWORD_RESET_LIMIT = 1
    client = Client(REMOTE_ADDR="10.1.2.3")
    for n in range(4):
        assert client.post("/accounts/password/reset/", {"email": f"u{n}@example.com"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "u9@example.com"}).status_code == 429
    assert Client(REMOTE_ADDR="10.1.2.4").post("/accounts/password/reset/", {"email": "u9@example.com"}).status_code == 302
