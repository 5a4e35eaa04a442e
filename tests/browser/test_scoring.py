"""Monthly assessment pages in a real browser: an admin publishes, an official reads the explanation on a phone."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from campaign.models import AssessmentPeriod, PeriodStatus
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def october(w):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, point=w.point_a,
                     points=D("0.30"), rectify_deadline=dt.date(2026, 12, 31))


def test_an_admin_previews_and_publishes_a_month(browser_world, open_page):
    w = browser_world
    october(w)
    page = open_page(w.admin)
    page.goto(f"{page.base_url}/reports/months/2026-10/")
    assert "预览" in page.inner_text(".alert-warning")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=发布2026年10月考核结果")
    page.wait_for_selector(".alert-success")
    assert "已发布" in page.inner_text("main")
    assert AssessmentPeriod.objects.get(campaign=w.campaign, month=dt.date(2026, 10, 1)).status == PeriodStatus.PUBLISHED


def test_an_official_reads_the_explanation_on_a_phone(browser_world, open_page):
    w = browser_world
    october(w)
    page = open_page(w.official_a, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/")
    page.click("text=城东街道得分明细 >> nth=1")  # 2026年10月 (newest month first: 12月 has no link, 11月 is first)
    page.wait_for_selector("#cw-score")
    assert page.inner_text("#cw-score") == "99.70"
    assert "人民路（城东段）：主干道两侧垃圾未及时清运" in page.inner_text("main")
    # One trend chart shown: the phone's narrow one (the desktop's is in the page, hidden below md).
    expect(page.get_by_test_id("trend-phone").locator("svg.cw-trend")).to_be_visible()
    assert page.locator("svg.cw-trend:visible").count() == 1
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
