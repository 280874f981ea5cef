from __future__ import annotations

from pathlib import Path

import pytest

from weibao.core.fonts import cjk_font_path


@pytest.fixture
def cjk_font() -> Path:
    path = cjk_font_path()
    if path is None:
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk or set WEIBAO_CJK_FONT)")
    return path
