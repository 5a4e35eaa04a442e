"""Publishing, freezing and revoking a month (reports/services.py, migration 0002)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from campaign.models import AssessmentPeriod, AuditLog, PeriodEvent, PeriodStatus, UnitType
from inspections import services as inspection_services
from inspections.models import Bonus, BonusStatus, Check, CheckResult, Finding, FindingStatus
from reports.models import ScoreLineSnapshot, UnitMonthScore
from reports.scoring import month_scores, score_month
from reports.services import period_publish, period_revoke
from tests import factories as f

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 5)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the freeze triggers exist only on PostgreSQL (SQLite relies on the Python checks)"
)


def finding(w, unit, indicator, points, day=12, point=None):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, day), created_by=w.inspector)
    return f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator, points=D(points), point=point,
        rectify_deadline=dt.date(2026, 12, 31),
    )


@pytest.fixture
def october(world):
    world.f1 = finding(world, world.unit_a, world.leaf_clean, "0.30", point=world.point_a)
    world.f2 = finding(world, world.unit_b, world.leaf_market, "0.50", point=world.point_b)
    world.bonus = Bonus.objects.create(
        campaign=world.campaign, unit=world.unit_b, month=OCT, points=D("1.00"), reason="获评省级卫生街道",
        status=BonusStatus.APPROVED, created_by=world.admin,
    )
    world.check = Check.objects.create(
        inspection=world.f1.inspection, point=world.point_a, indicator=world.leaf_ads, unit=world.unit_a,
        result=CheckResult.PASS, month=OCT, checked_by=world.inspector,
    )
    return world


def publish(w):
    return period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=TODAY)


def test_publishing_snapshots_every_unit_and_its_lines(october):
    w = october
    period = publish(w)
    assert period.status == PeriodStatus.PUBLISHED and period.published_by == w.admin
    rows = {r.unit_id: r for r in UnitMonthScore.objects.filter(period=period)}
    assert set(rows) == {w.unit_a.pk, w.unit_b.pk, w.dept.pk}
    assert rows[w.unit_a.pk].score == D("99.70")
    assert rows[w.unit_b.pk].score == D("100.50")  # 100 − 0.50 + 1.00
    assert rows[w.unit_b.pk].rank == 1 and rows[w.unit_a.pk].rank == 2
    assert ScoreLineSnapshot.objects.filter(score__period=period).count() == 3
    assert PeriodEvent.objects.filter(period=period, action="publish").count() == 1
    assert AuditLog.objects.filter(action="period.publish", actor=w.admin).exists()


def test_a_published_month_is_read_from_its_snapshot(october):
    w = october
    publish(w)
    # Changed behind the rules' back (on SQLite nothing stops it): the published numbers do not move.
    if connection.vendor != "postgresql":
        Finding.objects.filter(pk=w.f1.pk).update(points=D("2.00"))
    scores = month_scores(campaign=w.campaign, month=OCT)
    assert scores.is_published
    a = scores.get(w.unit_a.pk)
    assert a.score == D("99.70")
    assert sum(line.points for line in a.lines) == a.score - a.full_score
    assert a.lines[0].label == "人民路（城东段）：主干道两侧垃圾未及时清运"


def test_publishing_twice_is_refused(october):
    publish(october)
    with pytest.raises(ValidationError, match="已于.*发布，不能重复发布"):
        publish(october)


def test_a_month_that_has_not_ended_cannot_be_published(october):
    with pytest.raises(ValidationError, match="尚未结束"):
        period_publish(campaign=october.campaign, month=NOV, actor=october.admin, today=TODAY)


def test_only_admins_publish_and_revoke(october):
    w = october
    for user in (w.leader, w.inspector, w.official_a):
        with pytest.raises(PermissionDenied):
            period_publish(campaign=w.campaign, month=OCT, actor=user, today=TODAY)
    publish(w)
    with pytest.raises(PermissionDenied):
        period_revoke(campaign=w.campaign, month=OCT, actor=w.leader, reason="数据有误")


def test_the_services_refuse_changes_in_a_published_month(october):
    w = october
    publish(w)
    with pytest.raises(ValidationError, match="已发布并冻结"):
        inspection_services.bonus_create(
            actor=w.admin, campaign=w.campaign, unit=w.unit_a, month=OCT, points=D("1"), reason="创新做法"
        )
    with pytest.raises(ValidationError, match="已发布并冻结"):
        inspection_services.finding_withdraw(actor=w.admin, finding=w.f1, reason="误报")


def test_revoking_needs_a_reason_and_reopens_the_month(october):
    w = october
    publish(w)
    with pytest.raises(ValidationError, match="必须填写原因"):
        period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="  ")
    period = period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="口岸街道加分材料不全，需重新审核")
    assert period.status == PeriodStatus.OPEN
    assert not UnitMonthScore.objects.filter(period=period).exists()
    event = PeriodEvent.objects.get(period=period, action="revoke")
    assert event.reason == "口岸街道加分材料不全，需重新审核"
    log = AuditLog.objects.get(action="period.revoke")
    assert log.before["scores"][str(w.unit_a.pk)] == "99.70"
    # Open again: the month can change and be published once more.
    inspection_services.finding_withdraw(actor=w.admin, finding=w.f1, reason="点位责任单位认定错误")
    publish(w)
    assert UnitMonthScore.objects.get(period=period, unit=w.unit_a).score == D("100.00")


def test_revoking_an_open_month_is_refused(october):
    with pytest.raises(ValidationError, match="尚未发布"):
        period_revoke(campaign=october.campaign, month=OCT, actor=october.admin, reason="测试")


def test_a_correction_in_a_later_month_reverses_a_published_deduction(october):
    w = october
    publish(w)
    inspection_services.correction_create(
        actor=w.admin, campaign=w.campaign, unit=w.unit_a, month=NOV, points=D("0.30"),
        reason="10月人民路问题经复核不属实，返还扣分", finding=w.f1,
    )
    nov = score_month(campaign=w.campaign, month=NOV, today=dt.date(2026, 12, 5))
    a = nov.get(w.unit_a.pk)
    assert a.score == D("100.30") and a.corrections == D("0.30")
    assert a.change == D("0.60")  # against the published 99.70
    assert [line.kind for line in a.lines] == ["correction"]
    assert month_scores(campaign=w.campaign, month=OCT).get(w.unit_a.pk).score == D("99.70")


def test_units_are_ranked_only_in_the_months_they_are_active(october):
    # The issue: units imported in November appeared in October at rank 1 when October was re-published.
    w = october
    street = {"unit_type": UnitType.STREET, "parent": w.district_east, "ranking_group": w.group_street}
    late = f.UnitFactory(name="新设街道", active_from=dt.date(2026, 11, 3), **street)
    gone = f.UnitFactory(name="撤并街道", active_until=dt.date(2026, 9, 30), **street)
    leaving = f.UnitFactory(name="合并中街道", active_from=dt.date(2026, 1, 1), active_until=dt.date(2026, 10, 1), **street)
    october_ids = {u.unit_id for u in score_month(campaign=w.campaign, month=OCT, today=TODAY).units}
    assert october_ids == {w.unit_a.pk, w.unit_b.pk, w.dept.pk, leaving.pk}
    november_ids = {u.unit_id for u in score_month(campaign=w.campaign, month=NOV, today=dt.date(2026, 12, 5)).units}
    assert november_ids == {w.unit_a.pk, w.unit_b.pk, w.dept.pk, late.pk}

    publish(w)
    period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="复核")
    period = publish(w)
    ranks = {r.unit_id: r.rank for r in UnitMonthScore.objects.filter(period=period, ranking_group="乡镇街道组")}
    # 口岸 100.50, 合并中 100.00, 城东 99.70; the November unit (100.00) would have been 2nd, 城东 5th.
    assert ranks == {w.unit_b.pk: 1, leaving.pk: 2, w.unit_a.pk: 3}


# --- the database refuses (PostgreSQL) --------------------------------------------


@postgres_only
def test_the_database_refuses_updating_or_deleting_findings_of_a_published_month(october):
    w = october
    publish(w)
    with pytest.raises(IntegrityError, match="已发布并冻结"), transaction.atomic():
        Finding.objects.filter(pk=w.f1.pk).update(points=D("0.10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=w.f1.pk).update(status=FindingStatus.WITHDRAWN, withdrawn_reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=w.f1.pk).update(month=NOV)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.FindingFactory(campaign=w.campaign, inspection=w.f1.inspection, unit=w.unit_a, indicator=w.leaf_ads)
    # Rectification goes on after publication: status and acceptance may change.
    Finding.objects.filter(pk=w.f1.pk).update(status=FindingStatus.ACCEPTED)
    assert Finding.objects.get(pk=w.f1.pk).status == FindingStatus.ACCEPTED


@postgres_only
def test_the_database_refuses_changes_to_bonuses_checks_and_snapshots(october):
    w = october
    period = publish(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        Bonus.objects.filter(pk=w.bonus.pk).update(points=D("5.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Bonus.objects.filter(pk=w.bonus.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Check.objects.filter(pk=w.check.pk).update(result=CheckResult.FAIL)
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitMonthScore.objects.filter(period=period).update(score=D("100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreLineSnapshot.objects.filter(score__period=period).delete()
    with pytest.raises(IntegrityError, match="得分明细快照"), transaction.atomic():
        ScoreLineSnapshot.objects.filter(score__period=period).update(points=D("0.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreLineSnapshot.objects.create(score=UnitMonthScore.objects.filter(period=period).first(), kind="bonus",
                                         label="补记加分", points=D("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.OPEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentPeriod.objects.filter(pk=period.pk).delete()
    assert UnitMonthScore.objects.get(period=period, unit=w.unit_a).score == D("99.70")


@postgres_only
def test_the_database_refuses_a_change_made_through_the_admin(october, client, monkeypatch):
    # The admin shows a published month's rows read-only (campaign/admin.py). Switch that Python
    # check off, as a bug or a race would, and post the change form: the database still refuses.
    import campaign.admin

    w = october
    publish(w)
    monkeypatch.setattr(campaign.admin, "is_month_published", lambda *args, **kwargs: False)
    monkeypatch.setattr(campaign.admin, "ensure_month_open", lambda *args, **kwargs: None)
    superuser = f.UserFactory(username="root_test", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    chk = w.check
    data = {
        "inspection": chk.inspection_id, "point": chk.point_id, "indicator": chk.indicator_id, "unit": chk.unit_id,
        "result": CheckResult.FAIL, "month": "2026-10-01", "finding": "", "checked_by": chk.checked_by_id,
        "checked_at_0": "2026-10-12", "checked_at_1": "10:00:00",
    }
    client.raise_request_exception = True
    with pytest.raises(IntegrityError, match="已发布并冻结"):
        client.post(f"/admin/inspections/check/{chk.pk}/change/", data)
    chk.refresh_from_db()
    assert chk.result == CheckResult.PASS


@postgres_only
def test_revocation_lets_the_database_accept_changes_again(october):
    w = october
    publish(w)
    period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="复核")
    Finding.objects.filter(pk=w.f1.pk).update(points=D("0.20"))
    assert Finding.objects.get(pk=w.f1.pk).points == D("0.20")
