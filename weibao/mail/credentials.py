"""Mailbox passwords: encrypted at rest with a key derived from SECRET_KEY, or read from the
environment or a secret file. They are never rendered back to anyone."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from weibao.core.errors import ValidationFailed


def _fernet() -> Fernet:
    key = hashlib.sha256(b"weibao.mail.password:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def password_encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def password_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValidationFailed("邮箱密码无法解密：WEIBAO_SECRET_KEY 可能已更换，请重新设置密码", code="mailbox_password") from None


def mailbox_password(*, encrypted: str, env_name: str, file_path: str) -> str:
    """Which source wins: an explicit env var or file (operations own those), else the stored one."""
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise ValidationFailed(f"环境变量 {env_name} 未设置", code="mailbox_password")
        return value
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ValidationFailed(f"无法读取密码文件 {file_path}: {exc.strerror}", code="mailbox_password") from None
    if encrypted:
        return password_decrypt(encrypted)
    raise ValidationFailed("邮箱未设置密码", code="mailbox_password")
