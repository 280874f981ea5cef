"""Walks every URL and API operation as every persona (DESIGN rule 4)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

import tests.tenancy as tenancy_pkg
from tests.personas import PERSONAS, World
from tests.tenancy.matrix import Case
from weibao.accounts.services import api_token_create

EXCLUDED_NAMESPACES = {"admin"}  # Django admin: guarded by is_staff, covered in test_admin_access


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    for info in pkgutil.iter_modules(tenancy_pkg.__path__):
        if info.name.startswith("cases_"):
            cases.extend(importlib.import_module(f"tests.tenancy.{info.name}").CASES)
    return cases


CASES = _load_cases()


def _walk(resolver: URLResolver, ns: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            sub = f"{ns}{p.namespace}:" if p.namespace else ns
            if p.namespace in EXCLUDED_NAMESPACES:
                continue
            found += _walk(p, sub)
        elif isinstance(p, URLPattern) and p.name:
            found.append((f"{ns}{p.name}", p.callback))
    return found


def _api_methods(callback: Any) -> set[str]:
    cls = getattr(callback, "cls", None)
    if cls is None or not issubclass(cls, APIView):
        return set()
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def test_every_route_is_in_the_matrix() -> None:
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = []
    for name, callback in _walk(get_resolver()):
        if name not in covered:
            missing.append(name)
            continue
        methods = _api_methods(callback) - {"GET"} if name.endswith(("schema", "docs")) else _api_methods(callback)
        for method in methods - covered[name]:
            missing.append(f"{method} {name}")
    assert not missing, f"routes without a tenancy case: {missing}"


def _client(case: Case, world: World, persona: str) -> Any:
    user = world.user(persona)
    if case.api:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client
    client = Client()
    if user is not None:
        client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_tenancy(case: Case, persona: str, world: World) -> None:
    world.extra["token_of_a"] = api_token_create(actor=world.users["customer_a"], name="a's").token.public_id
    client = _client(case, world, persona)
    url = case.url(world)
    kwargs: dict[str, Any] = {}
    if case.body is not None:
        kwargs["data"] = case.body(world)
        if case.api:
            kwargs["format"] = case.fmt
        elif case.fmt != "form":  # web cases with fmt="form" post an ordinary (multipart) form
            kwargs["content_type"] = "application/json"
    response = getattr(client, case.method.lower())(url, **kwargs)
    expected = case.expect[persona]
    assert response.status_code == expected, f"{case.id} as {persona}: {response.status_code} != {expected}"
    if case.check is not None:
        case.check(world, persona, response)
