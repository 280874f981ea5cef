"""HTML template → A4 PDF with WeasyPrint, the CJK font embedded through @font-face.

WeasyPrint without a CJK font prints empty boxes and raises nothing, so rendering refuses to start
without one (CjkFontMissing). Only the font and the vendor logo may be loaded: documents never
fetch anything from the network.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from weibao.core.errors import DomainError
from weibao.core.fonts import cjk_font_path


class CjkFontMissing(DomainError):
    code = "cjk_font_missing"
    status = 503


class ResourceRefused(Exception):
    pass


def _fetcher(allowed: set[str]) -> Any:
    from weasyprint.urls import URLFetcher

    class OnlyThese(URLFetcher):  # type: ignore[misc]
        """Loads the font and the logo from disk; refuses everything else (no network, no other files)."""

        def __init__(self, allowed: set[str]) -> None:
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)
            self.allowed = allowed

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url not in self.allowed:
                raise ResourceRefused(f"documents load no outside resources: {url}")
            return super().fetch(url, headers)

    return OnlyThese(allowed)


def vendor_logo_path() -> Path | None:
    if not settings.VENDOR_LOGO:
        return None
    path = Path(settings.VENDOR_LOGO)
    return path if path.is_file() else None


def render_html(template: str, context: dict[str, Any], *, language: str) -> str:
    font = cjk_font_path()
    if font is None:
        raise CjkFontMissing(
            "No CJK font found: set WEIBAO_CJK_FONT or install fonts-noto-cjk (documents would print empty boxes)."
        )
    logo = vendor_logo_path()
    with translation.override(language):
        return render_to_string(template, {
            **context,
            "font_url": font.as_uri(),
            "font_format": _font_format(font),
            "logo_url": logo.as_uri() if logo else "",
            "vendor_name": settings.VENDOR_NAME,
            "language": language,
        })


def render_pdf(template: str, context: dict[str, Any], *, language: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s at start-up

    html = render_html(template, context, language=language)
    allowed = {p.as_uri() for p in (cjk_font_path(), vendor_logo_path()) if p is not None}
    fetcher = _fetcher(allowed)
    document = HTML(string=html, url_fetcher=fetcher, base_url=str(settings.DATA_DIR))
    return document.write_pdf(font_config=_font_config(cjk_font_path()))  # type: ignore[no-any-return]


_local = threading.local()


def _font_config(font: Path | None) -> Any:
    """One FontConfiguration per thread and font: loading a 20 MB CJK collection each time halves throughput."""
    from weasyprint.text.fonts import FontConfiguration

    cached = getattr(_local, "font_config", None)
    if cached is None or cached[0] != font:
        cached = (font, FontConfiguration())
        _local.font_config = cached
    return cached[1]


def _font_format(path: Path) -> str:
    return {".otf": "opentype", ".ttc": "collection", ".woff": "woff", ".woff2": "woff2"}.get(path.suffix.lower(), "truetype")
