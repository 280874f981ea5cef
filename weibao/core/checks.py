"""The self-check behind `weibao check`. Apps add their own lines with @register_check."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from weibao.core.fonts import cjk_font_path
from weibao.core.health import CheckResult, Level, check_database, check_heartbeat, check_queue

Check = Callable[[], CheckResult | list[CheckResult]]
_extra: list[Check] = []


def register_check(fn: Check) -> Check:
    _extra.append(fn)
    return fn


def check_font() -> CheckResult:
    path = cjk_font_path()
    if path is None:
        hint = "set WEIBAO_CJK_FONT to a .ttf/.otf/.ttc file or install fonts-noto-cjk / fonts-wqy-microhei"
        return CheckResult("CJK font", Level.FAIL, f"no CJK font found: printed documents would show empty boxes; {hint}")
    return CheckResult("CJK font", Level.OK, str(path))


def check_mail() -> CheckResult:
    if settings.SMTP_URL:
        return CheckResult("mail", Level.OK, f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    return CheckResult("mail", Level.WARN, f"WEIBAO_SMTP_URL not set: outgoing mail is written to {settings.EMAIL_FILE_PATH}")


def run_checks() -> list[CheckResult]:
    results: list[CheckResult] = [check_database(), check_queue(), check_heartbeat()]
    for fn in _extra:
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - a broken check is a FAIL line, never a crash
            out = CheckResult(getattr(fn, "__name__", "check"), Level.FAIL, f"{type(exc).__name__}: {exc}")
        results.extend(out if isinstance(out, list) else [out])
    results += [check_font(), check_mail()]
    return results
