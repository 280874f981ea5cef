"""Article text → safe HTML: a small subset of Markdown (headings, lists, paragraphs), everything escaped."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def article_html(text: str) -> SafeString:
    out: list[str] = []
    in_list = False
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.lstrip()
        if stripped.startswith(("- ", "* ")):
            flush()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{escape(stripped[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if stripped.startswith("#"):
            flush()
            level = min(len(stripped) - len(stripped.lstrip("#")) + 1, 5)
            out.append(f"<h{level}>{escape(stripped.lstrip('#').strip())}</h{level}>")
        elif not stripped:
            flush()
        else:
            paragraph.append(str(escape(line)))
    flush()
    if in_list:
        out.append("</ul>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of user text above went through escape()
