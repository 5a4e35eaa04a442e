import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_official_logs_in_and_sees_the_home_page(browser_world, open_page):
    page = open_page(browser_world.official_a)
    assert browser_world.campaign.name in page.content()
    page.click(".cw-user-name")  # the role is said in the user menu (issue 17: the navbar stays one line)
    expect(page.locator(".cw-navbar .dropdown-menu.show")).to_contain_text("单位联络员")
