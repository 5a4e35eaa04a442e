"""An admin uploads a workbook, sees the preview with its one error row, fixes the file and applies it."""
from __future__ import annotations

import pytest

from campaign.models import Unit
from tests.browser.conftest import DESKTOP
from tests.import_workbooks import xlsx

pytestmark = pytest.mark.browser

HEADER = ["单位名称", "简称", "上级单位", "单位类型", "考核组别"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(page, rows):
    page.goto(f"{page.base_url}/tasks/import/")
    page.select_option("select[name=kind]", "units")
    page.set_input_files("input[name=file]", {"name": "单位名单.xlsx", "mimeType": XLSX, "buffer": xlsx(rows)})
    page.click("#import-form [type=submit]")
    page.wait_for_selector("#import-preview")


def test_an_admin_fixes_the_error_row_and_applies_the_import(browser_world, open_page):
    page = open_page(browser_world.admin, viewport=DESKTOP)
    rows = [HEADER, ["高港街道", "高港", "城西区", "街道", "乡镇街道组"], ["永安社区", None, "海陵区", "社区", None]]
    _upload(page, rows)
    errors = page.locator("#import-problems tr[data-level=error]")
    assert errors.count() == 1
    assert "找不到上级单位“海陵区”" in errors.inner_text()
    assert page.locator("#apply-form").count() == 0
    assert "未写入任何数据" in page.inner_text("#import-blocked")

    rows[2][2] = "高港街道"  # the fix: the parent is the street created by the row above
    _upload(page, rows)
    assert page.locator("#import-problems tr[data-level=error]").count() == 0
    assert "新增 2" in page.inner_text("#import-summary")
    assert not Unit.objects.filter(name="高港街道").exists()
    page.click("#apply-form button[type=submit]")
    page.wait_for_selector("text=导入完成")
    assert Unit.objects.get(name="永安社区").parent.name == "高港街道"
