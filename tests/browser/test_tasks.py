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
