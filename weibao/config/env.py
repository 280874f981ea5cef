"""Typed readers for WEIBAO_* environment variables.

Every deployment knob comes through here so a bad value stops start-up with a
message that names the variable, instead of failing later somewhere obscure.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


class EnvError(ImproperlyConfigured):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {expected}")
        self.name = name


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: builtins.str) -> builtins.str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: builtins.str, default: builtins.str) -> builtins.str:
        value = self.raw(name)
        return default if value in (None, "") else value  # type: ignore[return-value]

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self.raw(name)
        if value is None:
            return default
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise EnvError(name, value, "one of 1/0, true/false, yes/no, on/off")

    def int(self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None) -> builtins.int:
        value = self.raw(name)
        if value in (None, ""):
            return default
        try:
            number = builtins.int(value)  # type: ignore[arg-type]
        except ValueError:
            raise EnvError(name, value or "", "an integer") from None
        if minimum is not None and number < minimum:
            raise EnvError(name, value or "", f"an integer >= {minimum}")
        return number

    def list(self, name: builtins.str, default: builtins.list[builtins.str]) -> builtins.list[builtins.str]:
        value = self.raw(name)
        if value in (None, ""):
            return default
        return [item.strip() for item in value.split(",") if item.strip()]  # type: ignore[union-attr]

    def choice(self, name: builtins.str, default: builtins.str, choices: builtins.list[builtins.str]) -> builtins.str:
        value = self.str(name, default)
        if value not in choices:
            raise EnvError(name, value, "one of " + ", ".join(choices))
        return value

    def url(self, name: builtins.str, default: builtins.str, schemes: builtins.list[builtins.str]) -> builtins.str:
        value = self.str(name, default)
        scheme = urlsplit(value).scheme
        if scheme not in schemes:
            raise EnvError(name, value, "a URL starting with " + " or ".join(s + "://" for s in schemes))
        return value

    def timezone(self, name: builtins.str, default: builtins.str) -> builtins.str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = self.str(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise EnvError(name, value, "an IANA time zone such as Asia/Shanghai") from None
        return value
