from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.personas import World, build_world
from weibao.accounts.models import User


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"weibao: database={db} queue={settings.QUEUE_URL.split(':', 1)[0]}"]


@pytest.fixture(autouse=True)
def _fresh_config_caches() -> Any:
    """Each test's database starts over (rolled back), so must the in-process caches of admin-edited data."""
    from weibao.core.config_cache import clear_local

    clear_local()
    yield
    clear_local()


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web() -> Callable[[User | None], Client]:
    def make(user: User | None = None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user, backend="weibao.accounts.backends.UsernameOrEmailBackend")
        return client

    return make


def have(binary: str) -> bool:
    return shutil.which(binary) is not None


def postgres_url() -> str | None:
    url = os.environ.get("WEIBAO_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def redis_url() -> str | None:
    url = os.environ.get("WEIBAO_QUEUE_URL", "")
    return url if url.startswith("redis://") else None


def shared_data() -> Path | None:
    """../shared/data next to the checkout (CI, main), else the machine's /work/shared/data (worktrees)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture
def shared_data_dir() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("../shared/data (the project's test material) is not next to this checkout")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Transactional tests (live servers, threads) end with a flush that also empties the rows our data
    migrations seed (holidays, calendars, the priority matrix...). Restoring the serialized post-migration
    contents at their start keeps every later transactional test on the same ground as the rest."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "live_server" in fixtures or "transactional_db" in fixtures
        )
        if transactional and not (marker is not None and "serialized_rollback" in marker.kwargs):
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs["serialized_rollback"] = True
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
