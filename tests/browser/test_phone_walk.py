"""Pages walked as their users do on a 375 px phone (found by walking the demo site): tables that were
squeezed to one character per column are cards with labelled lines, nothing scrolls sideways."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def card_line(page, row, label):
    """The line labelled ``label`` in a stacked card (``td[data-label]``)."""
    return row.locator(f'td[data-label="{label}"]')


def assert_no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_task_list_on_a_phone_is_a_card_per_task(browser_world, open_page):
    w = browser_world
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_ads, title="新建乡村宣传栏",
                  person_name="陈晓燕", deadline=dt.date(2026, 8, 31), phase=w.phase_push)
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/tasks/")
    row = page.locator("tr[data-task]", has_text="新建乡村宣传栏")
    unit = card_line(page, row, "责任单位")
    expect(unit).to_have_text("城东街道")
    expect(card_line(page, row, "责任人")).to_have_text("陈晓燕")
    # A squeezed column showed 城东街道 one character per line (16 px wide); a card line holds it on one.
    box = unit.bounding_box()
    assert box["width"] > 200 and box["height"] < 40
    assert_no_sideways_scroll(page)


@pytest.fixture
def october(browser_world):
    from tests.test_tables import make_october

    return make_october(browser_world)


def test_the_month_list_on_a_phone_is_a_card_per_month(october, open_page):
    page = open_page(october.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/")
    row = page.locator("tbody tr", has_text="2026年10月")
    points = card_line(page, row, "问题扣分合计")
    expect(points).to_have_text("1.50")
    # Squeezed, 1.50 stood one character per line in an 18 px column; a card line is the card's width.
    assert points.bounding_box()["width"] > 200
    assert_no_sideways_scroll(page)


def test_a_units_score_lines_on_a_phone_are_cards(october, open_page):
    w = october
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/2026-10/units/{w.unit_a.pk}/")
    row = page.locator("tbody tr", has_text="问题扣分")
    point = card_line(page, row, "点位")
    expect(point).to_have_text("人民路（城东段）")
    box = point.bounding_box()  # was a 21 px column, the point's name a character per line
    assert box["width"] > 200 and box["height"] < 40
    expect(page.locator('tfoot td[data-label="得分"]')).to_have_text("99.50")
    assert_no_sideways_scroll(page)


def test_the_inspectors_recent_findings_on_a_phone_are_cards(october, open_page):
    page = open_page(october.inspector, viewport=PHONE)
    row = page.locator("tbody tr", has_text="口岸街道").filter(has=page.locator('td[data-label="扣分"]'))
    unit = card_line(page, row, "单位")
    expect(unit).to_have_text("口岸街道")
    box = unit.bounding_box()
    assert box["width"] > 200 and box["height"] < 40
    expect(card_line(page, row, "扣分")).to_have_text("1.00")
    assert_no_sideways_scroll(page)


def test_bonuses_on_a_phone_are_cards(browser_world, open_page):
    from decimal import Decimal

    from inspections.models import Bonus

    w = browser_world
    Bonus.objects.create(campaign=w.campaign, unit=w.unit_b, month=dt.date(2026, 11, 1), points=Decimal("1.00"),
                         reason="垃圾分类工作创新做法被省级媒体报道", created_by=w.admin)
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/adjustments/")
    row = page.locator("tbody tr", has_text="垃圾分类工作创新做法")
    unit = card_line(page, row, "单位")
    expect(unit).to_have_text("口岸街道")
    box = unit.bounding_box()  # was a 22 px column: 口岸街道 one character per line
    assert box["width"] > 200 and box["height"] < 40
    expect(row.get_by_role("button", name="批准", exact=True)).to_be_visible()
    assert_no_sideways_scroll(page)


def test_the_cockpit_maps_zoom_buttons_speak_chinese(browser_world, open_page):
    from tests.test_cockpit import build_city

    city = build_city(browser_world)
    page = open_page(city.leader, viewport=PHONE)
    box = page.get_by_test_id("cockpit-map")
    expect(box).to_have_attribute("data-ready", "1")
    expect(box.get_by_role("button", name="放大")).to_have_attribute("title", "放大")
    expect(box.get_by_role("button", name="缩小")).to_have_attribute("title", "缩小")
    expect(box.locator('[title="Zoom in"], [title="Zoom out"]')).to_have_count(0)


def test_a_units_score_trend_is_readable_on_a_phone(october, open_page):
    w = october
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/months/2026-10/units/{w.unit_a.pk}/")
    chart = page.get_by_test_id("trend-phone").locator("svg")
    expect(chart).to_be_visible()
    label = chart.locator("text", has_text="10月")
    expect(label).to_be_visible()
    # The 640-wide chart shrunk into the phone's card drew its month labels about 6 px high.
    assert label.bounding_box()["height"] >= 10
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["375", "1366"])
def test_the_near_me_button_of_a_new_finding_is_on_screen(browser_world, open_page, viewport):
    w = browser_world
    inspection = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 11, 27))
    page = open_page(w.inspector, viewport=viewport)
    page.goto(f"{page.base_url}/inspections/{inspection.pk}/findings/new/")
    button = page.get_by_role("button", name="附近点位（使用手机定位）")
    expect(button).to_be_visible()
    fieldset = page.locator("fieldset", has=button).bounding_box()
    box = button.bounding_box()
    # It stood beside the floated legend, in a grid squeezed to 0 px: 66 px wide, from x=367 on a 375 px phone.
    assert box["x"] >= fieldset["x"] and box["x"] + box["width"] <= fieldset["x"] + fieldset["width"] + 1
    assert box["width"] > fieldset["width"] * 0.9
    if viewport is PHONE:
        assert_no_sideways_scroll(page)


def test_the_report_jobs_on_a_phone_are_cards(browser_world, open_page):
    from reports.models import JobStatus, ReportJob

    w = browser_world
    ReportJob.objects.create(kind="survey-pdf", campaign=w.campaign, requested_by=w.admin, status=JobStatus.DONE)
    ReportJob.objects.create(kind="bulletin-pdf", campaign=w.campaign, month=dt.date(2026, 10, 1), requested_by=w.leader,
                             status=JobStatus.FAILED, message="生成失败")
    page = open_page(w.leader, viewport=PHONE)
    page.goto(f"{page.base_url}/reports/jobs/")
    survey = page.locator("tbody tr", has=page.locator('td[data-label="报表"]', has_text="问卷"))
    expect(card_line(page, survey, "月份")).to_have_text("—")  # a survey's report has no month
    who = card_line(page, survey, "申请人")
    expect(who).to_have_text("王主任")
    box = who.bounding_box()  # was a 20 px column: 王主任 one character per line
    assert box["width"] > 200 and box["height"] < 40
    bulletin = page.locator("tbody tr", has=page.locator('td[data-label="月份"]', has_text="2026年10月"))
    expect(card_line(page, bulletin, "申请人")).to_have_text("赵书记")
    assert_no_sideways_scroll(page)


def test_a_public_surveys_question_titles_sit_inside_their_cards(browser_world, chromium, live_server):
    from tests.test_surveys import make_survey

    survey = make_survey(browser_world)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/surveys/s/{survey.token}/")
        card = page.locator("fieldset.cw-q", has_text="您知道我市正在创建全国文明城市吗？")
        title = card.locator("legend")
        expect(title).to_be_visible()
        card_box, title_box = card.bounding_box(), title.bounding_box()
        # Drawn across the card's top border the title started at the card's very top edge; inside, below
        # the border and the card's padding.
        assert title_box["y"] >= card_box["y"] + 8
        choice = card.get_by_text("知道", exact=True)
        assert choice.bounding_box()["y"] >= title_box["y"] + title_box["height"]  # the choices below the title
    finally:
        context.close()


def test_the_timeline_filter_fits_a_phone(browser_world, open_page):
    w = browser_world
    office = f.UnitFactory(name="泰和市创建全国文明城市工作领导小组办公室", parent=w.city)  # a wide option
    for unit in (w.unit_a, office):
        f.TaskFactory(campaign=w.campaign, unit=unit, indicator=w.leaf_ads, title="新建乡村宣传栏",
                      deadline=dt.date(2026, 8, 31), phase=w.phase_push)
    page = open_page(w.leader, viewport=PHONE)
    page.goto(f"{page.base_url}/tasks/timeline/")
    expect(page.locator("#tl-unit option", has_text="领导小组办公室")).to_have_count(1)
    button = page.get_by_role("button", name="筛选")
    expect(button).to_be_visible()
    # Squeezed beside the two selects, 筛选 stood one character per line (a 60 px tall button).
    box = button.bounding_box()
    assert box["height"] <= 48 and box["width"] > box["height"]
    phase = page.locator("#tl-phase").bounding_box()
    assert phase["x"] + phase["width"] <= PHONE["width"]
    assert_no_sideways_scroll(page)



def test_the_matrix_deadline_stays_on_one_line_at_1366(browser_world, open_page):
    """With a dozen unit columns the 截止 column wrapped 11-15 as 11- / 15."""
    from decimal import Decimal

    from materials import services

    w = browser_world
    std = f.IndicatorFactory(campaign=w.campaign, code="4.1.2", name="道德讲堂", level=3, parent=w.ind_1_1,
                             method="material", score=Decimal("1.00"), lead_unit=w.unit_a)
    units = [w.unit_a, w.unit_b, *(f.UnitFactory(name=f"坡子街街道第{n}社区", parent=w.unit_a) for n in range(12))]
    services.requirement_save(user=w.admin, campaign=w.campaign, indicator=std, deadline=dt.date(2099, 11, 15),
                              items=services.parse_items("道德讲堂活动方案"), units=units)
    page = open_page(w.admin, viewport={"width": 1366, "height": 900})
    page.goto(f"{page.base_url}/materials/")
    deadline = page.get_by_test_id("matrix").locator('td[data-label="截止"]').first
    expect(deadline).to_have_text("11-15")
    lines = page.evaluate("""() => { const range = document.createRange();
        range.selectNodeContents(document.querySelector('td[data-label="截止"]'));
        return range.getClientRects().length; }""")
    assert lines == 1  # one line box: 11-15 is not broken after the hyphen
