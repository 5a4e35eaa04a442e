"""The navbar fits (issue 17, item 1): one line at 1024 and 1366 px for every role, a clean phone menu at 375 px,
the campaign switcher, and the favicon. The hardest case on purpose: two campaigns (so the switcher shows) and
a staff admin (后台管理 in the user menu)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaign.models import CampaignKind
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

WIDE = ({"width": 1024, "height": 800}, {"width": 1366, "height": 900})


@pytest.fixture
def nav_world(browser_world):
    w = browser_world
    w.admin.is_staff = True
    w.admin.save()
    f.CampaignFactory(slug="taihe-weisheng", name="泰和市2026年创建国家卫生城市", kind=CampaignKind.HYGIENIC_CITY)
    return w


def _top_level_boxes(page) -> list[dict]:
    """The bounding box of every top-level entry of the navbar (brand, menus, switcher, messages, user)."""
    items = page.locator(".cw-navbar .navbar-brand, #mainnav > ul > li.nav-item")
    return [items.nth(i).bounding_box() for i in range(items.count())]


def _tasks_page(page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/tasks/") and r.request.method == "GET"):
        page.goto(f"{page.base_url}/tasks/")
    expect(page.locator(".cw-navbar .navbar-brand")).to_be_visible()


@pytest.mark.parametrize("role", ["admin", "inspector", "leader", "official_a"])
def test_the_navbar_is_one_line_at_1024_and_1366_px(nav_world, open_page, role):
    page = open_page(getattr(nav_world, role), viewport=WIDE[0])
    for viewport in WIDE:
        page.set_viewport_size(viewport)
        _tasks_page(page)
        boxes = _top_level_boxes(page)
        assert len(boxes) >= 5, boxes
        link_height = page.locator("#mainnav > ul > li.nav-item > .nav-link").first.bounding_box()["height"]
        tops = {round(box["y"] + box["height"] / 2) for box in boxes}
        assert max(tops) - min(tops) <= 4, (viewport, role, boxes)  # every entry on the same line
        for box in boxes:
            assert box["height"] <= link_height * 1.3, (viewport, role, box)  # no entry wraps (首/页, 退/出)
        navbar = page.locator(".cw-navbar").bounding_box()
        assert navbar["height"] <= link_height * 1.9, (viewport, role, navbar)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("role", ["admin", "official_a"])
def test_the_phone_menu_opens_without_sideways_scroll(nav_world, open_page, role):
    page = open_page(getattr(nav_world, role), viewport=PHONE)
    _tasks_page(page)
    expect(page.locator("#mainnav")).to_be_hidden()
    page.click(".navbar-toggler")
    expect(page.locator("#mainnav.show")).to_be_visible()
    page.click("#mainnav >> text=督查")
    expect(page.locator("#mainnav .dropdown-menu.show").first).to_be_visible()
    page.click("#mainnav .cw-user-name")
    expect(page.locator("#mainnav .dropdown-menu.show >> text=退出")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_switcher_changes_the_campaign_shown(nav_world, open_page):
    page = open_page(nav_world.official_a)
    _tasks_page(page)
    current = page.locator(".cw-campaign-current")
    expect(current).to_contain_text("泰和市2026年创建全国文明城市")
    current.click()
    with page.expect_navigation():
        page.click("text=泰和市2026年创建国家卫生城市")
    expect(page.locator(".cw-campaign-current")).to_contain_text("泰和市2026年创建国家卫生城市")
    expect(page.locator(".alert-success")).to_contain_text("已切换到")


def test_the_favicon_is_served(nav_world, open_page):
    page = open_page(nav_world.official_a)
    href = page.locator('link[rel=icon][type="image/svg+xml"]').get_attribute("href")
    response = page.request.get(f"{page.base_url}{href}")
    assert response.status == 200 and "svg" in response.headers["content-type"]
    assert page.title().endswith("创文工作平台") and "首页" in page.title()
