"""The tenancy matrix: every route × every persona → the status each must get.

Each area of the product adds a `cases_<area>.py` module in this package exporting CASES.
`test_every_route_is_in_the_matrix` fails when a URL or API method exists without a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.personas import PERSONAS, World

UrlFn = Callable[[World], str]
BodyFn = Callable[[World], dict[str, Any]]
CheckFn = Callable[[World, str, Any], None]


def expect(default: int, **overrides: int) -> dict[str, int]:
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    return {p: overrides.get(p, default) for p in PERSONAS}


@dataclass(frozen=True)
class Case:
    route: str  # namespaced URL name, e.g. "api-v1:contact-detail"
    method: str
    url: UrlFn
    expect: dict[str, int]
    body: BodyFn | None = None
    api: bool = True
    fmt: str = "json"
    check: CheckFn | None = None
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}{' ' + self.name if self.name else ''}"
