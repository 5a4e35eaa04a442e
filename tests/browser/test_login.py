import pytest

pytestmark = pytest.mark.browser


def test_an_official_logs_in_and_sees_the_home_page(browser_world, open_page):
    page = open_page(browser_world.official_a)
    assert browser_world.campaign.name in page.content()
    assert "单位联络员" in page.inner_text("nav")
