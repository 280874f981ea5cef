"""Text of attachments for the index: PDF (pypdf), DOCX (python-docx), XLSX (openpyxl), plain text.

A broken or hostile file gives no text and a short error, never an exception to the caller: a bad
attachment must not stop its ticket from being indexed. Output is capped; big spreadsheets are read
in read-only (streaming) mode.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from typing import IO

from weibao.search.models import ExtractedText

log = logging.getLogger(__name__)
MAX_TEXT = 200_000
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_PDF_PAGES = 300
MAX_XLSX_CELLS = 200_000


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts: list[str] = []
    size = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_TEXT:
            break
    return "\n".join(parts)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts: list[str] = []
    cells = 0
    try:
        for sheet in book.worksheets:
            parts.append(str(sheet.title))
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None and str(v).strip()]
                cells += len(row)
                if values:
                    parts.append(" ".join(values))
                if cells > MAX_XLSX_CELLS:
                    return "\n".join(parts)
    finally:
        book.close()
    return "\n".join(parts)


def _text(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "txt": _text, "log": _text, "csv": _text, "md": _text,
}
CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/plain": "txt", "text/csv": "csv", "text/markdown": "md",
}


def kind_of(filename: str, content_type: str = "") -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in EXTRACTORS:
        return ext
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())


def extract_text(data: bytes, filename: str, content_type: str = "") -> tuple[str, str]:
    """(text, error). Unknown types give ("", "") — nothing to index, nothing wrong."""
    kind = kind_of(filename, content_type)
    if kind is None:
        return "", ""
    if len(data) > MAX_FILE_BYTES:
        return "", "file too large to index"
    try:
        return EXTRACTORS[kind](data)[:MAX_TEXT], ""
    except Exception as exc:  # noqa: BLE001 - any parser failure means "no text", see module docstring
        log.info("no text from %s: %s", filename, exc)
        return "", f"{type(exc).__name__}: {exc}"[:300]


def attachment_text(*, sha256: str, filename: str, content_type: str, open_file: Callable[[], IO[bytes]]) -> str:
    """Text of a stored file, parsed once per content hash."""
    if kind_of(filename, content_type) is None:
        return ""
    if sha256:
        cached = ExtractedText.objects.filter(sha256=sha256).values_list("text", flat=True).first()
        if cached is not None:
            return cached
    try:
        with open_file() as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        log.warning("attachment %s unreadable: %s", filename, exc)
        return ""
    text, error = extract_text(data, filename, content_type)
    digest = sha256 or hashlib.sha256(data).hexdigest()
    ExtractedText.objects.update_or_create(sha256=digest, defaults={"text": text, "error": error})
    return text
