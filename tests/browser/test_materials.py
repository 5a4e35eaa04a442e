"""材料审核 in headless Chromium: a unit official on a 375 px phone submits a document, the office accepts it,
and the matrix shows the standard as 已合格."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from materials import services
from materials.models import Submission
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def standard(browser_world):
    w = browser_world
    w.std = f.IndicatorFactory(campaign=w.campaign, code="4.1.2", name="道德讲堂", level=3, parent=w.ind_1_1, method="material",
                               score=Decimal("1.00"), standard_text="每季度至少开展一次道德讲堂活动。", lead_unit=w.unit_a)
    w.req = services.requirement_save(user=w.admin, campaign=w.campaign, indicator=w.std, deadline=dt.date(2099, 12, 31),
                                      items=services.parse_items("道德讲堂活动方案"))
    w.item = w.req.items.get()
    return w


def test_a_unit_submits_on_a_phone_and_the_office_accepts(standard, open_page):
    w = standard
    page = open_page(w.official_a, viewport=PHONE)
    page.goto(f"{page.base_url}/materials/")
    owed = page.get_by_test_id("owed")
    expect(owed).to_contain_text("道德讲堂活动方案")
    owed.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/materials/requirements/{w.req.pk}/units/{w.unit_a.pk}/$"))
    expect(page.get_by_test_id("standard-text")).to_contain_text("每季度至少开展一次")
    expect(page.get_by_text("每个文件不超过")).to_be_visible()
    page.fill(f"textarea[name=item{w.item.pk}-text]", "第四季度道德讲堂活动方案已印发")
    page.set_input_files(f"input[name=item{w.item.pk}-files]", files=[
        {"name": "道德讲堂活动方案.pdf", "mimeType": "application/pdf", "buffer": PDF},
    ])
    with page.expect_navigation():
        page.get_by_role("button", name="报送").click()
    expect(page.get_by_text("已报送“道德讲堂活动方案”")).to_be_visible()
    expect(page.get_by_test_id("round")).to_contain_text("待审核")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    submission = Submission.objects.get()

    office = open_page(w.admin)
    office.goto(f"{office.base_url}/materials/requirements/{w.req.pk}/units/{w.unit_a.pk}/")
    expect(office.get_by_role("link", name=re.compile("道德讲堂活动方案.pdf"))).to_be_visible()
    office.check(f"input[name=review{submission.pk}-status][value=accepted]")
    with office.expect_navigation():
        office.get_by_role("button", name="提交审核结果").click()
    expect(office.get_by_test_id("review")).to_contain_text("合格")
    office.goto(f"{office.base_url}/materials/")
    expect(office.get_by_test_id("matrix").get_by_text("已合格")).to_be_visible()
    expect(office.get_by_test_id("city-total")).to_contain_text("合格率 100.0%")


def test_the_matrix_fits_a_phone(standard, open_page):
    """The office's matrix on a 375 px phone: each standard a card, each unit a labelled line with its
    state's badge, nothing scrolling sideways."""
    w = standard
    for n in range(6):
        f.UnitFactory(name=f"泰和市城东街道第{n}社区居民委员会", parent=w.unit_a)
    units = [w.unit_a, w.unit_b, *w.unit_a.children.all()]
    services.requirement_save(user=w.admin, campaign=w.campaign, indicator=w.std, deadline=dt.date(2099, 12, 31),
                              items=services.parse_items("道德讲堂活动方案"), units=units)
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/materials/")
    matrix = page.get_by_test_id("matrix")
    expect(matrix.get_by_role("link", name="4.1.2 道德讲堂")).to_be_visible()
    expect(matrix.get_by_role("link", name="缺报")).to_have_count(len(units))
    expect(matrix.get_by_role("link", name="缺报").last).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

