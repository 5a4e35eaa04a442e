"""A resident answers a survey from the QR code on a 375 px phone; an inspector interviews door to door."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveys.models import Response, ResponseMode, Survey
from tests.browser.conftest import PHONE
from tests.test_surveys import make_survey

pytestmark = pytest.mark.browser

LONG_TITLE = "泰和市创建全国文明城市群众知晓率、支持率、满意度入户及街头拦截调查（城东街道迎春社区、东风社区第二轮抽样）"


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), page.url


def test_a_resident_answers_on_a_phone_without_sideways_scrolling(browser_world, chromium, live_server):
    w = browser_world
    survey = make_survey(w)
    Survey.objects.filter(pk=survey.pk).update(title=LONG_TITLE)
    from surveys import services

    services.quota_set(survey=survey, unit=w.community_a, target=30)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/surveys/s/{survey.token}/")
        expect(page.get_by_role("heading", name=LONG_TITLE)).to_be_visible()
        _fits(page)
        page.select_option("select[name=area]", label="迎春社区")
        # Submitting with the rating missing keeps the other answers and says what is missing.
        page.get_by_text("知道", exact=True).click()
        with page.expect_navigation():
            page.get_by_role("button", name="提交").click()
        expect(page.get_by_text("请回答这一题。")).to_be_visible()
        expect(page.get_by_label("知道", exact=True)).to_be_checked()
        _fits(page)
        page.get_by_text("4分", exact=True).click()
        page.get_by_role("textbox").fill("希望背街小巷的垃圾清运更及时。")
        with page.expect_navigation():
            page.get_by_role("button", name="提交").click()
        expect(page.get_by_test_id("public-message")).to_contain_text("提交成功")
        _fits(page)
        response = Response.objects.get()
        assert (response.mode, response.unit, response.interviewer) == (ResponseMode.PUBLIC, w.community_a, None)
        assert response.answers.get(question=w.q_satisfied).rating == 4
        # The same phone again: told it has answered, no second response.
        page.goto(f"{live_server.url}/surveys/s/{survey.token}/")
        expect(page.get_by_test_id("public-message")).to_contain_text("已经填写过")
        assert Response.objects.count() == 1
        page.wait_for_load_state("networkidle")
    finally:
        context.close()


def test_an_inspector_interviews_on_a_phone(browser_world, open_page):
    w = browser_world
    survey = make_survey(w)
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/surveys/{survey.pk}/interview/")
    expect(page.get_by_role("button", name="保存本份答卷")).to_be_visible()
    _fits(page)
    page.select_option("select[name=area]", label="迎春社区")
    page.get_by_text("不知道", exact=True).click()
    page.get_by_text("2分", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="保存本份答卷").click()
    expect(page.get_by_text("已保存（迎春社区）")).to_be_visible()
    _fits(page)
    response = Response.objects.get()
    assert (response.mode, response.interviewer, response.unit) == (ResponseMode.INTERVIEW, w.inspector, w.community_a)
