"""Build test messages byte by byte, in any charset, the way real Chinese mail clients send them."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from email.utils import format_datetime

_counter = itertools.count(1)

# GBK has these, GB2312 does not: mail labelled gb2312 carrying them is common and must not break.
GBK_ONLY = "朱镕基、张喆、王堃"
# Only GB18030 (four-byte sequences) has this one.
GB18030_ONLY = "𠮷"


def encoded_word(text: str, charset: str, codec: str | None = None) -> str:
    data = text.encode(codec or charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def make_mail(
    *,
    body: str = "系统登录后白屏，请尽快处理。",
    charset: str = "utf-8",
    codec: str | None = None,
    subject: str = "系统无法登录",
    subject_charset: str | None = None,
    from_name: str = "李雷",
    from_addr: str = "lilei@customer.example.cn",
    to: str = "support@weibao.test",
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    cte: str = "base64",
) -> bytes:
    """A text (optionally + HTML, + attachments) message; body encoded with `codec` under label `charset`."""
    codec = codec or charset
    scs = subject_charset or charset
    lines = [
        f"From: {encoded_word(from_name, scs, codec if scs == charset else None)} <{from_addr}>",
        f"To: {to}",
        f"Subject: {encoded_word(subject, scs, codec if scs == charset else None)}",
        f"Date: {format_datetime(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))}",
        "MIME-Version: 1.0",
    ]
    if message_id == "auto":
        message_id = f"<test-{next(_counter)}-{id(body)}@customer.example.cn>"
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")

    def text_part(content: str, subtype: str) -> list[str]:
        data = content.encode(codec)
        if cte == "base64":
            payload = base64.encodebytes(data).decode().strip()
        else:
            payload = data.decode("latin-1")
        return [f'Content-Type: text/{subtype}; charset="{charset}"', f"Content-Transfer-Encoding: {cte}", "", payload]

    if not html and not attachments:
        lines += text_part(body, "plain")
        return "\r\n".join(lines).encode("latin-1") + b"\r\n"
    boundary = f"=_weibao_{next(_counter)}"
    lines += [f'Content-Type: multipart/mixed; boundary="{boundary}"', "", "preamble"]
    lines += [f"--{boundary}", *text_part(body, "plain")]
    if html:
        lines += [f"--{boundary}", *text_part(html, "html")]
    for name, ctype, data in attachments or []:
        lines += [
            f"--{boundary}",
            f"Content-Type: {ctype}",
            "Content-Transfer-Encoding: base64",
            f"Content-Disposition: attachment; {name}",
            "",
            base64.encodebytes(data).decode().strip(),
        ]
    lines.append(f"--{boundary}--")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n"
