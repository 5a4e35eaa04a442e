"""Sortable tables in headless Chromium (issue 17): a click on a 任务统计 header re-orders the rows;
the month ranking on a 375 px phone shows 名次, 单位 and 得分 without sideways scrolling."""
from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.test_tables import make_october, make_tasks

pytestmark = pytest.mark.browser


def test_a_click_on_a_header_of_the_task_statistics_reorders_the_rows(browser_world, open_page):
    make_tasks(browser_world)
    page = open_page(browser_world.admin)
    page.goto(f"{page.base_url}/tasks/dashboard/")
    names = page.locator('table[data-table="unit"] tbody tr td:first-child')
    expect(names).to_have_text(["口岸街道", "市城管局", "城东街道"])  # most overdue first
    page.locator('table[data-table="unit"] a[data-sort="name"]').click()
    page.wait_for_url(re.compile(r"unit_sort=name#rates-unit$"))
    expect(names).to_have_text(["口岸街道", "城东街道", "市城管局"])  # 口 < 城 < 市
    expect(page.locator('table[data-table="unit"] th[aria-sort="ascending"]')).to_have_text(re.compile("责任单位"))
    page.locator('table[data-table="unit"] a[data-sort="name"]').click()  # again: reversed
    page.wait_for_url(re.compile(r"unit_sort=-name#rates-unit$"))
    expect(names).to_have_text(["市城管局", "城东街道", "口岸街道"])


def test_the_ranking_on_a_phone_shows_the_score_without_sideways_scrolling(browser_world, open_page):
    cache.clear()
    make_october(browser_world)
    page = open_page(browser_world.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/2026-10/")
    table = page.locator("table.cw-ranking").first
    expect(table.locator("th:has(a[data-sort=score])")).to_be_visible()
    expect(table.locator("th:has(a[data-sort=rank])")).to_be_visible()
    expect(table.locator("th", has_text="问题扣分")).to_be_hidden()
    row = table.locator("tbody tr", has_text="城东街道")
    expect(row.locator("td.fw-bold").first).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap_fits = page.evaluate(
        "Array.from(document.querySelectorAll('.cw-ranking-wrap .table-responsive')).every(e => e.scrollWidth <= e.clientWidth)")
    assert wrap_fits  # the table itself does not scroll sideways either
    # The other figures are one tap away.
    page.locator("[data-cw-all-columns]").first.click()
    expect(table.locator("th", has_text="问题扣分")).to_be_visible()
    cache.clear()
