"""Attachment intake: size and type limits checked before anything is stored; files live under the data dir."""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from weibao.core.errors import TooLarge, UnsupportedType, ValidationFailed

# Extensions a customer or engineer sends in a maintenance conversation; anything else is refused.
ALLOWED_TYPES: dict[str, str] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".bmp": "image/bmp", ".pdf": "application/pdf", ".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv",
    ".json": "application/json", ".xml": "application/xml", ".yaml": "text/plain", ".yml": "text/plain",
    ".md": "text/markdown", ".zip": "application/zip", ".gz": "application/gzip", ".7z": "application/x-7z-compressed",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".eml": "message/rfc822", ".wps": "application/vnd.ms-works", ".et": "application/vnd.ms-excel",
}
# Executables renamed to an allowed extension are still refused.
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")


@dataclass(frozen=True)
class IncomingFile:
    """A file as an adapter hands it over: an upload, a mail part, a bytes blob."""

    filename: str
    content: bytes


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def _read(item: Any) -> IncomingFile:
    if isinstance(item, IncomingFile):
        return item
    if isinstance(item, tuple):
        return IncomingFile(str(item[0]), bytes(item[1]))
    name = os.path.basename(str(getattr(item, "name", "") or "file"))
    size = getattr(item, "size", None)
    if size is not None and size > max_bytes():
        raise TooLarge(_("附件“%(name)s”超过大小上限 %(limit)s 字节。") % {"name": name, "limit": max_bytes()},
                       details={"filename": name, "size": size, "limit": max_bytes()})
    stream: IO[bytes] = item
    chunks = getattr(item, "chunks", None)
    data = b"".join(chunks()) if chunks else stream.read()
    return IncomingFile(name, data)


def checked(items: Iterable[Any]) -> list[tuple[IncomingFile, str, str]]:
    """Every file read and checked first; (file, content type, sha256). Raises before anything is stored."""
    out = []
    for item in items:
        f = _read(item)
        name = os.path.basename(f.filename.replace("\\", "/")).strip()[:255]
        if not name:
            raise ValidationFailed(_("附件缺少文件名。"), details={"file": ["missing filename"]})
        if len(f.content) > max_bytes():
            raise TooLarge(_("附件“%(name)s”超过大小上限 %(limit)s 字节。") % {"name": name, "limit": max_bytes()},
                           details={"filename": name, "size": len(f.content), "limit": max_bytes()})
        ext = os.path.splitext(name)[1].lower()
        content_type = ALLOWED_TYPES.get(ext)
        if content_type is None or f.content.startswith(_EXECUTABLE_MAGIC):
            raise UnsupportedType(_("不支持的附件类型：%(name)s") % {"name": name},
                                  details={"filename": name, "allowed": sorted(ALLOWED_TYPES)})
        out.append((IncomingFile(name, f.content), content_type, hashlib.sha256(f.content).hexdigest()))
    return out


def as_content(f: IncomingFile) -> ContentFile[bytes]:
    return ContentFile(f.content, name=f.filename)


def guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
