"""随手拍 on a 375 px phone, without a login: fill the form (CAPTCHA in test mode), pick a nearby point
from the phone's position, submit, land on the status page with the query code."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from PIL import Image

from snaps.models import Snap, SnapCategory
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def _jpeg(tmp_path):
    path = tmp_path / "现场.jpg"
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (26.0, 47.0, 17.0), 3: "E", 4: (114.0, 54.0, 18.0)})
    Image.new("RGB", (320, 240), (180, 90, 40)).save(out, format="JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def test_a_resident_files_a_report_on_a_phone_and_opens_its_status_page(browser_world, chromium, live_server, tmp_path):
    w = browser_world
    SnapCategory.objects.create(campaign=w.campaign, name="占道经营", hint="流动摊贩、店外经营", indicator=w.leaf_market, order=1)
    SnapCategory.objects.create(campaign=w.campaign, name="垃圾乱堆", indicator=w.leaf_clean, order=2)
    w.point_b.latitude, w.point_b.longitude = Decimal("26.785000"), Decimal("114.895000")
    w.point_b.save()

    context = chromium.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce", geolocation={"latitude": 26.7852, "longitude": 114.8951},
                                   permissions=["geolocation"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/snaps/r/{w.campaign.slug}/")
        expect(page.get_by_role("heading", name="随手拍")).to_be_visible()
        expect(page.locator("img.captcha")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_label("占道经营").check()
        page.set_input_files("input[name=photos]", str(_jpeg(tmp_path)))
        page.fill("textarea[name=description]", "口岸农贸市场东门外菜摊占道，行人走到机动车道上")
        with page.expect_response(lambda r: "/points/" in r.url):
            page.get_by_role("button", name="使用我的位置").click()
        suggestion = page.locator("#cw-snap-points button", has_text="口岸农贸市场")
        expect(suggestion).to_be_visible()
        suggestion.click()
        expect(page.locator("#cw-snap-locate-status")).to_contain_text("已选择点位")
        page.fill("input[name=captcha_1]", "PASSED")
        page.get_by_role("button", name="提交举报").click()

        expect(page.get_by_text("举报已提交")).to_be_visible()
        snap = Snap.objects.get()
        assert snap.point == w.point_b and snap.place == "口岸农贸市场"
        assert abs(float(snap.latitude) - 26.7852) < 1e-4
        expect(page.locator("#cw-snap-code")).to_have_text(snap.code)
        expect(page.locator("#cw-snap-status")).to_have_text("已受理")
        expect(page.locator("img.cw-snap-photo")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # later, from the lookup page, typed in lower case
        page.goto(f"{live_server.url}/snaps/q/")
        page.fill("input[name=code]", snap.code.lower())
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#cw-snap-status")).to_have_text("已受理")
        assert page.url.endswith(f"/snaps/q/{snap.code}/")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()


@pytest.mark.parametrize("triage", ["pending", "declined"])
def test_the_offices_triage_queue_fits_a_phone(browser_world, open_page, triage):
    """The office's queue at 375 px: each report a card, nothing scrolling sideways, even with a long
    unbroken place (a pasted address or link) and, on the later tabs, the status column."""
    w = browser_world
    category = SnapCategory.objects.create(campaign=w.campaign, name="占道经营", indicator=w.leaf_market, order=1)
    for n in range(3):
        Snap.objects.create(
            campaign=w.campaign, category=category, point=w.point_b, triage=triage,
            decline_reason="不属于公共区域" if triage == "declined" else "",
            description=f"口岸农贸市场东门外菜摊占道经营，早高峰行人被迫走到机动车道上，第{n + 1}次反映",
            place="https://map.example.cn/place?lat=26.785200&lng=114.895100&name=口岸农贸市场东门外菜摊占道",
        )
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/snaps/?triage={triage}")
    expect(page.get_by_text("第3次反映")).to_be_visible()
    expect(page.get_by_role("link", name="处理" if triage == "pending" else "查看").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
