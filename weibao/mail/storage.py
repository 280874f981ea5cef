"""The raw message store: content-addressed .eml files under WEIBAO_DATA_DIR/mail/raw.

Written (and fsynced) before a message is processed or acknowledged, so nothing a mail server sent
can be lost; the same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def raw_root() -> Path:
    return Path(settings.DATA_DIR) / "mail" / "raw"


def raw_store(raw: bytes, *, durable: bool = True) -> tuple[str, str]:
    """Store the bytes; returns (path relative to the raw root, sha256).

    durable: fsync before returning. Mail taken from a server must be on disk before the server is
    told (250) or the message is moved; an import of a local archive may skip it (the source stays).
    """
    digest = hashlib.sha256(raw).hexdigest()
    relative = f"{digest[:2]}/{digest[2:4]}/{digest}.eml"
    target = raw_root() / relative
    if target.exists() and target.stat().st_size == len(raw):
        return relative, digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return relative, digest


def raw_read(relative: str) -> bytes:
    path = (raw_root() / relative).resolve()
    if raw_root().resolve() not in path.parents:
        raise ValueError("raw path outside the store")
    return path.read_bytes()
