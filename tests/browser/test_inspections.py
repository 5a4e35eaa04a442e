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
    assert order.label == f"督办〔{order.year}〕1号" and label.startswith(order.label)  # then its state, 已下发

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


class Taps:
    """Counts what the inspector does on the page: taps (clicks, opening the camera) and typed fields."""

    def __init__(self, page):
        self.page, self.taps, self.typed = page, 0, 0

    def tap(self, selector):
        self.page.click(selector)
        self.taps += 1

    def type(self, selector, text):
        self.page.fill(selector, text)
        self.typed += 1

    def photo(self, selector, path):
        self.page.set_input_files(selector, path)  # one tap opens the camera; the shot itself is the camera app's
        self.taps += 1


def test_from_a_chosen_point_to_a_saved_finding_with_a_photo_in_few_taps(browser_world, open_page, tmp_path):
    """From the home page's 开始检查 to a point found by pinyin initials, then counted: the point's standards
    are offered (or, for a type with one standard, chosen), so a finding with one photo takes 3 taps and 1 typed
    field (2 taps where the type has one standard)."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from tests import factories as f

    w = browser_world
    toilets = f.PointTypeFactory(name="公共厕所", order=3)
    w.leaf_ads.point_types.add(toilets)
    f.PointFactory(name="人民路公厕", point_type=toilets, unit=w.unit_a, address="人民路120号旁")
    for i in range(25):  # more points than one page of results, all before the toilet in the usual order
        f.PointFactory(name=f"测试路{i:02d}", point_type=w.pt_road, unit=w.unit_a)
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="spot_check", source_level="city", date=timezone.localdate(),
        title="今日暗访抽查",
    )
    page = open_page(w.inspector, viewport=PHONE)
    page.click("[data-testid=start-inspection]")  # the home page's 开始检查 opens 登记问题 of today's inspection
    expect(page.locator("#finding-form")).to_be_visible()
    assert page.url.endswith(f"/inspections/{insp.pk}/findings/new/")

    # A market (two standards): choose it, then count.
    page.fill("#point-q", "kanmsc")  # 口岸农贸市场 by its pinyin initials
    page.click("[data-pick-point]:has-text('口岸农贸市场')")
    expect(page.locator("#indicator-results [data-pick-indicator]")).to_have_count(2)
    count = Taps(page)
    count.tap(f"#indicator-results [data-pick-indicator='{w.leaf_market.pk}']")
    expect(page.locator("#suggestion [data-suggested='0.30']")).to_be_visible()
    count.type("textarea[name=description]", "水产区地面积水")
    count.photo("input[name=photos]", _photo(tmp_path / "市场.jpg", "blue"))
    with page.expect_navigation():
        count.tap("[data-testid=save-finding]")
    expect(page.locator("[data-testid=finding-status]")).to_be_visible()
    market = Finding.objects.get()
    assert (market.point.name, market.indicator, market.photos.count()) == ("口岸农贸市场", w.leaf_market, 1)
    assert (count.taps, count.typed) == (3, 1)

    # A public toilet (one standard), found by initials although 25 roads come first in the full list.
    page.goto(f"{page.base_url}/inspections/{insp.pk}/findings/new/")
    page.fill("#point-q", "rmlgc")
    page.click("[data-pick-point]:has-text('人民路公厕')")
    expect(page.locator("#indicator-chosen")).to_contain_text("1.1.2 户外广告规范")
    expect(page.locator("#suggestion [data-suggested]")).to_be_visible()
    count = Taps(page)
    count.type("textarea[name=description]", "公厕门口张贴小广告")
    count.photo("input[name=photos]", _photo(tmp_path / "公厕.jpg", "green"))
    with page.expect_navigation():
        count.tap("[data-testid=save-finding]")
    expect(page.locator("[data-testid=finding-status]")).to_be_visible()
    toilet = Finding.objects.exclude(pk=market.pk).get()
    assert (toilet.point.name, toilet.indicator, toilet.photos.count()) == ("人民路公厕", w.leaf_ads, 1)
    assert (count.taps, count.typed) == (2, 1)
    # The saved finding leads back to its inspection.
    page.click("[data-testid=finding-inspection]")
    expect(page.locator("h1")).to_have_text("今日暗访抽查")


def test_the_order_form_lists_the_chosen_units_findings_on_a_phone(browser_world, open_page):
    from playwright.sync_api import expect

    w = browser_world
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="patrol", source_level="district", date=dt.date(2026, 11, 27),
        title="日常巡查",
    )
    market = services.finding_create(inspector=w.inspector, inspection=insp, point=w.point_b, indicator=w.leaf_market,
                                     description="水产区占道经营")
    services.finding_create(inspector=w.inspector, inspection=insp, point=w.point_a, indicator=w.leaf_clean,
                            description="人民路垃圾未清运")
    page = open_page(w.inspector, viewport=PHONE)
    page.goto(f"{page.base_url}/inspections/orders/new/")
    expect(page.locator("[data-testid=no-findings]")).to_contain_text("请先选择责任单位")
    assert page.locator("input[name=findings]").count() == 0
    page.select_option("#unit-pick", str(w.unit_b.pk))  # htmx reloads the list for the unit, no button needed
    expect(page.locator("input[name=findings]")).to_have_count(1)
    assert "水产区占道经营" in page.inner_text("#order-post") and "人民路" not in page.inner_text("#order-post")
    assert page.url.endswith(f"?unit={w.unit_b.pk}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.check(f"input[name=findings][value='{market.pk}']")
    with page.expect_navigation():
        page.click("[data-testid=issue-order]")
    expect(page.locator("[data-testid=order-label]")).to_be_visible()
    assert list(SupervisionOrder.objects.get().findings.all()) == [market]


def test_nearby_points_come_from_the_phones_position(browser_world, open_page):
    from decimal import Decimal

    from playwright.sync_api import expect

    w = browser_world
    # 人民路 about 1.1 km north of the phone, the market about 110 m east of it.
    w.point_a.latitude, w.point_a.longitude = Decimal("26.800000"), Decimal("114.900000")
    w.point_a.save()
    w.point_b.latitude, w.point_b.longitude = Decimal("26.790000"), Decimal("114.901100")
    w.point_b.save()
    insp = services.inspection_create(
        creator=w.inspector, campaign=w.campaign, kind="patrol", source_level="district", date=dt.date(2026, 11, 27),
        title="日常巡查",
    )
    page = open_page(w.inspector, viewport=PHONE)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 26.79, "longitude": 114.90})
    page.goto(f"{page.base_url}/inspections/{insp.pk}/findings/new/")
    page.click("#near-me")
    results = page.locator("#point-results [data-pick-point]")
    expect(results).to_have_count(2)
    assert results.nth(0).get_attribute("data-name") == "口岸农贸市场"
    assert "米" in results.nth(0).inner_text() and "公里" in results.nth(1).inner_text()
    results.nth(0).click()
    expect(page.locator("#point-chosen")).to_contain_text("口岸农贸市场")
