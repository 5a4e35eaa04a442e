"""Publication in a real browser: an empty month needs its confirmation box ticked; an official reads
the published bulletin, with every unit's rank, on a phone."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from campaign.models import AssessmentPeriod, PeriodEvent, PeriodStatus
from reports.services import period_publish
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_an_empty_month_is_published_only_with_its_box_ticked(browser_world, open_page):
    w = browser_world
    page = open_page(w.admin)
    page.goto(f"{page.base_url}/reports/months/2026-09/")
    page.on("dialog", lambda dialog: dialog.accept())
    box = page.locator("#id_confirm_empty")
    expect(box).to_be_visible()
    page.click("text=发布2026年9月考核结果")
    # The browser refuses the form while the required box is empty: nothing is sent.
    assert page.evaluate("document.querySelector('#id_confirm_empty').validity.valueMissing") is True
    assert not PeriodEvent.objects.exists()
    box.check()
    with page.expect_navigation():
        page.click("text=发布2026年9月考核结果")
    expect(page.locator(".alert-success").first).to_be_visible()
    assert AssessmentPeriod.objects.get(campaign=w.campaign, month=dt.date(2026, 9, 1)).status == PeriodStatus.PUBLISHED
    assert PeriodEvent.objects.get(action="publish").reason == "确认发布无考核数据的月份"


def test_an_official_reads_the_published_bulletin_on_a_phone(browser_world, open_page):
    w = browser_world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, point=w.point_b,
                     points=D("0.50"), rectify_deadline=dt.date(2026, 12, 31))
    period_publish(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, today=dt.date(2026, 11, 5))
    page = open_page(w.official_a, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/")
    link = page.locator('a[href="/reports/months/2026-10/bulletin/"]')
    expect(link).to_be_visible()
    with page.expect_navigation():
        link.click()
    expect(page.locator("h1")).to_have_text("泰和市创建全国文明城市2026年10月考核结果通报")
    main = page.inner_text("main")
    assert "口岸街道" in main and "城东街道" in main and "数据截至发布时间" in main
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
