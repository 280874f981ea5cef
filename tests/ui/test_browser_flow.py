"""THE end-to-end test in real Chromium: a customer submits a request in the portal, an engineer resolves
it in the staff UI, the customer confirms and rates it. Everything goes through the live server's pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.factories import PASSWORD
from tests.personas import World, build_world
from weibao.tickets.models import Ticket

CHROMIUM = os.environ.get("WEIBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; our own ORM calls here are between its steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()
            # The test's ORM calls ran inside Playwright's context and got their own connection, which nothing
            # else closes: left open, it kept PostgreSQL from dropping the test database at the end of the run.
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def live_world(transactional_db: Any) -> World:
    return build_world()


def _login(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return page


def test_customer_submits_engineer_resolves_customer_confirms_and_rates(
    browser: Any, live_server: Any, live_world: World, tmp_path: Path
) -> None:
    base = live_server.url
    world = live_world
    screenshot = tmp_path / "日志截图.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)

    # 1. the customer submits a request in the portal, with a file
    customer = _login(browser, base, world.users["customer_a"].username)
    customer.goto(f"{base}/portal/tickets/new/")
    customer.select_option("select[name=system]", label=str(world.system_a))
    customer.fill("input[name=subject]", "报表导出失败")
    customer.fill("textarea[name=description]", "点击“导出”后提示服务器错误。")
    customer.set_input_files("input[name=attachments]", str(screenshot))
    customer.click("form button:has-text('提交')")
    customer.wait_for_url("**/portal/tickets/*/")
    number = customer.locator(".ticket-head .number").inner_text().strip()
    assert number.startswith("SR-")
    assert "日志截图.png" in customer.content()
    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "portal" and ticket.system_id == world.system_a.id

    # 2. the engineer finds it in the unassigned queue, takes it, starts and resolves it
    engineer = _login(browser, base, world.users["engineer"].username)
    engineer.goto(f"{base}/staff/tickets/?queue=unassigned")
    engineer.click(f"text={number}")
    engineer.wait_for_url(f"**/staff/tickets/{ticket.public_id}/")
    engineer.select_option("select[name=assign-assignee]", value=str(world.users["engineer"].pk))
    engineer.click("form[action$='/assign/'] button")
    engineer.wait_for_selector("#ticket-status[data-status=assigned]")
    engineer.click("details[data-transition=start] summary")
    engineer.click("details[data-transition=start] button[name=confirm]")
    engineer.wait_for_selector("#ticket-status[data-status=in_progress]")
    engineer.fill("#id_body", "已定位：导出模板缺少字段，正在修复。")
    engineer.click("#reply button")
    engineer.wait_for_selector("text=已定位：导出模板缺少字段")
    engineer.click("details[data-transition=propose_resolution] summary")
    engineer.select_option("select[name=t-propose_resolution-resolution_method]", value="configuration")
    engineer.fill("textarea[name=t-propose_resolution-resolution_root_cause]", "导出模板配置缺少字段")
    engineer.fill("textarea[name=t-propose_resolution-resolution_text]", "已补充模板字段，请重新导出。")
    engineer.click("details[data-transition=propose_resolution] button[name=confirm]")
    engineer.wait_for_selector("#ticket-status[data-status=resolved]")
    # the action for a transition that is not allowed now is not offered
    assert engineer.locator("details[data-transition=start]").count() == 0

    # 3. the customer sees the answer and the resolution, confirms, and rates the service
    customer.reload()
    assert "已定位：导出模板缺少字段" in customer.content()
    assert "已补充模板字段" in customer.locator("#resolution").inner_text()
    customer.click("#decision button[value=confirm]")
    customer.wait_for_selector("#ticket-status[data-status=closed]")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.resolution_method == "configuration"
    assert ticket.attachments.filter(filename="日志截图.png").exists()
    customer.check("#rating input[name=rating][value='5']")
    customer.fill("#rating textarea[name=comment]", "响应很快，谢谢！")
    customer.click("#rating button")
    customer.wait_for_selector("#rated")
    ticket.survey.refresh_from_db()
    assert ticket.survey.rating == 5 and ticket.survey.comment == "响应很快，谢谢！"
