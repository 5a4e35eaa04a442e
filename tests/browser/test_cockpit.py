"""The leaders' cockpit in headless Chromium: one screen at 1366 × 900, no sideways scroll at 375 px,
the map draws its points, a figure click lands on the filtered list."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.test_cockpit import build_city

pytestmark = pytest.mark.browser


@pytest.fixture
def city(browser_world):
    return build_city(browser_world)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_leader_lands_on_the_cockpit_sees_the_map_and_follows_a_figure(city, open_page):
    page = open_page(city.leader, viewport={"width": 1366, "height": 900})
    expect(page.get_by_role("heading", name=re.compile("领导驾驶舱"))).to_be_visible()
    box = page.get_by_test_id("cockpit-map")
    expect(box).to_have_attribute("data-ready", "1")
    expect(box).to_have_attribute("data-points", "1")  # 人民路（城东段）; 口岸农贸市场 has no position
    expect(box.locator("path.cw-map-point-many")).to_have_count(1)
    expect(page.get_by_test_id("cockpit-unlocated")).to_contain_text("口岸农贸市场")
    _fits(page)
    # The groups, the units behind and the phase fit beside the map on one 1366 × 900 screen.
    assert page.get_by_test_id("cockpit-behind").bounding_box()["y"] < 900
    assert box.bounding_box()["y"] < 900
    page.get_by_test_id("kpi-overdue-tasks").click()
    page.wait_for_url(re.compile(r"/tasks/\?flag=overdue$"))
    expect(page.locator("tr[data-task]")).to_have_count(4)


def test_the_cockpit_reads_on_a_phone_without_sideways_scroll(city, open_page):
    page = open_page(city.admin, viewport={"width": 375, "height": 800})
    box = page.get_by_test_id("cockpit-map")
    expect(box).to_have_attribute("data-ready", "1")
    expect(box.locator("path.cw-map-point")).to_have_count(1)
    _fits(page)
    page.get_by_test_id("kpi-overdue-orders").click()
    page.wait_for_url(re.compile(r"/inspections/orders/\?state=overdue$"))
    expect(page.get_by_test_id("order-filter")).to_be_visible()
    expect(page.get_by_test_id("order-overdue")).to_have_count(1)
