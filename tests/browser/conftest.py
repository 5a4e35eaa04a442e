"""Headless Chromium (Debian's ``chromium``) driven by Playwright, against the live test server.

No browser is downloaded: Playwright launches /usr/bin/chromium. Tests are
skipped with a clear reason where Chromium is not installed (``make test``
installs it as root).
"""
from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.conftest import build_world

# Every context emulates prefers-reduced-motion: Bootstrap then scrolls to an anchor (#rates-unit after a
# sort) and opens menus without animation, so a click is not aimed at where an element was mid-scroll.
# expect() waits as long as the contexts' actions (15 s, set in open_page) on a busy 2-core machine;
# it still returns as soon as the condition holds.
expect.set_options(timeout=15_000)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM:
        if os.environ.get("CHUANGWEN_REQUIRE_SERVICES"):
            pytest.fail("chromium 未安装：浏览器测试需要 Debian 的 chromium 软件包")
        pytest.skip("chromium 未安装（apt-get install chromium）")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are ordinary synchronous code. Set only while browsers run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_world(transactional_db):
    return build_world()


@pytest.fixture
def open_page(chromium, live_server):
    """``open_page(user, viewport=DESKTOP)`` gives a logged-in page at the live server."""
    contexts = []

    def _open(user, password: str = "Chuangwen#2026", viewport: dict | None = None):
        context = chromium.new_context(viewport=viewport or DESKTOP, locale="zh-CN", reduced_motion="reduce")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.base_url = live_server.url
        return page

    yield _open
    # Let requests the page still has in flight (a lazy thumbnail, an htmx poll) finish before the
    # test database is flushed: a request still writing (e.g. the audit row of a download) while
    # the flush TRUNCATEs deadlocks on PostgreSQL, seen on a loaded machine.
    for context in contexts:
        for page in context.pages:
            try:
                page.wait_for_load_state("networkidle", timeout=10_000)
            except PlaywrightTimeoutError:
                pass  # a page that never goes idle is closed anyway; the flush may then have to wait
        context.close()
