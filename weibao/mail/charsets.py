"""Turning the bytes that mail servers send into text, whatever charset label they carry.

Chinese mail is often labelled GB2312 while containing GBK characters (and GBK while containing
GB18030 ones): GB18030 is a superset of both, so those labels are decoded as GB18030. Python's own
codec registry cannot be re-pointed without touching every user of `codecs`, so the mapping lives here.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# Labels decoded with a superset codec. Keys are normalised (lowercase, '_' → '-').
_SUPERSETS = {
    "gb2312": "gb18030",
    "gb-2312": "gb18030",
    "gb-2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "euccn": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks-c-5601-1987": "cp949",
    "ks-c-5601": "cp949",
    "euc-kr": "cp949",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022-jp-ext",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "us-ascii": "utf-8",  # 8-bit bytes under an ASCII label are nearly always UTF-8
    "ascii": "utf-8",
}
# Tried, in order, when the label is missing, unknown or wrong.
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None when the label is unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower().replace("_", "-")
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Decode strictly with the labelled charset, then the fallbacks; never raises, never drops text."""
    tried: list[str] = []
    first = codec_for(label)
    order = ([first] if first else []) + list(FALLBACKS)
    if first and not first.startswith(("utf-16", "utf-32", "utf-7")) and not data.isascii():
        # Valid multi-byte UTF-8 is almost never accidental: trust it over a (wrong) legacy label.
        order.insert(0, "utf-8")
    for name in order:
        if name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    # Nothing decodes cleanly: keep every character we can and mark the rest visibly.
    return data.decode(first or "utf-8", errors="replace")


_SURROGATES = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\r?\n[ \t]")


def undo_surrogates(value: str) -> str:
    """Headers with raw 8-bit bytes come out of the parser surrogate-escaped: decode those bytes."""
    if not _SURROGATES.search(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def decode_header_value(raw: str | None) -> str:
    """RFC 2047 words (in any charset, GB2312 read as GB18030) and raw 8-bit headers, to text."""
    if not raw:
        return ""
    value = _FOLD.sub(" ", undo_surrogates(str(raw))).replace("\r", "").replace("\n", " ")
    if "=?" not in value:
        return value.strip()
    try:
        parts = decode_header(value)
    except Exception:  # noqa: BLE001 - a malformed encoded word leaves the header as it came
        return value.strip()
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset) if charset else chunk.decode("utf-8", "replace"))
        else:
            out.append(chunk)
    return "".join(out).strip()
