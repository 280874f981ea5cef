"""Attachment text: PDF, DOCX and XLSX made here, read back for the index; broken files give no text."""

from __future__ import annotations

import io

import pytest

from weibao.search.extract import attachment_text, extract_text
from weibao.search.models import ExtractedText


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "表格单元"
    table.rows[0].cells[1].text = "cell text"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _xlsx(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "巡检"
    sheet.append(["服务器", "状态"])
    sheet.append([text, 42])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _pdf(text: str) -> bytes:
    """A one-page PDF with a Helvetica text object, written by hand (pypdf reads, it does not typeset)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_docx_paragraphs_and_tables() -> None:
    text, error = extract_text(_docx("数据库备份失败的处理"), "说明.docx")
    assert error == ""
    assert "数据库备份失败的处理" in text and "表格单元" in text and "cell text" in text


def test_xlsx_cells_and_sheet_names() -> None:
    text, error = extract_text(_xlsx("db-node-07 磁盘告警"), "巡检.xlsx")
    assert error == "" and "巡检" in text and "db-node-07 磁盘告警" in text and "42" in text


def test_pdf_text() -> None:
    text, error = extract_text(_pdf("Gateway timeout runbook"), "runbook.pdf")
    assert error == "" and "Gateway timeout runbook" in text


@pytest.mark.parametrize("name", ["broken.pdf", "broken.docx", "broken.xlsx"])
def test_broken_files_give_no_text_and_an_error(name: str) -> None:
    text, error = extract_text(b"this is not that kind of file", name)
    assert text == "" and error


def test_unknown_types_are_skipped_quietly() -> None:
    assert extract_text(b"\x89PNG....", "photo.png") == ("", "")


def test_gb18030_text_files_are_decoded() -> None:
    assert extract_text("服务器日志".encode("gb18030"), "app.log")[0] == "服务器日志"


@pytest.mark.django_db
def test_text_is_extracted_once_per_content_hash() -> None:
    calls = []

    def opener():  # type: ignore[no-untyped-def]
        calls.append(1)
        return io.BytesIO(_docx("只解析一次"))

    assert "只解析一次" in attachment_text(sha256="ab" * 32, filename="a.docx", content_type="", open_file=opener)
    assert "只解析一次" in attachment_text(sha256="ab" * 32, filename="b.docx", content_type="", open_file=opener)
    assert len(calls) == 1 and ExtractedText.objects.count() == 1
