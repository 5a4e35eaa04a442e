"""Corrections in open months, bonuses and their approval, accountability, and the database freeze."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from campaign.models import AssessmentPeriod, AuditLog, PeriodStatus
from inspections import services
from inspections.models import AccountabilityKind, BonusStatus, Finding, FindingStatus
from tests.inspections_support import inspection, png

D = Decimal


def _publish(world, month=dt.date(2026, 10, 1)):
    return AssessmentPeriod.objects.create(campaign=world.campaign, month=month, status=PeriodStatus.PUBLISHED)


@pytest.fixture
def finding(world) -> Finding:
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_a, indicator=world.leaf_clean,
        description="人民路两侧垃圾未及时清运",
    )


def test_a_mistake_in_a_published_month_is_corrected_in_an_open_month(world, finding):
    _publish(world)
    correction = services.correction_create(
        actor=world.admin, campaign=world.campaign, unit=world.unit_a, month=dt.date(2026, 11, 15), points=D("0.30"),
        reason="10月问题系误报，返还扣分", finding=finding,
    )
    assert correction.month == dt.date(2026, 11, 1) and correction.points == D("0.30")
    assert AuditLog.objects.filter(action="correction.create").exists()
    finding.refresh_from_db()
    assert finding.points == D("0.30") and finding.status == FindingStatus.OPEN  # the original is untouched


def test_a_correction_into_a_published_month_or_without_reason_is_refused(world, finding):
    _publish(world)
    with pytest.raises(ValidationError, match="已发布并冻结"):
        services.correction_create(actor=world.admin, campaign=world.campaign, unit=world.unit_a,
                                   month=dt.date(2026, 10, 1), points=D("0.30"), reason="返还")
    with pytest.raises(ValidationError, match="必须填写原因"):
        services.correction_create(actor=world.admin, campaign=world.campaign, unit=world.unit_a,
                                   month=dt.date(2026, 11, 1), points=D("0.30"), reason="")
    with pytest.raises(PermissionDenied):
        services.correction_create(actor=world.inspector, campaign=world.campaign, unit=world.unit_a,
                                   month=dt.date(2026, 11, 1), points=D("0.30"), reason="返还")


def test_a_bonus_counts_only_after_an_admin_approves_it(world):
    bonus = services.bonus_create(actor=world.inspector, campaign=world.campaign, unit=world.unit_a,
                                  month=dt.date(2026, 11, 1), points=D("2"), reason="获评省级卫生乡镇")
    assert bonus.status == BonusStatus.PENDING
    with pytest.raises(PermissionDenied):
        services.bonus_approve(approver=world.inspector, bonus=bonus)
    services.bonus_approve(approver=world.admin, bonus=bonus)
    bonus.refresh_from_db()
    assert bonus.status == BonusStatus.APPROVED and bonus.approved_by == world.admin
    assert list(AuditLog.objects.filter(action__startswith="bonus.").values_list("action", flat=True).order_by("at")) == [
        "bonus.create", "bonus.approve"]
    with pytest.raises(ValidationError, match="不能重复审批"):
        services.bonus_approve(approver=world.admin, bonus=bonus)


def test_a_bonus_over_the_monthly_cap_is_refused(world):
    with pytest.raises(ValidationError, match="超过每月加分上限 5.00 分"):
        services.bonus_create(actor=world.admin, campaign=world.campaign, unit=world.unit_a,
                              month=dt.date(2026, 11, 1), points=D("5.50"), reason="创新做法")


def test_accountability_links_the_findings_behind_it(world, finding):
    record = services.accountability_create(
        actor=world.admin, campaign=world.campaign, unit=world.unit_a, kind=AccountabilityKind.TALK,
        date=dt.date(2026, 11, 20), reason="问题逾期未整改，约谈街道分管负责人", person_name="张某", findings=[finding],
    )
    assert list(record.findings.all()) == [finding]
    assert list(finding.accountabilities.all()) == [record]
    other = services.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_b,
                                    indicator=world.leaf_market, description="占道经营")
    with pytest.raises(ValidationError, match="必须属于被问责单位"):
        services.accountability_create(actor=world.admin, campaign=world.campaign, unit=world.unit_a,
                                       kind=AccountabilityKind.CRITICISM, date=dt.date(2026, 11, 20), reason="x",
                                       findings=[other])


def test_the_adjustments_page_shows_only_the_officials_unit(world, client_for):
    services.bonus_create(actor=world.admin, campaign=world.campaign, unit=world.unit_a, month=dt.date(2026, 11, 1),
                          points=D("1"), reason="城东街道获评先进")
    services.bonus_create(actor=world.admin, campaign=world.campaign, unit=world.unit_b, month=dt.date(2026, 11, 1),
                          points=D("1"), reason="口岸街道获评先进")
    html = client_for(world.official_a).get("/inspections/adjustments/").content.decode()
    assert "城东街道获评先进" in html and "口岸街道获评先进" not in html


def test_the_admin_approves_a_bonus_on_the_page(world, client_for):
    bonus = services.bonus_create(actor=world.inspector, campaign=world.campaign, unit=world.unit_a,
                                  month=dt.date(2026, 11, 1), points=D("1"), reason="创新做法")
    assert client_for(world.inspector).post(f"/inspections/bonuses/{bonus.pk}/approve/", {"approve": "1"}).status_code == 404
    client_for(world.admin).post(f"/inspections/bonuses/{bonus.pk}/approve/", {"approve": "1"})
    bonus.refresh_from_db()
    assert bonus.status == BonusStatus.APPROVED


# --- the database itself refuses changes to a published month (PostgreSQL triggers) ----------


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("数据库层冻结由 PostgreSQL 触发器实现（SQLite 只有 Python 层检查）")


@pytest.mark.postgres
def test_the_database_refuses_changing_points_of_a_published_month(world, finding, on_postgres):
    _publish(world)
    with pytest.raises(IntegrityError, match="已发布并冻结"), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(points=D("0.10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.WITHDRAWN, withdrawn_reason="绕过表单")
    finding.refresh_from_db()
    assert finding.points == D("0.30") and finding.status == FindingStatus.OPEN


@pytest.mark.postgres
def test_rectification_goes_on_after_the_month_is_published(world, finding, on_postgres):
    _publish(world)
    rect = services.rectification_submit(official=world.official_a, finding=finding, description="已清运",
                                         after_photos=[png()])
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=True)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ACCEPTED
