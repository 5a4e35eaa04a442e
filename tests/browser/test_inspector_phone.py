"""Every inspector page on a 375 × 812 phone: no sideways scrolling, tables as stacked cards,
touch targets at least 44 px tall. The data has long names and enough rows to stretch a layout."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from inspections import services
from inspections.models import Check, CheckResult
from tests import factories as f
from tests.browser.conftest import PHONE
from tests.inspections_support import png

pytestmark = pytest.mark.browser

LONG_POINT = "人民路（城东段）与迎春路交叉口至城东农贸市场北门段主次干道及两侧商铺门前区域"
LONG_DESC = "道路两侧商铺门前三包责任落实不到位，果皮纸屑烟头较多，机动车非机动车乱停乱放占用盲道，" \
            "沿街广告牌破损未及时修复，https://example.invalid/a-very-long-unbroken-link-that-would-overflow-a-phone"


def _phone_world(w):
    """Findings in every state on a point with a long name, a 督办单, a submitted rectification, a checklist round."""
    long_unit = f.UnitFactory(name="泰和市城市管理和综合执法局市容环境卫生管理中心第三作业区", parent=w.city,
                              ranking_group=w.group_dept)
    long_point = f.PointFactory(name=LONG_POINT, point_type=w.pt_road, unit=w.unit_a,
                                address="人民路与迎春路交叉口东北角至城东农贸市场北门（约 850 米）")
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="spot_check", source_level="city", date=dt.date(2026, 11, 27),
        title="11月暗访抽查（城东片区主次干道、农贸市场、背街小巷及学校周边综合整治专项督查）",
    )
    findings = []
    for i in range(8):
        findings.append(services.finding_create(
            inspector=w.inspector, inspection=insp, point=long_point if i % 2 else w.point_a,
            indicator=w.leaf_clean if i < 6 else w.leaf_ads, description=f"{LONG_DESC}（第{i + 1}处）",
            points=Decimal("0.10"), unit=long_unit if i == 7 else None, photos=[png()] if i == 0 else (),
        ))
    order = services.order_issue(issuer=w.inspector, unit=w.unit_a, findings=findings[:3], deadline_working_days=5)
    rect = services.rectification_submit(
        official=w.official_a, finding=findings[1], description="已组织保洁员清扫，落实门前三包" * 4, after_photos=[png("后.png")],
    )
    Check.objects.create(inspection=insp, point=w.point_b, indicator=w.leaf_market, unit=w.unit_b,
                         result=CheckResult.PASS, month=dt.date(2026, 11, 1), checked_by=w.inspector)
    return insp, long_point, findings, order, rect


def test_every_inspector_page_fits_a_375_px_phone(browser_world, open_page, tmp_path):
    w = browser_world
    insp, long_point, findings, order, rect = _phone_world(w)
    page = open_page(w.inspector, viewport=PHONE)
    pages = {
        "首页": "/",
        "检查列表": "/inspections/",
        "新建检查": "/inspections/new/",
        "检查详情": f"/inspections/{insp.pk}/",
        "登记问题": f"/inspections/{insp.pk}/findings/new/?point={long_point.pk}",
        "清单检查": f"/inspections/{insp.pk}/checklist/{long_point.pk}/",
        "问题清单": "/inspections/findings/",
        "整改跟踪": "/inspections/rectifications/",
        "问题详情与验收": f"/inspections/findings/{findings[1].pk}/",
        "督办单": "/inspections/orders/",
        "签发督办单": f"/inspections/orders/new/?unit={w.unit_a.pk}",
        "督办单详情": f"/inspections/orders/{order.pk}/",
        "点位历史": f"/inspections/points/{long_point.pk}/",
        "申诉": "/inspections/appeals/",
        "更正·加分·问责": "/inspections/adjustments/",
    }
    too_wide = {}
    for label, url in pages.items():
        response = page.goto(page.base_url + url)
        assert response.status == 200, (label, url, response.status)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(tmp_path / f"{label}.png"), full_page=True)
        if width > PHONE["width"]:
            too_wide[label] = width
    assert too_wide == {}

    # Tables are stacked cards at this size: each cell says what it is.
    page.goto(f"{page.base_url}/inspections/findings/")
    cell = page.locator("table.cw-stack tbody tr").first.locator("td").nth(2)
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"责任单位"'
    rows = page.locator("table.cw-stack tbody tr")
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first["width"] > 300 and second["y"] >= first["y"] + first["height"]  # one card under another, full width

    # Touch targets: the review choices and buttons are at least 44 px tall.
    page.goto(f"{page.base_url}/inspections/findings/{findings[1].pk}/")
    for selector in ("label[for=dec-accept]", "label[for=dec-return]", "[data-testid=review]"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, (selector, box)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/checklist/{long_point.pk}/")
    box = page.locator(f"label[for=r{w.leaf_clean.pk}pass]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
