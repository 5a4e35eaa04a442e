"""Security pages in a real browser: the lockout page and the audit log, on a phone and a desktop."""
from __future__ import annotations

import os

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("CHUANGWEN_SCREENSHOTS")  # a folder to keep screenshots in, when set


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_five_wrong_passwords_show_the_chinese_lockout_page_on_a_phone(browser_world, chromium, live_server):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce")
    try:
        page = context.new_page()
        for _ in range(5):
            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", "official_a")
            page.fill("input[name=password]", "Wrong#Pass2026")
            page.click("button[type=submit]")
        assert "登录已锁定" in page.content()
        assert "30 分钟后再试" in page.inner_text("main")
        _shot(page, "lockout-phone")
        # Even the right password is refused now.
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "official_a")
        page.fill("input[name=password]", browser_world.password)
        page.click("button[type=submit]")
        assert "登录已锁定" in page.content()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_leader_searches_the_audit_log(browser_world, open_page, viewport):
    page = open_page(browser_world.leader, viewport=viewport)
    page.goto(f"{page.base_url}/campaign/audit/")
    assert "审计日志" in page.inner_text("h1")
    # The leader's own login is the newest row, in words rather than its code.
    table = page.inner_text("table")
    assert "登录成功" in table and "auth.login" not in table
    page.fill("input[name=person]", "leader_test")
    page.click("input[type=submit], button[type=submit]:has-text('查询')")
    page.wait_for_load_state()
    assert "person=leader_test" in page.url
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    _shot(page, f"audit-{'phone' if viewport == PHONE else 'desktop'}")
