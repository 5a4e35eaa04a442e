"""Deduction rules with hand-computed figures (defaults: 市级 0.3 / 重复 2, 区级 0.2 / 1, 部门 0.1 / 0.6)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaign.models import DeductionRule, SourceLevel
from inspections import deductions
from inspections.models import FindingStatus
from tests import factories as f

D = Decimal


def _suggest(world, level, found_on=dt.date(2026, 10, 12), point=None, indicator=None):
    return deductions.suggest_points(
        campaign=world.campaign, source_level=level, point=point or world.point_a,
        indicator=indicator or world.leaf_clean, found_on=found_on,
    )


def test_base_points_depend_on_who_found_the_problem(world):
    assert _suggest(world, SourceLevel.CITY) == D("0.30")
    assert _suggest(world, SourceLevel.DISTRICT) == D("0.20")
    assert _suggest(world, SourceLevel.DEPARTMENT) == D("0.10")


def _earlier(world, found_on, **kw):
    insp = f.InspectionFactory(campaign=world.campaign, date=found_on, created_by=world.inspector)
    return f.FindingFactory(
        campaign=world.campaign, inspection=insp, unit=world.unit_a, point=kw.pop("point", world.point_a),
        indicator=kw.pop("indicator", world.leaf_clean), **kw,
    )


def test_the_same_problem_at_the_same_point_within_30_days_is_a_repeat(world):
    _earlier(world, dt.date(2026, 9, 12))  # exactly 30 days before 10-12: inside the window
    assert _suggest(world, SourceLevel.CITY) == D("2")
    assert _suggest(world, SourceLevel.DISTRICT) == D("1")
    assert _suggest(world, SourceLevel.DEPARTMENT) == D("0.6")


def test_a_problem_31_days_earlier_is_not_a_repeat(world):
    _earlier(world, dt.date(2026, 9, 11))
    assert _suggest(world, SourceLevel.CITY) == D("0.30")


def test_a_withdrawn_earlier_finding_does_not_make_a_repeat(world):
    _earlier(world, dt.date(2026, 10, 1), status=FindingStatus.WITHDRAWN, withdrawn_reason="误报")
    assert _suggest(world, SourceLevel.CITY) == D("0.30")


def test_another_indicator_or_another_point_is_not_a_repeat(world):
    _earlier(world, dt.date(2026, 10, 1), indicator=world.leaf_ads)
    _earlier(world, dt.date(2026, 10, 1), point=world.point_b)
    assert _suggest(world, SourceLevel.CITY) == D("0.30")


def test_a_finding_the_same_day_is_not_counted_as_an_earlier_repeat(world):
    _earlier(world, dt.date(2026, 10, 12))
    assert _suggest(world, SourceLevel.CITY) == D("0.30")


def test_the_repeat_window_is_set_per_campaign(world):
    world.campaign.repeat_window_days = 7
    world.campaign.save()
    _earlier(world, dt.date(2026, 10, 4))  # 8 days before
    assert _suggest(world, SourceLevel.CITY) == D("0.30")


def _validate(world, points, *, unit=None, indicator=None, level=SourceLevel.CITY):
    return deductions.validate_points(
        campaign=world.campaign, source_level=level, point=world.point_a, indicator=indicator or world.leaf_clean,
        unit=unit or world.unit_a, found_on=dt.date(2026, 10, 12), points=D(points),
    )


def test_points_above_the_rule_are_refused_with_the_numbers(world):
    with pytest.raises(ValidationError) as exc:
        _validate(world, "0.50")
    assert "0.50" in exc.value.messages[0] and "市级检查每个问题扣 0.30 分" in exc.value.messages[0]


def test_fewer_points_than_the_rule_are_allowed(world):
    assert _validate(world, "0.10").points == D("0.30")


def test_the_month_total_on_an_indicator_is_capped_at_its_score(world):
    # leaf_ads has a score of 1.00; three findings of 0.30 already = 0.90 in October.
    for day in (2, 3, 4):
        _earlier(world, dt.date(2026, 10, day), indicator=world.leaf_ads, point=world.point_b, points=D("0.30"))
    _validate(world, "0.10", indicator=world.leaf_ads)  # 0.90 + 0.10 = 1.00: allowed
    with pytest.raises(ValidationError) as exc:
        _validate(world, "0.20", indicator=world.leaf_ads)  # 1.10 > 1.00
    message = exc.value.messages[0]
    assert "已扣 0.90 分" in message and "再扣 0.20 分" in message and "分值 1.00 分" in message and "最多还能扣 0.10 分" in message


def test_the_cap_counts_only_the_same_unit_and_month_and_not_withdrawn_findings(world):
    _earlier(world, dt.date(2026, 10, 2), indicator=world.leaf_ads, point=world.point_b, points=D("0.90"),
             status=FindingStatus.WITHDRAWN, withdrawn_reason="误报")
    insp = f.InspectionFactory(campaign=world.campaign, date=dt.date(2026, 9, 2), created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=insp, unit=world.unit_a, indicator=world.leaf_ads, points=D("0.90"))
    f.FindingFactory(campaign=world.campaign, unit=world.unit_b, indicator=world.leaf_ads, points=D("0.90"),
                     inspection=f.InspectionFactory(campaign=world.campaign, created_by=world.inspector))
    _validate(world, "0.30", indicator=world.leaf_ads)


def test_zero_or_negative_points_are_refused(world):
    with pytest.raises(ValidationError, match="大于 0"):
        _validate(world, "0")


def test_overdue_points_default_to_the_finding_points_and_follow_the_rule_when_set(world):
    finding = f.FindingFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean, points=D("0.20"),
                               inspection=f.InspectionFactory(campaign=world.campaign, created_by=world.inspector))
    rule = DeductionRule.objects.get(campaign=world.campaign, source_level=SourceLevel.CITY)
    assert deductions.overdue_points(finding, rule) == D("0.20")
    rule.overdue_points = D("1.00")
    assert deductions.overdue_points(finding, rule) == D("1.00")


def test_a_campaign_without_a_rule_for_the_level_gets_a_chinese_error(world):
    DeductionRule.objects.filter(campaign=world.campaign, source_level=SourceLevel.DEPARTMENT).delete()
    with pytest.raises(ValidationError, match="尚未设置“部门”检查的扣分规则"):
        _suggest(world, SourceLevel.DEPARTMENT)


def test_the_worked_example_of_the_docs(world):
    """docs/inspections.md, “Worked example”: indicator 1.1.2 (score 1.00) at 人民路（城东段）."""
    from inspections import services
    from tests.inspections_support import inspection

    def log(day, level, points):
        return services.finding_create(
            inspector=world.inspector, inspection=inspection(world, date=day, level=level), point=world.point_a,
            indicator=world.leaf_ads, description="广告牌破损", points=points,
        )

    def suggested(day, level):
        return _suggest(world, level, found_on=day, indicator=world.leaf_ads)

    assert suggested(dt.date(2026, 10, 2), SourceLevel.DISTRICT) == D("0.20")
    log(dt.date(2026, 10, 2), SourceLevel.DISTRICT, None)
    assert suggested(dt.date(2026, 10, 12), SourceLevel.CITY) == D("2")
    second = log(dt.date(2026, 10, 12), SourceLevel.CITY, D("0.50"))
    assert second.is_repeat and second.rectify_deadline == dt.date(2026, 10, 19)
    assert suggested(dt.date(2026, 10, 20), SourceLevel.DEPARTMENT) == D("0.6")
    with pytest.raises(ValidationError, match="已扣 0.70 分.*最多还能扣 0.30 分"):
        log(dt.date(2026, 10, 20), SourceLevel.DEPARTMENT, D("0.60"))
    log(dt.date(2026, 10, 20), SourceLevel.DEPARTMENT, D("0.30"))
    assert deductions.month_total(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads,
                                  month=dt.date(2026, 10, 1)) == D("1.00")
    assert suggested(dt.date(2026, 11, 15), SourceLevel.CITY) == D("2")
    log(dt.date(2026, 11, 15), SourceLevel.CITY, D("0.30"))
    penalties = {p.finding_id: (p.points, p.month) for p in services.overdue_penalties_apply(today=dt.date(2026, 10, 20))}
    assert penalties[second.pk] == (D("0.50"), dt.date(2026, 10, 1))
