"""The rectification loop and the overdue penalty (applied once, in the month the deadline passed)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaign.models import AssessmentPeriod, AuditLog, DeductionRule, PeriodStatus, SourceLevel
from inspections import services
from inspections.models import Finding, FindingStatus, OverduePenalty, RectificationPhoto, RectificationStatus
from tests.inspections_support import inspection, png

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def finding(world) -> Finding:
    # Inspection Mon 2026-10-12 → deadline Mon 2026-10-19.
    return services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_a, indicator=world.leaf_clean,
        description="人民路两侧垃圾未及时清运",
    )


def _submit(world, finding, user=None, at=None):
    return services.rectification_submit(
        official=user or world.official_a, finding=finding, description="已组织清运，落实门前三包",
        before_photos=[png("前.png", "gray")], after_photos=[png("后.png", "green")], at=at,
    )


def on(day: dt.date, hour: int = 16) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_the_unit_answers_with_before_and_after_photos(world, finding):
    rect = _submit(world, finding)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.SUBMITTED
    assert rect.round == 1 and rect.status == RectificationStatus.PENDING
    assert sorted(rect.photos.values_list("kind", flat=True)) == [RectificationPhoto.Kind.AFTER, RectificationPhoto.Kind.BEFORE]


def test_an_answer_needs_an_after_photo(world, finding):
    with pytest.raises(ValidationError, match="整改后照片"):
        services.rectification_submit(official=world.official_a, finding=finding, description="已整改", after_photos=[])


def test_another_units_official_cannot_answer(world, finding):
    with pytest.raises(PermissionDenied):
        _submit(world, finding, user=world.official_b)


def test_the_inspector_accepts_and_the_finding_is_closed(world, finding):
    rect = _submit(world, finding)
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=True, comment="现场复核已整改")
    finding.refresh_from_db()
    rect.refresh_from_db()
    assert finding.status == FindingStatus.ACCEPTED and finding.accepted_at is not None
    assert rect.status == RectificationStatus.ACCEPTED and rect.reviewed_by == world.inspector
    assert AuditLog.objects.filter(action="rectification.accept").count() == 1


def test_a_return_needs_a_reason_and_every_round_is_kept(world, finding):
    first = _submit(world, finding)
    with pytest.raises(ValidationError, match="退回整改必须填写原因"):
        services.rectification_review(reviewer=world.inspector, rectification=first, accept=False)
    services.rectification_review(reviewer=world.inspector, rectification=first, accept=False, comment="照片看不出整改效果")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RETURNED
    second = _submit(world, finding)
    services.rectification_review(reviewer=world.inspector, rectification=second, accept=True)
    rounds = list(finding.rectifications.order_by("round").values_list("round", "status", "review_comment"))
    assert rounds == [(1, "returned", "照片看不出整改效果"), (2, "accepted", "")]
    assert AuditLog.objects.filter(action__in=["rectification.return", "rectification.accept"]).count() == 2


def test_a_round_cannot_be_reviewed_twice_nor_answered_while_pending(world, finding):
    rect = _submit(world, finding)
    with pytest.raises(ValidationError, match="不能提交整改"):
        _submit(world, finding)
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=True)
    with pytest.raises(ValidationError, match="已验收"):
        services.rectification_review(reviewer=world.inspector, rectification=rect, accept=False, comment="再看看")


def test_officials_and_leaders_cannot_review(world, finding):
    rect = _submit(world, finding)
    for user in (world.official_a, world.leader):
        with pytest.raises(PermissionDenied):
            services.rectification_review(reviewer=user, rectification=rect, accept=True)


# --- overdue penalty ---------------------------------------------------------------


def test_no_penalty_on_the_deadline_day_itself(world, finding):
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 19)) == []


def test_a_finding_not_accepted_by_its_deadline_deducts_its_points_again_once(world, finding):
    created = services.overdue_penalties_apply(today=dt.date(2026, 10, 20))
    assert len(created) == 1
    penalty = created[0]
    assert penalty.finding == finding and penalty.unit == world.unit_a
    assert penalty.points == D("0.30")  # the rule's overdue_points is empty: its own points again
    assert penalty.month == dt.date(2026, 10, 1)  # deadline 10-19 passed on 10-20
    # Running again (next day, or a second worker) adds nothing.
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 21)) == []
    assert OverduePenalty.objects.count() == 1


def test_the_rules_overdue_points_apply_when_set(world, finding):
    DeductionRule.objects.filter(campaign=world.campaign, source_level=SourceLevel.CITY).update(overdue_points=D("1.00"))
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 20))[0].points == D("1.00")


def test_submitted_by_the_deadline_means_no_penalty_however_late_the_review(world, finding):
    # Deadline Mon 10-19; submitted Fri 10-16; the inspector accepts only on 10-23: the unit did its part.
    rect = _submit(world, finding, at=on(dt.date(2026, 10, 16)))
    assert rect.deadline == dt.date(2026, 10, 19)
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 22)) == []  # still waiting for review
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=True, at=on(dt.date(2026, 10, 23), 10))
    assert services.overdue_penalties_apply(today=dt.date(2026, 11, 1)) == []


def test_the_issue_case_submitted_11_28_before_the_12_03_deadline_reviewed_12_08_gives_no_penalty(world):
    # Inspection Thu 2026-11-26 + 5 working days → Thu 12-03 (27, 30, 1, 2, 3).
    late_review = services.finding_create(
        inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 11, 26)), point=world.point_a,
        indicator=world.leaf_clean, description="坡子街占道经营",
    )
    assert late_review.rectify_deadline == dt.date(2026, 12, 3)
    _submit(world, late_review, at=on(dt.date(2026, 11, 28)))
    assert services.overdue_penalties_apply(today=dt.date(2026, 12, 8)) == []
    assert not OverduePenalty.objects.exists()


def test_submitted_after_the_deadline_deducts_again_in_the_month_the_deadline_passed(world, finding):
    rect = _submit(world, finding, at=on(dt.date(2026, 10, 20), 9))  # one day late
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=True, at=on(dt.date(2026, 10, 20), 15))
    (penalty,) = services.overdue_penalties_apply(today=dt.date(2026, 11, 5))
    assert (penalty.month, penalty.points) == (dt.date(2026, 10, 1), D("0.30"))
    log = AuditLog.objects.get(action="finding.overdue_penalty")
    assert "未在整改时限 2026-10-19 前提交整改" in log.message


def test_a_returned_rectification_gives_a_new_deadline_of_three_working_days_from_the_return(world, finding):
    rect = _submit(world, finding, at=on(dt.date(2026, 10, 16)))
    # Returned Wed 10-21 → Thu 22, Fri 23, Mon 26: the new deadline is Mon 10-26.
    services.rectification_review(
        reviewer=world.inspector, rectification=rect, accept=False, comment="照片看不出整改效果", at=on(dt.date(2026, 10, 21), 10)
    )
    finding.refresh_from_db()
    rect.refresh_from_db()
    assert finding.rectify_deadline == dt.date(2026, 10, 26) and rect.resubmit_deadline == dt.date(2026, 10, 26)
    from campaign.models import Notification

    assert "请于 2026-10-26 前重新整改" in Notification.objects.get(user=world.official_a, key=f"rectification-{rect.pk}-returned").message
    # The first round was in time and the new deadline has not passed: nothing to charge.
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 26)) == []
    # Not resubmitted by 10-26: charged once, in October (10-27).
    (penalty,) = services.overdue_penalties_apply(today=dt.date(2026, 10, 27))
    assert penalty.month == dt.date(2026, 10, 1)


def test_a_resubmission_by_the_new_deadline_means_no_penalty(world, finding):
    rect = _submit(world, finding, at=on(dt.date(2026, 10, 16)))
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=False, comment="不到位", at=on(dt.date(2026, 10, 21), 10))
    finding.refresh_from_db()
    again = _submit(world, finding, at=on(dt.date(2026, 10, 26), 17))
    assert again.deadline == dt.date(2026, 10, 26)
    assert services.overdue_penalties_apply(today=dt.date(2026, 11, 10)) == []  # review pending for weeks: still none


def test_the_return_period_is_a_campaign_setting(world, finding):
    world.campaign.return_working_days = 1
    world.campaign.save(update_fields=["return_working_days"])
    rect = _submit(world, finding, at=on(dt.date(2026, 10, 16)))
    services.rectification_review(reviewer=world.inspector, rectification=rect, accept=False, comment="不到位", at=on(dt.date(2026, 10, 21), 10))
    finding.refresh_from_db()
    assert finding.rectify_deadline == dt.date(2026, 10, 22)


def test_the_review_backlog_counts_working_days_waited_per_rectification(world, finding):
    from inspections import selectors

    other = services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_b, indicator=world.leaf_market,
        description="农贸市场地面积水",
    )
    _submit(world, finding, at=on(dt.date(2026, 10, 16)))  # Fri
    _submit(world, other, user=world.official_b, at=on(dt.date(2026, 10, 19)))  # Mon
    backlog = selectors.review_backlog(world.admin, world.campaign, dt.date(2026, 10, 21))  # Wed
    # 10-16 → 10-21: Mon 19, Tue 20, Wed 21 = 3; 10-19 → 10-21: 2. Average 2.5.
    assert [(r.finding_id, days) for r, days in backlog.rows] == [(finding.pk, 3), (other.pk, 2)]
    assert (backlog.count, backlog.max_days, backlog.average_days) == (2, 3, D("2.5"))
    # An official sees their own unit's rounds only.
    assert [r.finding_id for r, _ in selectors.review_backlog(world.official_b, world.campaign, dt.date(2026, 10, 21)).rows] == [other.pk]
    # Waiting for review is not overdue for the units.
    overdue = selectors.open_rectifications(world.admin, world.campaign, dt.date(2026, 10, 21))["overdue"]
    assert list(overdue) == []


def test_a_withdrawn_finding_gets_no_penalty(world, finding):
    services.finding_withdraw(actor=world.inspector, finding=finding, reason="误报")
    assert services.overdue_penalties_apply(today=dt.date(2026, 11, 1)) == []


def test_a_deadline_on_the_last_day_of_a_month_counts_in_the_next_month(world):
    # Inspection Fri 2026-10-23 + 5 working days = Fri 10-30; deadline passes on 10-31 → October.
    # Inspection Mon 2026-10-26 + 5 = Mon 11-02 → November.
    f1 = services.finding_create(inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 10, 23)),
                                 point=world.point_a, indicator=world.leaf_clean, description="问题一")
    f2 = services.finding_create(inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 10, 26)),
                                 point=world.point_b, indicator=world.leaf_market, description="问题二")
    assert (f1.rectify_deadline, f2.rectify_deadline) == (dt.date(2026, 10, 30), dt.date(2026, 11, 2))
    months = {p.finding_id: p.month for p in services.overdue_penalties_apply(today=dt.date(2026, 11, 10))}
    assert months == {f1.pk: dt.date(2026, 10, 1), f2.pk: dt.date(2026, 11, 1)}


def test_a_penalty_whose_month_is_already_published_goes_to_the_next_open_month(world, finding):
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    penalty = services.overdue_penalties_apply(today=dt.date(2026, 11, 3))[0]
    assert penalty.month == dt.date(2026, 11, 1)


def test_the_daily_job_applies_penalties(world, finding, monkeypatch):
    from inspections import jobs

    monkeypatch.setattr(jobs.timezone, "localdate", lambda: dt.date(2026, 10, 20))
    assert jobs.apply_overdue_penalties.apply().get() == {"created": 1, "orders_notified": 0, "findings_overdue": 1}
    from notices.models import OverdueWatch

    assert OverdueWatch.objects.get().subject == f"finding-{finding.pk}-overdue-{finding.rectify_deadline:%Y%m%d}"


def test_withdrawing_a_finding_cancels_its_open_overdue_penalty_with_an_audit_row(world, finding):
    penalty = services.overdue_penalties_apply(today=dt.date(2026, 10, 20))[0]
    services.finding_withdraw(actor=world.inspector, finding=finding, reason="点位不属于该单位")
    assert not OverduePenalty.objects.exists()
    from campaign.models import AuditLog

    log = AuditLog.objects.get(action="finding.overdue_penalty_cancel")
    assert log.object_id == str(penalty.pk) and log.before["points"] == "0.30"
    assert services.overdue_penalties_apply(today=dt.date(2026, 10, 21)) == []


def test_a_penalty_in_a_published_month_stays_when_its_finding_is_withdrawn(world):
    # Inspection 10-26 → deadline 11-02 → the penalty counts in November; November is then published.
    late = services.finding_create(inspector=world.inspector, inspection=inspection(world, date=dt.date(2026, 10, 26)),
                                   point=world.point_a, indicator=world.leaf_clean, description="问题")
    services.overdue_penalties_apply(today=dt.date(2026, 11, 3))
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 11, 1), status=PeriodStatus.PUBLISHED)
    services.finding_withdraw(actor=world.inspector, finding=late, reason="误报")  # October is still open
    assert OverduePenalty.objects.get().month == dt.date(2026, 11, 1)
