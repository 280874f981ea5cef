"""Finding a CJK font for printed documents: WeasyPrint without one prints empty boxes silently."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.conf import settings

KNOWN_PATHS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]


def cjk_font_path() -> Path | None:
    """The configured font, else a known system font, else whatever fontconfig offers for zh."""
    if settings.CJK_FONT:
        path = Path(settings.CJK_FONT)
        return path if path.is_file() else None
    for candidate in KNOWN_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        path = Path(out.stdout.strip())
        if path.is_file() and path.suffix.lower() in {".ttf", ".ttc", ".otf"} and _covers_cjk(path):
            return path
    return None


def _covers_cjk(path: Path) -> bool:
    if shutil.which("fc-query") is None:
        return False
    try:
        out = subprocess.run(["fc-query", "-f", "%{lang}", str(path)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "zh-cn" in out.stdout
