"""Attachment intake: size and type limits checked before anything is stored; files live under the data dir."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
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
        raise _too_large(name, size)
    stream: IO[bytes] = item
    chunks = getattr(item, "chunks", None)
    data = b"".join(chunks()) if chunks else stream.read()
    return IncomingFile(name, data)


def _too_large(name: str, size: int) -> TooLarge:
    # The message says "20.0 MB", not 20971520 bytes; the details keep the exact figures for programs.
    limit = max_bytes()
    return TooLarge(_("附件“%(name)s”（%(size)s）超过大小上限 %(limit)s。")
                    % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
                    details={"filename": name, "size": size, "limit": limit})


def checked(items: Iterable[Any]) -> list[tuple[IncomingFile, str, str]]:
    """Every file read and checked first; (file, content type, sha256). Raises before anything is stored."""
    out = []
    for item in items:
        f = _read(item)
        name = os.path.basename(f.filename.replace("\\", "/")).strip()[:255]
        if not name:
            raise ValidationFailed(_("附件缺少文件名。"), details={"file": ["missing filename"]})
        if len(f.content) > max_bytes():
            raise _too_large(name, len(f.content))
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


class _KeepOnCommit:
    """The on-commit callback of one stored file: being called means the row naming the file is committed."""

    __slots__ = ("__weakref__", "committed")

    def __init__(self, committed: list[bool]) -> None:
        self.committed = committed

    def __call__(self) -> None:
        self.committed[0] = True


def _delete_unless_committed(committed: list[bool], storage: Storage, name: str) -> None:
    if name and not committed[0]:
        storage.delete(name)


def delete_on_rollback(storage: Storage, name: str) -> None:
    """Remove the stored file `name` if the transaction that writes its row rolls back.

    Django has on_commit but no on_rollback. A rollback (of the whole transaction, or of the savepoint the file
    was written in) drops the on-commit callbacks registered inside it, and with them the last reference to the
    callback object: its finalizer then deletes the file unless the callback ran (the commit). Outside a
    transaction Django runs the callback at once and the file is kept. Only a crash between the write and the
    commit can leave a file that no row names (a random name, never served).
    """
    committed = [False]
    callback = _KeepOnCommit(committed)
    # The finalizer must not refer to `callback` itself, or it would keep it alive.
    weakref.finalize(callback, _delete_unless_committed, committed, storage, name)
    transaction.on_commit(callback)
