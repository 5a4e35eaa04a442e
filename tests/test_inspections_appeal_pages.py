"""Appeal pages, the 督办单 state on its pages, the 回执 PDF, and publishing a month with open appeals."""
from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaign.models import AuditLog, PeriodEvent
from inspections import services
from inspections.models import Appeal, AppealStatus, FindingStatus
from reports import services as report_services
from tests.inspections_support import inspection, png

D = Decimal


@pytest.fixture
def fresh(world):
    """A finding found today, so the appeal window is open whatever day the tests run."""
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world, date=timezone.localdate()), point=world.point_a,
        indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运",
    )


def test_the_official_appeals_from_the_finding_page_and_the_office_decides(world, client_for, fresh):
    official = client_for(world.official_a)
    page = official.get(fresh.get_absolute_url()).content.decode()
    assert "对该问题提出申诉" in page
    response = official.post(f"/inspections/findings/{fresh.pk}/appeal/",
                             {"reason": "照片拍摄于环卫清运前", "evidence": [png("清运记录.png")]})
    assert response.status_code == 302
    appeal = Appeal.objects.get(finding=fresh)
    assert appeal.evidence.count() == 1
    page = official.get(fresh.get_absolute_url()).content.decode()
    assert "待裁定" in page and "照片拍摄于环卫清运前" in page and "清运记录.png" in page and "裁定申诉" not in page

    admin = client_for(world.admin)
    response = admin.post(f"/inspections/appeals/{appeal.pk}/decide/",
                          {"outcome": "rescored", "new_points": "0.50", "reason": "改分"}, follow=True)
    assert "小于原扣分 0.30 分" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING  # nothing lost
    admin.post(f"/inspections/appeals/{appeal.pk}/decide/", {"outcome": "revoked", "reason": "点位属于口岸街道包保"})
    fresh.refresh_from_db()
    assert fresh.status == FindingStatus.WITHDRAWN
    page = admin.get(fresh.get_absolute_url()).content.decode()
    assert "申诉撤销：原扣0.30分，不再扣分" in page and "点位属于口岸街道包保" in page
    assert "申诉" in admin.get("/inspections/appeals/").content.decode()


def test_an_empty_reason_is_refused_with_a_chinese_message(world, client_for, fresh):
    response = client_for(world.official_a).post(f"/inspections/findings/{fresh.pk}/appeal/", {"reason": " "})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    assert not Appeal.objects.exists()


def test_others_get_404_on_appeal_pages(world, client_for, fresh):
    for user in (world.official_b, world.inspector, world.leader):
        assert client_for(user).get(f"/inspections/findings/{fresh.pk}/appeal/").status_code == 404
    appeal = services.appeal_submit(official=world.official_a, finding=fresh, reason="不属实", evidence=[png()])
    evidence = appeal.evidence.get()
    assert client_for(world.official_b).get(f"/inspections/appeal-files/{evidence.pk}/").status_code == 404
    assert client_for(world.official_a).get(f"/inspections/appeal-files/{evidence.pk}/").status_code == 200
    for user in (world.official_a, world.inspector):
        response = client_for(user).post(f"/inspections/appeals/{appeal.pk}/decide/", {"outcome": "revoked", "reason": "越权"})
        assert response.status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_an_overdue_order_is_highlighted_and_its_receipt_prints(world, client_for):
    f1 = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                 indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运")
    f2 = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                 indicator=world.leaf_clean, description="非机动车乱停放")
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1, f2], deadline=dt.date(2026, 10, 20),
                                 issued_on=dt.date(2026, 10, 13))
    f1.refresh_from_db()
    services.rectification_submit(official=world.official_a, finding=f1, description="已组织清运，落实门前三包",
                                  after_photos=[png()], at=dt.datetime(2026, 10, 16, 16, tzinfo=timezone.get_current_timezone()))
    # Today (after 10-20) f2 is still unanswered: the order is 逾期 for the unit too.
    official = client_for(world.official_a)
    listing = official.get("/inspections/orders/").content.decode()
    assert 'data-testid="order-overdue"' in listing and "逾期" in listing
    detail = official.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="order-overdue-alert"' in detail
    response = official.get(f"/inspections/orders/{order.pk}/receipt.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(_pdf_text(response.content).split())  # narrow table cells wrap their text
    for expected in ("督办单回执", "督办〔2026〕1号", "已验收销号0个", "逾期", "已组织清运", "尚未提交整改", "待验收", "待整改"):
        assert expected in text, expected
    assert client_for(world.official_b).get(f"/inspections/orders/{order.pk}/receipt.pdf").status_code == 404


def test_publishing_with_open_appeals_needs_a_recorded_confirmation(world, client_for):
    finding = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                      indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运")
    services.appeal_submit(official=world.official_a, finding=finding, reason="不属实", today=dt.date(2026, 10, 13))
    page = client_for(world.admin).get("/reports/months/2026-10/").content.decode()
    assert 'data-testid="open-appeals"' in page and f"问题 #{finding.pk}" in page and "confirm_open_appeals" in page
    with pytest.raises(ValidationError, match="1 个申诉未裁定"):
        report_services.period_publish(campaign=world.campaign, month=dt.date(2026, 10, 1), actor=world.admin,
                                       today=dt.date(2026, 11, 5))
    report_services.period_publish(campaign=world.campaign, month=dt.date(2026, 10, 1), actor=world.admin,
                                   today=dt.date(2026, 11, 5), confirm_open_appeals=True)
    event = PeriodEvent.objects.get(action="publish")
    assert f"确认在 1 个申诉未裁定时发布（问题 #{finding.pk}）" in event.reason
    assert AuditLog.objects.get(action="period.publish").after["open_appeals_confirmed"] == [finding.pk]


def test_the_home_shows_overdue_orders_to_the_unit_and_the_review_backlog_to_the_office(world, client_for):
    f1 = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                 indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运")
    f2 = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                 indicator=world.leaf_clean, description="非机动车乱停放")
    order = services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[f1], deadline=dt.date(2026, 10, 20),
                                 issued_on=dt.date(2026, 10, 13))
    services.rectification_submit(official=world.official_a, finding=f2, description="已整改", after_photos=[png()])
    home = client_for(world.official_a).get("/").content.decode()
    assert 'data-testid="home-overdue-orders"' in home and order.label in home
    assert 'data-testid="review-backlog"' not in home  # the office's measure
    office = client_for(world.leader).get("/?view=work").content.decode()  # the office's everyday home (not the cockpit)
    assert 'data-testid="review-backlog"' in office and "<strong>1</strong> 轮整改待验收" in office
    # f1 (open past its deadline) is overdue; f2 waits for review and is not.
    assert 'data-testid="open-findings">2 <small class="fs-6 overdue">（1）' in office


def test_the_rectification_page_shows_the_review_backlog_to_the_office_only(world, client_for):
    finding = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                      indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运")
    services.rectification_submit(official=world.official_a, finding=finding, description="已整改", after_photos=[png()],
                                  at=dt.datetime(2026, 10, 16, 16, tzinfo=timezone.get_current_timezone()))
    page = client_for(world.inspector).get("/inspections/rectifications/").content.decode()
    assert 'data-testid="review-backlog"' in page and "<strong>1</strong> 轮待验收" in page and f"#{finding.pk}</a>（" in page
    assert 'data-testid="review-backlog"' not in client_for(world.official_a).get("/inspections/rectifications/").content.decode()
