"""HTML bodies: sanitised for display (nh3) and turned into plain text for the conversation."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitize_html(html: str) -> str:
    """Only harmless markup survives: no scripts, styles, event handlers, forms or remote tricks."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style", "title", "head"},
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


_BLOCK = {
    "address", "article", "blockquote", "dd", "div", "dl", "dt", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current = ""
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _flush(self, blank: bool = False) -> None:
        text = self.current.strip() if not self.pre else self.current.rstrip()
        prefix = "> " * self.quote
        if text or (blank and self.lines and self.lines[-1].strip("> ")):
            self.lines.append(prefix + text if text else prefix.rstrip())
        self.current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._flush(blank=True)
        elif tag == "hr":
            self._flush()
            self.lines.append("> " * self.quote + "_" * 20)
        elif tag in _BLOCK or tag == "td":
            if tag == "td":
                self.current += " "
            else:
                self._flush()
            if tag == "blockquote":
                self.quote += 1
            if tag == "pre":
                self.pre += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.current += f"[{alt}]"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self._flush()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for i, piece in enumerate(data.split("\n")):
                if i:
                    self._flush()
                self.current += piece
            return
        self.current += _SPACES.sub(" ", data)


def html_to_text(html: str) -> str:
    """Readable text: blocks become lines, blockquotes become '> ' lines (so quotes can be split off)."""
    maker = _TextMaker()
    try:
        maker.feed(html)
        maker.close()
    except Exception:  # noqa: BLE001 - html.parser gives up on some garbage; strip tags instead
        return _SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()
    maker._flush()
    text = "\n".join(maker.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
