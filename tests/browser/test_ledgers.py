"""An official, on a 375 px phone, adds a 宣传栏 with a photo and sees the statistics change."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (190, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_an_official_adds_a_board_on_a_phone_and_the_coverage_rises(browser_world, open_page):
    w = browser_world
    page = open_page(w.official_a, viewport=PHONE)
    page.goto(f"{page.base_url}/ledgers/stats/")
    row = page.locator(f'#ledger-stats tr[data-unit="{w.unit_a.pk}"]')
    expect(row.locator('[data-figure="boards"]')).to_have_text("0个")
    expect(row.locator('[data-figure="board_coverage"]')).to_have_text("0.0%")
    expect(row).to_contain_text("尚无宣传栏：迎春社区")
    _no_sideways_scroll(page)

    page.goto(f"{page.base_url}/ledgers/boards/")
    page.get_by_role("link", name="新增宣传栏/公益广告").click()
    page.wait_for_url(re.compile(r"/ledgers/boards/add/$"))
    _no_sideways_scroll(page)
    expect(page.locator("#id_unit")).to_have_value(str(w.unit_a.pk))  # the official's own unit, chosen for them
    page.fill("#id_name", "迎春社区居委会门口宣传栏")
    page.select_option("#id_village", label="迎春社区")
    page.fill("#id_built_on", "2026-11-20")
    page.set_input_files("#id_photo", files=[{"name": "宣传栏.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/ledgers/boards/\?sort="))
    expect(page.get_by_text("已保存宣传栏/公益广告：迎春社区居委会门口宣传栏。")).to_be_visible()
    card = page.locator("tr[data-row]", has_text="迎春社区居委会门口宣传栏")
    expect(card).to_be_visible()
    expect(card.locator('td[data-label="照片"]')).to_have_text("1")
    _no_sideways_scroll(page)

    page.goto(f"{page.base_url}/ledgers/stats/")
    expect(row.locator('[data-figure="boards"]')).to_have_text("1个")
    expect(row.locator('[data-figure="board_coverage"]')).to_have_text("100.0%")
    expect(row).to_contain_text("各村（社区）均有宣传栏")
    _no_sideways_scroll(page)
