"""Separate the new text of a reply from the quoted history and the signature.

Nothing is thrown away: the three pieces together are the whole text. Recognises the reply headers
of the common clients (Gmail, Outlook, Apple Mail, Thunderbird, QQ Mail, Foxmail, NetEase, WeChat
Work), '>' quoting, and RFC 3676 signature separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLY_HEADER = [
    # "On Tue, 2 Jan 2026 at 10:00, Li Lei <lilei@example.com> wrote:" (may wrap onto a second line)
    re.compile(r"^\s*(>\s*)?On\b.{3,300}\b(wrote|writes|a écrit|schrieb)\s*:\s*$", re.IGNORECASE),
    # "在 2026年1月2日 10:00，李雷 <lilei@example.com> 写道：" / traditional 寫道
    re.compile(r"^\s*(>\s*)?在?.{0,200}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件|Original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{3,}\s*回复的原邮件\s*-{3,}\s*$"),
]
_HEADER_FROM = re.compile(r"^\s*\*?(From|Date|Sent|发件人|發件人|寄件者|发送时间)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Cc|发送时间|发送日期|日期|时间|收件人|抄送|主题|主旨|寄件日期|收件者)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{8,}\s*$")
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*(Sent from my|Sent from Mail for|Get Outlook for|Sent with)\b", re.IGNORECASE),
    re.compile(r"^\s*(发自我的|来自我的|从我的|發自我的)\S*"),
]


@dataclass(frozen=True)
class ReplyParts:
    new: str
    quoted: str
    signature: str


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: … Sent: … To: … Subject:" block starting at line i."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [ln for ln in lines[i + 1 : i + 6] if ln.strip()]
    return sum(1 for ln in following if _HEADER_NEXT.match(ln)) >= 2


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _REPLY_HEADER):
            return i
        # "On Tue, … Li Lei <" / "lilei@example.com> wrote:" split over two lines
        if i + 1 < len(lines) and re.match(r"^\s*On\b", line, re.IGNORECASE) and len(line) < 200:
            joined = line.rstrip() + " " + lines[i + 1].strip()
            if _REPLY_HEADER[0].match(joined):
                return i
        if _header_block_at(lines, i):
            # an Outlook rule line just above (blank lines between) belongs to the quote
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            return k if k >= 0 and _RULE.match(lines[k]) else i
    # a trailing block of '>' lines (blank lines allowed) after some new text
    end = len(lines)
    j = end
    while j > 0 and (not lines[j - 1].strip() or lines[j - 1].lstrip().startswith(">")):
        j -= 1
    if j < end and any(ln.lstrip().startswith(">") for ln in lines[j:]) and any(ln.strip() for ln in lines[:j]):
        # "26.06.2014, 14:41, "Li Lei" <lilei@example.com>:" introducing the quote goes with it
        k = j - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        if k > 0 and re.search(r"[:：]\s*$", lines[k]) and re.search(r"@|\d{1,4}[./-]\d{1,2}|\d:\d\d", lines[k]):
            return k - 1 if k > 0 and lines[k - 1].rstrip().endswith("<") else k
        return j
    return None


def _bottom_posted(lines: list[str], start: int) -> int | None:
    """A quote at the very top with the answer below it (bottom posting): where the answer begins."""
    k = start + 1
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith(">")):
        k += 1
    return k if k < len(lines) and any(ln.strip() for ln in lines[k:]) else None


def split_reply(text: str) -> ReplyParts:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _quote_start(lines)
    head, quoted = (lines, []) if start is None else (lines[:start], lines[start:])
    if start is not None and not any(ln.strip() for ln in head):
        below = _bottom_posted(lines, start)
        if below is not None:
            head, quoted = lines[below:], lines[start:below]
    sig_at = next((i for i, ln in enumerate(head) if _SIGNATURE[0].match(ln)), None)
    if sig_at is None:
        for i in range(len(head) - 1, -1, -1):
            if any(p.match(head[i]) for p in _SIGNATURE[1:]):
                sig_at = i
                break
    signature: list[str] = []
    if sig_at is not None and any(ln.strip() for ln in head[:sig_at]):
        head, signature = head[:sig_at], head[sig_at:]
    new = "\n".join(head).strip()
    if not new:
        # A message that is all quote (or all signature) keeps its whole text as the new text.
        return ReplyParts(text.strip(), "", "")
    return ReplyParts(new, "\n".join(quoted).strip(), "\n".join(signature).strip())
