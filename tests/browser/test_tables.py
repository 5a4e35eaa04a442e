"""Sortable tables in headless Chromium (issue 17): a click on a 任务统计 header re-orders the rows;
the month ranking and the year summary on a 375 px phone show 名次, 单位 and 得分 without sideways
scrolling, the other columns behind 显示全部列."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from reports.services import period_publish
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


def test_the_year_summary_on_a_phone_shows_rank_unit_and_year_score_and_the_months_on_a_tap(browser_world, open_page):
    cache.clear()
    w = make_october(browser_world)
    for month in range(5, 11):  # May … October published: six month columns that would not fit 375 px
        period_publish(campaign=w.campaign, month=dt.date(2026, month, 1), actor=w.admin,
                       today=dt.date(2026, month + 1, 2), confirm_empty=True)
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/years/2026/")
    table = page.locator("table.cw-year").first
    for title in ("年度排名", "单位", "年度得分"):
        expect(table.locator("th", has_text=title)).to_be_visible()
    expect(table.locator("th", has_text="10月")).to_be_hidden()
    expect(table.locator("th", has_text="计入月数")).to_be_hidden()
    row = table.locator("tbody tr", has_text="城东街道")
    # 城东街道: October 100 − 0.50 − 0.50 (not rectified by its deadline) = 99.00; (5 × 100 + 99) ÷ 6 = 99.83
    expect(row.locator("td.fw-bold")).to_have_text(["1", "99.83"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.cw-ranking-wrap .table-responsive')).every(e => e.scrollWidth <= e.clientWidth)")
    button = page.locator("[data-cw-all-columns]").first
    expect(button).to_have_text("显示全部列")
    button.click()
    expect(table.locator("th", has_text="10月")).to_be_visible()
    expect(table.locator("th", has_text="5月")).to_be_visible()
    expect(row.locator("td").nth(9)).to_have_text("99.00")  # 排名, 单位, 年度得分, 计入月数, 5月 … 10月
    expect(button).to_have_attribute("aria-expanded", "true")
    cache.clear()
