from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from weibao import __version__


def site(request: HttpRequest) -> dict[str, Any]:
    return {"VENDOR_NAME": settings.VENDOR_NAME, "WEIBAO_VERSION": __version__}
