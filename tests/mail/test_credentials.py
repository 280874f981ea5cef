"""Mailbox passwords: encrypted at rest, or from an env var or a secret file; never shown back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.mail.factories import mailbox
from weibao.core.errors import ValidationFailed
from weibao.mail.credentials import mailbox_password, password_decrypt, password_encrypt
from weibao.mail.models import Mailbox


def test_encrypted_password_round_trips_and_is_not_plaintext() -> None:
    token = password_encrypt("邮箱密码-123")
    assert "邮箱密码" not in token and "123" not in token
    assert password_decrypt(token) == "邮箱密码-123"


def test_password_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WEIBAO_TEST_MAILBOX_PW", "from-env")
    assert mailbox_password(encrypted="", env_name="WEIBAO_TEST_MAILBOX_PW", file_path="") == "from-env"
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    assert mailbox_password(encrypted="", env_name="", file_path=str(secret)) == "from-file"
    with pytest.raises(ValidationFailed):
        mailbox_password(encrypted="", env_name="", file_path="")


def test_key_change_is_a_clear_error(settings: Any) -> None:
    token = password_encrypt("x")
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-000000"
    with pytest.raises(ValidationFailed, match="WEIBAO_SECRET_KEY"):
        password_decrypt(token)


@pytest.mark.django_db
def test_admin_sets_password_and_never_renders_it(web: Any, world: Any) -> None:
    box = mailbox(password="old-secret-value")
    client = web(world.users["admin"])
    page = client.get(f"/admin/mail/mailbox/{box.id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "old-secret-value" not in html and box.password_encrypted not in html
    form = {f: getattr(box, f) for f in ("name", "address", "protocol", "imap_host", "imap_port", "imap_security",
                                         "imap_user", "folder", "processed_action", "processed_folder",
                                         "unknown_sender_policy", "password_env", "password_file")}
    form.update({"is_active": "on", "use_idle": "on", "new_password": "new-secret-value"})
    response = client.post(f"/admin/mail/mailbox/{box.id}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get(id=box.id)
    assert password_decrypt(box.password_encrypted) == "new-secret-value"
    assert "new-secret-value" not in client.get(f"/admin/mail/mailbox/{box.id}/change/").content.decode()
