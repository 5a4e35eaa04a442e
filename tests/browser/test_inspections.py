"""At phone size: an inspector logs a finding with a photo at a point and issues a 督办单;
the unit official answers with an after-photo; the inspector accepts it."""
from __future__ import annotations

import datetime as dt

import pytest
from PIL import Image

from inspections import services
from inspections.models import Finding, FindingStatus, SupervisionOrder
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def _photo(path, color):
    Image.new("RGB", (64, 48), color).save(path, "JPEG")
    return str(path)


def test_a_finding_goes_from_the_street_to_accepted_on_a_phone(browser_world, open_page, tmp_path):
    w = browser_world
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="spot_check", source_level="city", date=dt.date(2026, 11, 27),
        title="11月暗访抽查",
    )

    # The inspector, in the street.
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/")
    page.click("[data-testid=add-finding]")
    photo_input = page.locator("input[name=photos]")
    assert photo_input.get_attribute("capture") == "environment"
    page.fill("#point-q", "人民路")
    page.click("[data-pick-point]:has-text('人民路（城东段）')")
    assert "包保单位 城东街道" in page.inner_text("#point-chosen")
    page.fill("#indicator-q", "1.1.1")
    page.click("[data-pick-indicator]:has-text('1.1.1')")
    page.wait_for_selector("#suggestion [data-suggested='0.30']")
    page.fill("textarea[name=description]", "人民路两侧果皮纸屑未清扫")
    photo_input.set_input_files(_photo(tmp_path / "现场.jpg", "red"))
    # Big touch targets at 375 px: the save button spans the width and is at least 44 px tall.
    page.screenshot(path=str(tmp_path / "finding-form.png"), full_page=True)
    box = page.locator("[data-testid=save-finding]").bounding_box()
    assert box["height"] >= 44 and box["width"] > 300
    page.click("[data-testid=save-finding]")
    page.wait_for_selector("[data-testid=finding-status]")
    finding = Finding.objects.get()
    assert (finding.unit, str(finding.points), finding.photos.count()) == (w.unit_a, "0.30", 1)

    # … and issues a 督办单 for it.
    page.goto(f"{page.base_url}/inspections/orders/new/?finding={finding.pk}")
    assert page.is_checked(f"input[name=findings][value='{finding.pk}']")
    page.click("[data-testid=issue-order]")
    label = page.inner_text("[data-testid=order-label]")
    order = SupervisionOrder.objects.get()
    assert label == order.label == f"督办〔{order.year}〕1号"

    # The unit official answers from the phone with an after-photo.
    official = open_page(w.official_a, viewport=PHONE)
    assert order.label in official.content()  # on the home page
    official.goto(f"{official.base_url}/inspections/findings/{finding.pk}/")
    official.click("[data-testid=rectify]")
    official.fill("textarea[name=description]", "已组织保洁员清扫，落实门前三包")
    official.set_input_files("input[name=after_photos]", _photo(tmp_path / "整改后.jpg", "green"))
    official.screenshot(path=str(tmp_path / "rectify.png"), full_page=True)
    official.click("[data-testid=submit-rectification]")
    official.wait_for_selector("[data-testid=round]")
    assert "待验收" in official.inner_text("[data-testid=finding-status]")

    # The inspector accepts it.
    page.goto(f"{page.base_url}/inspections/findings/{finding.pk}/")
    page.check("#dec-accept")
    page.click("[data-testid=review]")
    page.wait_for_selector("[data-testid=finding-status]:has-text('已销号')")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ACCEPTED and finding.accepted_at is not None
    page.screenshot(path=str(tmp_path / "accepted.png"), full_page=True)


def test_a_checklist_round_on_a_phone_turns_a_fail_into_a_finding(browser_world, open_page, tmp_path):
    w = browser_world
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="on_site", source_level="district", date=dt.date(2026, 11, 27),
        title="11月区级现场考核",
    )
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/")
    page.fill("input[name=q]", "农贸")
    page.click("[data-pick-point]:has-text('口岸农贸市场')")
    page.wait_for_selector(".checklist-item")
    assert page.locator(".checklist-item").count() == 2  # 1.1.1 and 1.2.1 apply to markets
    page.click(".checklist-item[data-indicator='1.1.1'] input[data-result=pass] + label")
    market = page.locator(".checklist-item[data-indicator='1.2.1']")
    market.locator("input[data-result=fail] + label").click()
    market.locator("textarea").fill("水产区地面积水、占道经营")
    market.locator("input[type=file]").set_input_files(_photo(tmp_path / "市场.jpg", "blue"))
    page.screenshot(path=str(tmp_path / "checklist.png"), full_page=True)
    page.click("[data-testid=save-checklist]")
    page.wait_for_selector(".alert-success")
    finding = Finding.objects.get()
    assert (finding.unit, finding.indicator, str(finding.points)) == (w.unit_b, w.leaf_market, "0.20")
    assert finding.photos.count() == 1
    assert insp.checks.count() == 2


def test_a_large_phone_photo_is_shrunk_before_upload(browser_world, open_page, tmp_path):
    import os

    from django.core.files.storage import default_storage

    w = browser_world
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="patrol", source_level="district", date=dt.date(2026, 11, 27),
        title="日常巡查",
    )
    big = tmp_path / "大图.jpg"
    Image.frombytes("RGB", (3000, 2000), os.urandom(3000 * 2000 * 3)).save(big, "JPEG", quality=95)
    assert big.stat().st_size > 1024 * 1024
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/{insp.pk}/findings/new/?point={w.point_a.pk}")
    page.fill("#indicator-q", "1.1.1")
    page.click("[data-pick-indicator]:has-text('1.1.1')")
    page.fill("textarea[name=description]", "垃圾桶满溢")
    page.set_input_files("input[name=photos]", str(big))
    page.click("[data-testid=save-finding]")
    page.wait_for_selector("[data-testid=finding-status]")
    photo = Finding.objects.get().photos.get()
    assert photo.size < big.stat().st_size and photo.content_type == "image/jpeg"
    with default_storage.open(photo.file.name, "rb") as handle, Image.open(handle) as img:
        assert max(img.size) == 1600
