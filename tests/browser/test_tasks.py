"""An official, in headless Chromium, reports progress with a photo and sees the task's progress change."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PIL import Image

from tasks.models import Evidence, ProgressEntry, TaskStatus
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def board_task(browser_world):
    w = browser_world
    return f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, code="2.1", title="新建乡村宣传栏", indicator=w.leaf_ads, phase=w.phase_push,
        target_value=Decimal("7"), target_unit="个", person_name="陈联络员", deadline=dt.date(2026, 12, 31),
    )


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_official_adds_progress_with_a_photo_and_sees_the_progress_change(browser_world, board_task, open_page, tmp_path, viewport):
    photo = tmp_path / "宣传栏.png"
    Image.new("RGB", (64, 48), "red").save(photo)
    page = open_page(browser_world.official_a, viewport=viewport)

    page.goto(f"{page.base_url}/tasks/")
    page.click("text=新建乡村宣传栏")
    assert page.inner_text("[data-testid=progress-value]") == "0个"
    assert "户外公益广告占比不低于20%。" in page.inner_text("[data-testid=standard-text]")

    page.fill("textarea[name=text]", "新建成村级宣传栏3个")
    page.fill("input[name=value]", "3")
    page.set_input_files("input[name=files]", str(photo))
    page.click("#progress-form button[type=submit]")
    page.wait_for_selector("text=进展已保存")

    assert page.inner_text("[data-testid=progress-value]") == "3个"
    assert page.inner_text("[data-testid=progress-percent]") == "42.9%"  # 3 / 7
    assert "进行中" in page.inner_text("[data-testid=task-status]")
    assert "新建成村级宣传栏3个" in page.content()
    # The photo is shown through the access-checked view and actually loads.
    img = page.locator("img.img-thumbnail").first
    img.wait_for()
    assert page.evaluate("(el) => el.complete && el.naturalWidth", img.element_handle()) == 64

    entry = ProgressEntry.objects.get(task=board_task)
    assert entry.value == Decimal("3") and entry.author == browser_world.official_a
    assert Evidence.objects.get(entry=entry).original_name == "宣传栏.png"
    board_task.refresh_from_db()
    assert board_task.status == TaskStatus.IN_PROGRESS

    # Reloading the task page after saving adds nothing.
    page.reload()
    assert ProgressEntry.objects.filter(task=board_task).count() == 1


def test_the_timeline_and_dashboard_render_for_a_leader(browser_world, board_task, open_page):
    page = open_page(browser_world.leader)
    page.goto(f"{page.base_url}/tasks/timeline/")
    assert page.locator("svg.tl").is_visible()
    assert "新建乡村宣传栏" in page.text_content("svg.tl")
    page.goto(f"{page.base_url}/tasks/dashboard/")
    assert "按责任单位" in page.inner_text("main")


def test_completing_below_target_asks_for_the_reason_and_the_office_sees_it_in_red(browser_world, board_task, open_page):
    from playwright.sync_api import expect

    w = browser_world
    ProgressEntry.objects.create(task=board_task, author=w.official_a, text="新建宣传栏", value=Decimal("6"))
    page = open_page(w.official_a)
    page.on("dialog", lambda dialog: dialog.accept())  # 确认该任务已完成？
    page.goto(f"{page.base_url}/tasks/{board_task.pk}/")
    expect(page.locator("[data-testid=short-warning]")).to_contain_text("6/7个")
    reason = page.locator("#complete-form textarea[name=reason]")
    expect(reason).to_have_attribute("required", "required")
    # The browser does not send the form without the reason.
    page.click("#complete-form button[type=submit]")
    assert page.evaluate("(el) => el.validity.valueMissing", reason.element_handle())
    board_task.refresh_from_db()
    assert board_task.status == TaskStatus.NOT_STARTED and board_task.completed_on is None
    reason.fill("1个宣传栏选址涉及道路改造，改造完成后补建")
    with page.expect_navigation():
        page.click("#complete-form button[type=submit]")
    expect(page.locator("[data-testid=shortfall]")).to_contain_text("1个宣传栏选址涉及道路改造")

    office = open_page(w.admin)
    office.goto(f"{office.base_url}/tasks/{board_task.pk}/")
    red = office.locator("[data-testid=accept-shortfall]")
    expect(red).to_be_visible()
    expect(red).to_contain_text("1个宣传栏选址涉及道路改造")
    colour = office.evaluate("(el) => getComputedStyle(el).color", red.element_handle())
    assert colour.startswith("rgb(") and int(colour[4:].split(",")[0]) > 150  # Bootstrap's text-danger red
