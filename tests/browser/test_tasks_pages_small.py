"""A leader, in headless Chromium, pages the dashboard's unit table, follows 查看全部 to the filtered task list,
and pages the timeline by unit (issue 14: pages that stay small)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.test_pages_stay_small import build_city

pytestmark = pytest.mark.browser


@pytest.fixture
def big_city(browser_world):
    build_city(browser_world, 0, 300)
    return browser_world


def test_the_leader_pages_the_dashboard_and_opens_every_overdue_task(big_city, open_page):
    page = open_page(big_city.leader)
    page.goto(f"{page.base_url}/tasks/dashboard/")
    units = page.locator('table[data-table="unit"] tbody tr')
    expect(units).to_have_count(20)
    expect(units.first).to_contain_text("压测单位007")
    card = page.locator("#rates-unit")
    expect(card).to_contain_text("第 1 / 15 页")
    card.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"unit_page=2#rates-unit$"))
    expect(card).to_contain_text("第 2 / 15 页")
    expect(units.first).to_contain_text("压测单位009")
    expect(page.locator('table[data-table="overdue"] tbody tr')).to_have_count(20)

    page.get_by_test_id("overdue-all").click()
    page.wait_for_url(re.compile(r"/tasks/\?flag=overdue$"))
    expect(page.locator("tr[data-task]")).to_have_count(21)
    expect(page.locator("tr[data-task]", has_text="压测任务003-0")).to_be_visible()


def test_the_leader_pages_the_timeline_by_unit_and_filters_one_phase(big_city, open_page):
    page = open_page(big_city.leader)
    page.goto(f"{page.base_url}/tasks/timeline/")
    expect(page.locator("svg.tl [data-css]")).to_have_count(40)
    expect(page.locator('svg.tl [data-heading="unit"]')).to_have_count(40)
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"page=2$"))
    expect(page.get_by_text("第 2 / 15 页")).to_be_visible()
    page.select_option("#tl-phase", label="巩固迎检阶段")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"phase=\d+"))
    expect(page.locator("svg.tl [data-css]")).to_have_count(20)
    expect(page.locator('svg.tl [data-heading="phase"]')).to_have_count(1)
