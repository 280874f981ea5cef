"""Parse one raw message into what the intake needs. Never raises: defects are listed instead.

Structure comes from the stdlib parser (policy.default); text is decoded here (charsets.py), so
GB2312/GBK labels are read as GB18030 and undeclared 8-bit text is recovered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from weibao.mail.charsets import decode_bytes, decode_header_value, undo_surrogates
from weibao.mail.htmltext import html_to_text, sanitize_html
from weibao.mail.machine import Verdict, classify
from weibao.mail.quoting import split_reply

MAX_DEPTH = 30
_MSGID = re.compile(r"<([^<>\s]{1,900})>")


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class DeliveryReport:
    """What a bounce tells about one of our messages."""

    original_message_ids: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    status: str = ""
    action: str = ""
    diagnostic: str = ""


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    return_path: str | None = None
    date: datetime | None = None
    text: str = ""
    html: str = ""
    new_text: str = ""
    quoted: str = ""
    signature: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    machine: Verdict = field(default_factory=lambda: Verdict(classify_default()))
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return self.to + self.cc + self.delivered_to

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first."""
        seen: list[str] = []
        for mid in self.in_reply_to + list(reversed(self.references)):
            if mid not in seen:
                seen.append(mid)
        return seen


def classify_default() -> Any:
    from weibao.mail.machine import MachineKind

    return MachineKind.HUMAN


def message_ids(value: str) -> list[str]:
    found = _MSGID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return [m[:255] for m in found]


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in values:
        try:
            pairs = getaddresses([undo_surrogates(raw).replace("\r", " ").replace("\n", " ")])
        except Exception:  # noqa: BLE001
            pairs = []
        for name, addr in pairs:
            addr = addr.strip().strip("<>").lower()
            if "@" in addr and len(addr) <= 254:
                out.append((decode_header_value(name).strip().strip('"'), addr))
    return out


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():  # type: ignore[attr-defined]
        headers.setdefault(str(name).lower(), []).append(str(value))
    return headers


def _filename(part: Message) -> str:
    """RFC 2231 (any charset, GB2312 read as GB18030) and the common RFC 2047-in-quotes names."""
    # The raw header values: policy.default would already have decoded RFC 2231 with the label's codec.
    legacy = Message()
    for header_name, header_value in part.raw_items():  # type: ignore[attr-defined]
        if header_name.lower() in ("content-disposition", "content-type"):
            legacy[header_name] = header_value
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value: Any
        try:
            value = legacy.get_param(param, None, header)
        except Exception:  # noqa: BLE001
            value = None
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded text)
            charset, _lang, text = value
            try:
                data = bytes(text, "raw-unicode-escape")
            except Exception:  # noqa: BLE001
                data = str(text).encode("utf-8", "surrogateescape")
            name = decode_bytes(data, charset or None)
        else:
            name = decode_header_value(undo_surrogates(str(value)).strip('"'))
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
        if name:
            return name[:200]
    return ""


class _Walker:
    def __init__(self, mail: ParsedMail) -> None:
        self.mail = mail
        self.plain: list[str] = []
        self.html: list[str] = []
        self.part_types: set[str] = set()
        self.report_texts: list[str] = []
        self.original_headers: list[str] = []

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.mail.defects.append("MIME nesting too deep")
            return
        ctype = part.get_content_type()
        self.part_types.add(ctype)
        for defect in getattr(part, "defects", []):
            self.mail.defects.append(type(defect).__name__)
        if ctype.startswith("message/") or (part.is_multipart() and not ctype.startswith("multipart/")):
            self._message_part(part, ctype)
            return
        if part.is_multipart():
            payload: Any = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                self.walk(sub, depth + 1)
            return
        self._leaf(part, ctype)

    def _payload_bytes(self, part: Message) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:  # noqa: BLE001
            self.mail.defects.append(f"undecodable payload: {type(exc).__name__}")
            data = None
        if isinstance(data, bytes):
            return data
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""

    def _message_part(self, part: Message, ctype: str) -> None:
        payload: Any = part.get_payload()
        blocks: list[Any] = payload if isinstance(payload, list) else []
        if ctype in ("message/delivery-status", "message/feedback-report", "message/disposition-notification"):
            text = "\n".join(_block_text(b) for b in blocks) if blocks else _safe_text(self._payload_bytes(part))
            self.report_texts.append(text)
            return
        try:
            data = blocks[0].as_bytes(policy=policy.SMTP) if blocks else self._payload_bytes(part)
        except Exception:  # noqa: BLE001 - keep the enclosed message's bytes as best we can
            data = self._payload_bytes(part)
        if ctype in ("message/rfc822", "message/global") and blocks:
            self.original_headers.append(_block_text(blocks[0], headers_only=True))
        name = _filename(part) or (decode_header_value(str(blocks[0].get("subject", ""))) if blocks else "") or "message"
        if not name.lower().endswith(".eml"):
            name = name[:190] + ".eml"
        self.mail.attachments.append(ParsedAttachment(name, "message/rfc822", data))

    def _leaf(self, part: Message, ctype: str) -> None:
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        data = self._payload_bytes(part)
        if ctype == "text/rfc822-headers":
            self.original_headers.append(_safe_text(data))
            return
        is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename
        if is_body_text:
            text = decode_bytes(data, part.get_content_charset())
            (self.plain if ctype == "text/plain" else self.html).append(text)
            return
        if not data and not filename:
            return
        cid = str(part.get("content-id", "") or "").strip().strip("<>")[:250]
        if not filename:
            ext = {"text/plain": ".txt", "text/html": ".html", "image/png": ".png", "image/jpeg": ".jpg",
                   "image/gif": ".gif", "application/pdf": ".pdf"}.get(ctype, ".bin")
            filename = f"attachment-{len(self.mail.attachments) + 1}{ext}"
        inline = disposition == "inline" or (bool(cid) and disposition != "attachment")
        self.mail.attachments.append(ParsedAttachment(filename, ctype, data, cid, inline))


def _safe_text(data: bytes) -> str:
    return decode_bytes(data or b"")


def _block_text(block: Message, headers_only: bool = False) -> str:
    lines = [f"{k}: {decode_header_value(str(v))}" for k, v in block.raw_items()]  # type: ignore[attr-defined]
    if not headers_only:
        body = block.get_payload()
        if isinstance(body, str) and body.strip():
            lines.append("")
            lines.append(undo_surrogates(body))
    return "\n".join(lines)


def _delivery_report(walker: _Walker, mail: ParsedMail) -> DeliveryReport:
    report = DeliveryReport()
    fields: dict[str, str] = {}
    for text in walker.report_texts:
        for line in text.splitlines():
            if ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key in ("final-recipient", "original-recipient", "action", "status", "diagnostic-code"):
                    if key in ("final-recipient", "original-recipient"):
                        addr = value.split(";")[-1].strip().strip("<>").lower()
                        if "@" in addr and addr not in report.recipients:
                            report.recipients.append(addr)
                    else:
                        fields.setdefault(key, value.strip())
    report.action = fields.get("action", "").lower()
    report.status = fields.get("status", "")
    report.diagnostic = fields.get("diagnostic-code", "")[:500]
    ids: list[str] = []
    for headers in walker.original_headers:
        for line in headers.splitlines():
            if line.lower().startswith("message-id:"):
                ids += message_ids(line.split(":", 1)[1])
    if not ids:
        # Non-standard bounces quote the original in their text: look for a Message-ID line there.
        for line in mail.text.splitlines():
            m = re.match(r"^\s*>?\s*Message-ID:\s*(.+)$", line, re.IGNORECASE)
            if m:
                ids += message_ids(m.group(1))
    for failed in mail_failed_recipients(mail, walker):
        if failed not in report.recipients:
            report.recipients.append(failed)
    report.original_message_ids = list(dict.fromkeys(ids))
    return report


def mail_failed_recipients(mail: ParsedMail, walker: _Walker) -> list[str]:
    return []


def _without_nul(mail: ParsedMail) -> ParsedMail:
    """NUL characters cannot be stored in PostgreSQL text and mean nothing in mail text: drop them."""
    for name, value in vars(mail).items():
        if isinstance(value, str) and "\x00" in value:
            setattr(mail, name, value.replace("\x00", ""))
        elif isinstance(value, list) and value and isinstance(value[0], str):
            setattr(mail, name, [v.replace("\x00", "") for v in value])
    for att in mail.attachments:
        att.filename = att.filename.replace("\x00", "") or "attachment"
    return mail


def parse_message(raw: bytes) -> ParsedMail:
    return _without_nul(_parse(raw))


def _parse(raw: bytes) -> ParsedMail:
    mail = ParsedMail()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient, but never let it lose the message
        mail.defects.append(f"unparseable: {type(exc).__name__}: {exc}")
        mail.text = mail.new_text = decode_bytes(raw)
        return mail
    try:
        _fill(mail, msg)
    except Exception as exc:  # noqa: BLE001
        mail.defects.append(f"parse error: {type(exc).__name__}: {exc}")
        if not mail.text:
            mail.text = mail.new_text = decode_bytes(raw.partition(b"\r\n\r\n")[2] or raw.partition(b"\n\n")[2])
    return mail


def _fill(mail: ParsedMail, msg: Message) -> None:
    headers = _raw_headers(msg)

    def one(name: str) -> str:
        values = headers.get(name)
        return values[0] if values else ""

    mail.message_id = (message_ids(one("message-id")) or [""])[0]
    mail.in_reply_to = message_ids(one("in-reply-to"))
    mail.references = message_ids(" ".join(headers.get("references", [])))
    mail.subject = decode_header_value(one("subject"))[:500]
    senders = _addresses(headers.get("from", [])) or _addresses(headers.get("sender", []))
    if senders:
        mail.from_name, mail.from_addr = senders[0]
    reply_to = _addresses(headers.get("reply-to", []))
    mail.reply_to = reply_to[0][1] if reply_to else ""
    mail.to = [a for _, a in _addresses(headers.get("to", []))]
    mail.cc = [a for _, a in _addresses(headers.get("cc", []))]
    mail.delivered_to = [a for _, a in _addresses(headers.get("delivered-to", []) + headers.get("x-original-to", []))]
    if "return-path" in headers:
        rp = one("return-path").strip()
        mail.return_path = "" if rp in ("<>", "") else rp.strip("<>").lower()
    try:
        mail.date = parsedate_to_datetime(one("date")) if one("date") else None
        if mail.date is not None and mail.date.tzinfo is None:
            mail.date = None
    except Exception:  # noqa: BLE001
        mail.date = None

    walker = _Walker(mail)
    walker.walk(msg)
    plain = "\n\n".join(t for t in walker.plain if t.strip())
    html = "\n".join(walker.html)
    mail.html = sanitize_html(html) if html.strip() else ""
    mail.text = plain.strip() or (html_to_text(html) if html.strip() else "")
    parts = split_reply(mail.text)
    mail.new_text, mail.quoted, mail.signature = parts.new, parts.quoted, parts.signature

    decoded = {k: [decode_header_value(v) for v in vs] for k, vs in headers.items()}
    report_type = str(msg.get_param("report-type", "", "content-type") or "") if msg.get_content_type() == "multipart/report" else ""
    mail.machine = classify(
        headers=decoded,
        content_type=msg.get_content_type(),
        report_type=report_type,
        part_types=walker.part_types,
        from_addr=mail.from_addr,
        return_path=mail.return_path,
        subject=mail.subject,
    )
    if mail.machine.is_machine:
        mail.report = _delivery_report(walker, mail)
        failed = decoded.get("x-failed-recipients", [])
        for value in failed:
            for addr in re.split(r"[,\s]+", value):
                if "@" in addr and addr.lower() not in mail.report.recipients:
                    mail.report.recipients.append(addr.lower())
