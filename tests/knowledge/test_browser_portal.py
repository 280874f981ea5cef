"""In real Chromium: suggestions while a customer writes a request, deflection records, the printable portal."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.knowledge.factories import world_articles
from tests.personas import World, build_world
from tests.ui.test_browser_flow import _login, browser  # noqa: F401  (the fixture)
from weibao.knowledge.models import SuggestionSession

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_world(transactional_db: Any) -> World:
    world = build_world()
    world_articles(world)
    return world


def _wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_suggestions_while_writing_and_deflection(browser: Any, live_server: Any, live_world: World) -> None:  # noqa: F811
    base = live_server.url
    page = _login(browser, base, live_world.users["customer_b"].username)
    page.goto(f"{base}/portal/tickets/new/")
    page.fill("input[name=subject]", "网关超时")
    page.fill("textarea[name=description]", "调用接口时网关超时")
    box = page.locator("[data-kb-suggest-results]")
    box.locator("a").first.wait_for()
    text = box.inner_text()
    assert "公开文章" in text and "甲单位专用" not in text and "内部" not in text
    assert box.locator("mark").count() > 0
    with page.expect_popup() as popup:
        box.locator("a").first.click()
    popup.value.wait_for_load_state()
    assert "公开文章" in popup.value.title()
    session = _wait_for(lambda: SuggestionSession.objects.filter(user=live_world.users["customer_b"]).first())
    assert session is not None and session.opened and session.opened[0]["type"] == "article"
    assert session.submitted_at is None  # abandoned so far: counts as deflected after the grace period

    page.select_option("select[name=system]", label=str(live_world.system_b))
    page.click("form button:has-text('提交')")
    page.wait_for_url("**/portal/tickets/*/")
    session.refresh_from_db()
    assert _wait_for(lambda: SuggestionSession.objects.filter(pk=session.pk, submitted_at__isnull=False).exists())


def test_public_portal_without_login_and_print_layout(browser: Any, live_server: Any, live_world: World) -> None:  # noqa: F811
    base = live_server.url
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/kb/?q=网关超时")
    body = page.content()
    assert "公开文章" in body and "甲单位专用" not in body and "排查手册" not in body
    page.click("text=公开文章")
    page.wait_for_url("**/kb/*")
    assert page.locator("h1").inner_text().startswith("公开文章")
    assert page.locator(".topbar").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible() and not page.locator(".kb-feedback").is_visible()
    assert page.locator(".kb-article h1").is_visible()
