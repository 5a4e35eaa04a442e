"""An appeal in the browser: the official appeals with a PDF, the office re-scores it, the official reads the decision."""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from inspections import services
from inspections.models import Appeal, AppealStatus
from tests.inspections_support import inspection


def test_an_official_appeals_and_the_office_rescores(browser_world, open_page, tmp_path):
    w = browser_world
    finding = services.finding_create(
        inspector=w.inspector, inspection=inspection(w, date=timezone.localdate()), point=w.point_a, indicator=w.leaf_clean,
        description="人民路两侧垃圾未及时清运",
    )
    evidence = tmp_path / "清运记录.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    page = open_page(w.official_a)
    page.goto(f"{page.base_url}{finding.get_absolute_url()}")
    page.get_by_test_id("appeal-link").click()
    page.fill("#id_reason", "照片拍摄于环卫清运前，当日已清运完毕。")
    page.set_input_files("#id_evidence", str(evidence))
    page.get_by_test_id("submit-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("待裁定")
    expect(page.get_by_role("link", name="清运记录.pdf")).to_be_visible()

    office = open_page(w.admin)
    office.goto(f"{office.base_url}{finding.get_absolute_url()}")
    office.check("#ap-rescored")
    office.fill("input[name=new_points]", "0.10")
    office.fill("textarea[name=reason]", "现场已部分整改，按轻微问题扣分。")
    office.get_by_test_id("decide-appeal").click()
    expect(office.get_by_test_id("appeal-status")).to_have_text("改分")
    expect(office.get_by_test_id("appeal").get_by_text("申诉改分：原扣0.30分，改为0.10分")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("appeal-status")).to_have_text("改分")
    appeal = Appeal.objects.get(finding=finding)
    finding.refresh_from_db()
    assert appeal.status == AppealStatus.RESCORED and finding.points == Decimal("0.10")
