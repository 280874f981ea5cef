"""Recognising mail written by machines: it must never open or reopen a request.

RFC 3834 auto-replies, RFC 3464 delivery status notifications and other bounces, RFC 5965 (ARF)
abuse complaints, RFC 8098 read receipts, and bulk or list mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class MachineKind(StrEnum):
    HUMAN = ""
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    RECEIPT = "read_receipt"
    BULK = "bulk"


@dataclass(frozen=True)
class Verdict:
    kind: MachineKind
    reason: str = ""

    @property
    def is_machine(self) -> bool:
        return self.kind != MachineKind.HUMAN


_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)(\+.*)?@", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|自动回复|自動回覆|自动答复|"
    r"外出|休假|不在办公室|abwesenheitsnotiz|réponse automatique|autoreply)\b|^\s*(自动回复|自動回覆|自动答复)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(able|ed)|delivery status notification|mail delivery (failed|failure|system)|"
    r"returned mail|failure notice|退信|系统退信|邮件投递失败|投递失败|未送达)",
    re.IGNORECASE,
)


def classify(
    *,
    headers: dict[str, list[str]],
    content_type: str,
    report_type: str,
    part_types: set[str],
    from_addr: str,
    return_path: str | None,
    subject: str,
) -> Verdict:
    """`headers` maps lowercased names to decoded values; `part_types` are all MIME types inside."""

    def first(name: str) -> str:
        values = headers.get(name) or [""]
        return values[0].strip().lower()

    report_type = report_type.lower()
    if report_type == "feedback-report" or "message/feedback-report" in part_types:
        return Verdict(MachineKind.COMPLAINT, "ARF feedback report")
    if report_type == "delivery-status" or "message/delivery-status" in part_types:
        return Verdict(MachineKind.BOUNCE, "delivery status notification")
    if report_type == "disposition-notification" or "message/disposition-notification" in part_types:
        return Verdict(MachineKind.RECEIPT, "message disposition notification")
    if headers.get("x-failed-recipients"):
        return Verdict(MachineKind.BOUNCE, "X-Failed-Recipients")
    if _BOUNCE_SENDERS.match(from_addr or ""):
        return Verdict(MachineKind.BOUNCE, f"sender {from_addr}")
    if return_path == "":
        # The null reverse-path is reserved for notifications that must not be answered (RFC 5321 4.5.5).
        if _BOUNCE_SUBJECT.match(subject or "") or content_type == "multipart/report":
            return Verdict(MachineKind.BOUNCE, "empty Return-Path")
        return Verdict(MachineKind.AUTO_REPLY, "empty Return-Path")
    auto = first("auto-submitted")
    if auto and auto != "no":
        return Verdict(MachineKind.AUTO_REPLY, f"Auto-Submitted: {auto}")
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoreply-from", "x-mail-autoreply"):
        if headers.get(name):
            return Verdict(MachineKind.AUTO_REPLY, name)
    if first("x-auto-response-suppress") in ("all", "oof") and _AUTO_SUBJECT.match(subject or ""):
        return Verdict(MachineKind.AUTO_REPLY, "out-of-office")
    precedence = first("precedence")
    if precedence == "auto_reply":
        return Verdict(MachineKind.AUTO_REPLY, "Precedence: auto_reply")
    if precedence in ("bulk", "junk", "list"):
        return Verdict(MachineKind.BULK, f"Precedence: {precedence}")
    if _AUTO_SUBJECT.match(subject or ""):
        return Verdict(MachineKind.AUTO_REPLY, "out-of-office subject")
    if content_type == "multipart/report":
        return Verdict(MachineKind.BOUNCE, f"multipart/report ({report_type or 'unknown'})")
    if _BOUNCE_SUBJECT.match(subject or "") and not from_addr:
        return Verdict(MachineKind.BOUNCE, "bounce subject without sender")
    return Verdict(MachineKind.HUMAN)
