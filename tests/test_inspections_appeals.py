"""申诉 (appeals): who may appeal and when, the office's decision, and what it does to the score.

Hand-computed: 城东街道 has two October findings on 1.1.1 (0.30 found 10-12 and 0.20), so its
October score is 100 − 0.30 − 0.20 = 99.50 before any decision.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from campaign.models import AssessmentPeriod, AuditLog, Notification, PeriodStatus
from inspections import selectors, services
from inspections.models import Appeal, AppealEvidence, AppealStatus, Correction, FindingStatus
from reports.scoring import score_month
from tests.inspections_support import inspection, png

D = Decimal
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


@pytest.fixture
def findings(world):
    visit = inspection(world)  # Mon 2026-10-12
    first = services.finding_create(
        inspector=world.inspector, inspection=visit, point=world.point_a, indicator=world.leaf_clean,
        description="人民路两侧垃圾未及时清运",
    )
    second = services.finding_create(
        inspector=world.inspector, inspection=visit, point=world.point_a, indicator=world.leaf_clean,
        description="果皮箱满溢", points=D("0.20"),
    )
    return first, second


def _appeal(world, finding, today=dt.date(2026, 10, 14), evidence=()):
    return services.appeal_submit(
        official=world.official_a, finding=finding, reason="该路段当日已由环卫公司清运，照片拍摄于清运前。",
        evidence=evidence, today=today,
    )


def _unit(world, month=OCT, today=dt.date(2026, 11, 5)):
    return score_month(campaign=world.campaign, month=month, today=today).get(world.unit_a.pk)


def test_the_official_appeals_with_a_reason_and_evidence_and_the_office_is_told(world, findings):
    appeal = _appeal(world, findings[0], evidence=[png("清运记录.png")])
    assert (appeal.status, appeal.original_points, appeal.unit) == (AppealStatus.PENDING, D("0.30"), world.unit_a)
    assert AppealEvidence.objects.filter(appeal=appeal).count() == 1
    assert Notification.objects.filter(user=world.admin, key=f"appeal-{appeal.pk}").exists()
    assert not Notification.objects.filter(user=world.leader).exists()
    assert AuditLog.objects.filter(action="appeal.submit").count() == 1


def test_only_the_units_own_official_may_appeal(world, findings):
    for user in (world.official_b, world.admin, world.inspector, world.leader):
        with pytest.raises(PermissionDenied):
            services.appeal_submit(official=user, finding=findings[0], reason="不服", today=dt.date(2026, 10, 13))
    assert not Appeal.objects.exists()


def test_the_appeal_window_is_three_working_days_from_the_finding(world, findings):
    # Found Mon 10-12: Tue 13, Wed 14, Thu 15 → the last day is Thu 10-15.
    assert services.appeal_deadline(findings[0]) == dt.date(2026, 10, 15)
    with pytest.raises(ValidationError, match="申诉期限已过.*2026-10-15"):
        _appeal(world, findings[0], today=dt.date(2026, 10, 16))
    assert _appeal(world, findings[0], today=dt.date(2026, 10, 15)).pk


def test_the_window_is_a_campaign_setting(world, findings):
    world.campaign.appeal_working_days = 5
    world.campaign.save(update_fields=["appeal_working_days"])
    findings[0].campaign.refresh_from_db()
    assert services.appeal_deadline(findings[0]) == dt.date(2026, 10, 19)


def test_bad_input_is_refused_and_nothing_is_kept(world, findings):
    with pytest.raises(ValidationError, match="请填写申诉理由"):
        services.appeal_submit(official=world.official_a, finding=findings[0], reason="  ", today=dt.date(2026, 10, 13))
    fake = SimpleUploadedFile("说明.pdf", b"not really a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="不支持的文件类型"):
        _appeal(world, findings[0], evidence=[fake])
    assert not Appeal.objects.exists() and not AppealEvidence.objects.exists()
    _appeal(world, findings[0])
    with pytest.raises(ValidationError, match="只能申诉一次"):
        _appeal(world, findings[0])


def test_only_the_office_decides_and_a_reason_is_required(world, findings):
    appeal = _appeal(world, findings[0])
    for user in (world.inspector, world.leader, world.official_a):
        with pytest.raises(PermissionDenied):
            services.appeal_decide(actor=user, appeal=appeal, outcome=AppealStatus.REVOKED, reason="同意")
    with pytest.raises(ValidationError, match="请填写裁定理由"):
        services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.REVOKED, reason="")
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.UPHELD, reason="照片显示垃圾堆放属实")
    with pytest.raises(ValidationError, match="不能重复裁定"):
        services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.REVOKED, reason="再议")


def test_upheld_changes_nothing_but_the_explanation(world, findings):
    before = _unit(world)
    assert before.score == D("99.50")
    appeal = _appeal(world, findings[0])
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.UPHELD, reason="照片显示垃圾堆放属实")
    after = _unit(world)
    assert after.score == D("99.50")
    (line,) = [l for l in after.lines if l.object_id == findings[0].pk]
    assert line.points == D("-0.30") and line.label.endswith("（申诉维持：扣0.30分）")
    assert Notification.objects.filter(user=world.official_a, key=f"appeal-{appeal.pk}-decided").exists()


def test_revoked_in_an_open_month_gives_back_exactly_the_points(world, findings):
    before = _unit(world)
    appeal = _appeal(world, findings[0])
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.REVOKED, reason="点位属于口岸街道包保")
    after = _unit(world)
    assert after.score - before.score == D("0.30") and after.score == D("99.80")
    assert sum(l.points for l in after.lines) == after.score - D("100")
    findings[0].refresh_from_db()
    assert findings[0].status == FindingStatus.WITHDRAWN and findings[0].withdrawn_reason == "申诉撤销：点位属于口岸街道包保"
    # The finding's −0.30 line is gone; a 0.00 line tells why.
    lines = {(l.kind, l.points) for l in after.lines if l.object_id == findings[0].pk}
    assert lines == {("appeal", D("0.00"))}
    (shown,) = [l for l in after.lines if l.kind == "appeal"]
    assert "申诉撤销（原扣0.30分，不再扣分；点位属于口岸街道包保）" in shown.label


def test_rescored_in_an_open_month_changes_the_line_and_the_total_by_the_decided_points(world, findings):
    before = _unit(world)
    appeal = _appeal(world, findings[1])
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.RESCORED, new_points="0.05", reason="问题轻微")
    after = _unit(world)
    assert after.score - before.score == D("0.15") and after.score == D("99.65")
    (line,) = [l for l in after.lines if l.object_id == findings[1].pk]
    assert line.points == D("-0.05") and line.label.endswith("（申诉改分：原扣0.20分，改为0.05分）")
    findings[1].refresh_from_db()
    assert findings[1].points == D("0.05")
    assert Appeal.history.filter(id=appeal.pk).count() == 2  # submitted, decided


@pytest.mark.parametrize("points, message", [
    ("0.20", "小于原扣分 0.20"), ("0.30", "小于原扣分"), ("0", "大于 0"), ("-0.10", "大于 0"), ("abc", "必须是数字"), ("", "须填写新的扣分"),
])
def test_a_new_score_must_lie_between_zero_and_the_original(world, findings, points, message):
    appeal = _appeal(world, findings[1])
    with pytest.raises(ValidationError, match=message):
        services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.RESCORED, new_points=points, reason="改分")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_a_decision_in_a_published_month_is_a_correction_in_an_open_month(world, findings):
    appeal = _appeal(world, findings[0])
    AssessmentPeriod.objects.create(campaign=world.campaign, month=OCT, status=PeriodStatus.PUBLISHED)
    november_before = _unit(world, month=NOV, today=dt.date(2026, 11, 5))
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.RESCORED, new_points="0.10",
                           reason="部分已整改", today=dt.date(2026, 11, 5))
    findings[0].refresh_from_db()
    assert findings[0].points == D("0.30") and findings[0].status != FindingStatus.WITHDRAWN  # October stays as published
    correction = Correction.objects.get()
    assert (correction.month, correction.points, correction.finding) == (NOV, D("0.20"), findings[0])
    appeal.refresh_from_db()
    assert appeal.correction == correction
    november = _unit(world, month=NOV, today=dt.date(2026, 11, 5))
    assert november.score - november_before.score == D("0.20")
    (line,) = [l for l in november.lines if l.kind == "correction"]
    assert line.label.startswith(f"更正：申诉改分为0.10分：2026年10月问题 #{findings[0].pk}（1.1.1，原扣0.30分）")


def test_open_appeals_of_a_month_for_the_preview(world, findings):
    first = _appeal(world, findings[0])
    second = _appeal(world, findings[1])
    services.appeal_decide(actor=world.admin, appeal=second, outcome=AppealStatus.UPHELD, reason="属实")
    assert list(selectors.open_appeals(world.campaign, OCT)) == [first]
    assert list(selectors.open_appeals(world.campaign, NOV)) == []


def test_a_finding_withdrawn_meanwhile_can_be_revoked_but_not_rescored(world, findings):
    appeal = _appeal(world, findings[0])
    services.finding_withdraw(actor=world.inspector, finding=findings[0], reason="误报")
    with pytest.raises(ValidationError, match="该问题已撤销"):
        services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.RESCORED, new_points="0.10", reason="改分")
    services.appeal_decide(actor=world.admin, appeal=appeal, outcome=AppealStatus.REVOKED, reason="已由督查员撤销")
    appeal.refresh_from_db()
    findings[0].refresh_from_db()
    assert appeal.status == AppealStatus.REVOKED and findings[0].withdrawn_reason == "误报"


def test_the_migration_cancels_only_open_month_penalties_charged_for_a_late_review(world):
    """inspections/0002: the new rule from open months on; published months stay as published."""
    import importlib
    from zoneinfo import ZoneInfo

    from django.apps import apps as django_apps

    from inspections.models import OverduePenalty, Rectification

    migration = importlib.import_module("inspections.migrations.0002_appeals_round_deadlines_order_overdue")
    shanghai = ZoneInfo("Asia/Shanghai")

    def charged(day, submitted):
        # Deadline = inspection day + 5 working days; submitted before it; penalty charged by the old rule.
        f = services.finding_create(inspector=world.inspector, inspection=inspection(world, date=day), point=world.point_a,
                                    indicator=world.leaf_ads, description=f"问题{day}", points=D("0.10"))
        Rectification.objects.create(finding=f, round=1, description="已整改", submitted_by=world.official_a,
                                     submitted_at=dt.datetime.combine(submitted, dt.time(16), shanghai))
        return OverduePenalty.objects.create(finding=f, unit=world.unit_a, campaign=world.campaign,
                                             month=dt.date(day.year, day.month, 1) if day.day < 20 else NOV, points=D("0.10"))

    in_october = charged(dt.date(2026, 10, 12), dt.date(2026, 10, 16))  # penalty in October (published below)
    in_november = charged(dt.date(2026, 10, 26), dt.date(2026, 10, 28))  # penalty in November (open)
    late = services.finding_create(inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 10, 27)),
                                   point=world.point_a, indicator=world.leaf_clean, description="逾期才提交", points=D("0.10"))
    Rectification.objects.create(finding=late, round=1, description="已整改", submitted_by=world.official_a,
                                 submitted_at=dt.datetime(2026, 11, 10, 16, tzinfo=shanghai))
    late_penalty = OverduePenalty.objects.create(finding=late, unit=world.unit_a, campaign=world.campaign, month=NOV, points=D("0.10"))
    AssessmentPeriod.objects.create(campaign=world.campaign, month=OCT, status=PeriodStatus.PUBLISHED)
    migration.cancel_penalties_for_late_reviews(django_apps, None)
    assert set(OverduePenalty.objects.values_list("pk", flat=True)) == {in_october.pk, late_penalty.pk}
    assert not OverduePenalty.objects.filter(pk=in_november.pk).exists()
    log = AuditLog.objects.get(action="finding.overdue_penalty_cancel")
    assert log.object_id == str(in_november.pk) and "验收时间不计入单位" in log.message
