"""The scoring engine on hand-computed months (the rule: docs/scoring.md)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from campaign.models import ScoringMode, Unit, UnitType
from inspections.models import Bonus, BonusStatus, Check, CheckResult, Correction, FindingStatus, OverduePenalty
from reports.scoring import competition_ranks, pass_rates, score_month
from tests import factories as f

OCT = dt.date(2026, 10, 1)


def finding(w, unit, indicator, points, day=12, point=None, description="主干道两侧垃圾未及时清运"):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, day), created_by=w.inspector)
    return f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator, points=D(points),
        point=point, description=description,
    )


def test_a_month_without_data_gives_every_ranked_unit_the_full_score(world):
    scores = score_month(campaign=world.campaign, month=OCT, today=dt.date(2026, 11, 5))
    assert [(u.unit_name, u.score, u.rank) for u in scores.units] == [
        ("口岸街道", D("100.00"), 1), ("城东街道", D("100.00"), 1), ("市城管局", D("100.00"), 1),
    ]


def test_findings_deduct_and_are_capped_at_the_indicator_score(world):
    # 1.1.1 scores 2.00: 1.5 + 0.8 = 2.3 deducted, capped at 2.00 → 0.30 given back.
    finding(world, world.unit_a, world.leaf_clean, "1.50", point=world.point_a)
    finding(world, world.unit_a, world.leaf_clean, "0.80")
    finding(world, world.unit_a, world.leaf_ads, "0.30")
    scores = score_month(campaign=world.campaign, month=OCT, today=dt.date(2026, 11, 5))
    a = scores.get(world.unit_a.pk)
    assert a.score == D("97.70")  # 100 − 2.00 − 0.30
    assert a.finding_deductions == D("2.30")
    assert sum(line.points for line in a.lines) == a.score - a.full_score
    assert [line.kind for line in a.lines] == ["finding", "finding", "cap", "finding"]
    assert a.lines[0].label == "人民路（城东段）：主干道两侧垃圾未及时清运"
    assert a.lines[2].points == D("0.30")


def test_equal_scores_share_a_rank():
    assert competition_ranks([D(99), D(98), D(98), D(97)]) == [1, 2, 2, 4]


# --- helpers -----------------------------------------------------------------------


TODAY = dt.date(2026, 11, 5)


def score(w, month=OCT, today=TODAY):
    return score_month(campaign=w.campaign, month=month, today=today)


def assert_lines_sum(scores):
    for unit in scores.units:
        assert sum((line.points for line in unit.lines), D(0)) == unit.score - unit.full_score, unit.unit_name


def check(w, unit, indicator, result, point=None, n=1):
    for _ in range(n):
        inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 20), created_by=w.inspector)
        Check.objects.create(
            inspection=inspection, point=point or w.point_a, indicator=indicator, unit=unit, result=result,
            month=OCT, checked_by=w.inspector,
        )


# --- deduction mode ----------------------------------------------------------------


def test_the_total_never_goes_below_zero(world):
    world.campaign.full_score = D("2.00")
    world.campaign.save()
    finding(world, world.unit_a, world.leaf_clean, "1.50")
    finding(world, world.unit_a, world.leaf_ads, "1.00")
    scores = score(world)
    a = scores.get(world.unit_a.pk)
    # 2.00 − 1.50 − 1.00 = −0.50 → floored at 0 by a +0.50 line.
    assert a.score == D("0.00")
    assert a.lines[-1].kind == "cap" and a.lines[-1].points == D("0.50")
    assert_lines_sum(scores)


def test_withdrawn_findings_deduct_nothing(world):
    x = finding(world, world.unit_a, world.leaf_clean, "0.30")
    x.status, x.withdrawn_reason = FindingStatus.WITHDRAWN, "责任单位认定错误"
    x.save()
    assert score(world).get(world.unit_a.pk).score == D("100.00")


def test_overdue_rectification_penalties_deduct_in_their_month(world):
    x = finding(world, world.unit_a, world.leaf_clean, "0.30", day=5)
    OverduePenalty.objects.create(finding=x, unit=world.unit_a, campaign=world.campaign, month=OCT, points=D("1.00"))
    a = score(world).get(world.unit_a.pk)
    assert a.score == D("98.70")  # 100 − 0.30 − 1.00
    assert a.penalty_deductions == D("1.00")
    assert [line.kind for line in a.lines] == ["finding", "penalty"]
    assert a.lines[1].object_id == x.pk


def test_overdue_tasks_deduct_once_in_the_month_the_deadline_passed_and_are_capped(world):
    c = world.campaign
    c.task_overdue_cap = D("1.50")
    c.save()
    mk = lambda **kw: f.TaskFactory(campaign=c, unit=world.unit_a, indicator=world.leaf_clean, **kw)  # noqa: E731
    mk(title="9月30日到期未完成", deadline=dt.date(2026, 9, 30))  # overdue from 10-01 → October
    mk(title="按时完成", deadline=dt.date(2026, 10, 15), status="completed", completed_on=dt.date(2026, 10, 15))
    mk(title="逾期完成", deadline=dt.date(2026, 10, 20), status="completed", completed_on=dt.date(2026, 10, 25))
    mk(title="10月31日到期", deadline=dt.date(2026, 10, 31))  # overdue from 11-01 → November
    mk(title="9月29日到期", deadline=dt.date(2026, 9, 29))  # overdue from 09-30 → September
    mk(title="长期坚持", deadline=None, is_ongoing=True)
    a = score(world).get(world.unit_a.pk)
    # Two overdue tasks × 1.00 = 2.00, capped at 1.50.
    assert a.task_deductions == D("1.50") and a.score == D("98.50")
    assert [(l.kind, l.points) for l in a.lines] == [("task", D("-1.00")), ("task", D("-1.00")), ("cap", D("0.50"))]
    assert score(world, month=dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)).get(world.unit_a.pk).task_deductions == D("1.00")


def test_a_task_deadline_counts_only_once_it_has_passed(world):
    f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean, deadline=dt.date(2026, 10, 20))
    assert score(world, today=dt.date(2026, 10, 20)).get(world.unit_a.pk).task_deductions == D("0.00")
    assert score(world, today=dt.date(2026, 10, 21)).get(world.unit_a.pk).task_deductions == D("1.00")


def test_approved_bonuses_are_capped_per_month(world):
    for points, status in (("3.00", BonusStatus.APPROVED), ("4.00", BonusStatus.APPROVED), ("2.00", BonusStatus.PENDING),
                           ("1.00", BonusStatus.REJECTED)):
        Bonus.objects.create(campaign=world.campaign, unit=world.unit_b, month=OCT, points=D(points),
                             reason="获评省级卫生街道", status=status, created_by=world.admin)
    b = score(world).get(world.unit_b.pk)
    assert b.bonus == D("5.00") and b.score == D("105.00")  # 3 + 4 = 7, capped at 5
    assert [(l.kind, l.points) for l in b.lines] == [("bonus", D("3.00")), ("bonus", D("4.00")), ("cap", D("-2.00"))]


def test_corrections_count_signed_in_their_month(world):
    Correction.objects.create(campaign=world.campaign, unit=world.unit_a, month=OCT, points=D("-0.40"),
                              reason="9月漏记问题补扣", created_by=world.admin)
    Correction.objects.create(campaign=world.campaign, unit=world.unit_a, month=OCT, points=D("0.30"),
                              reason="9月误扣返还", created_by=world.admin)
    a = score(world).get(world.unit_a.pk)
    assert a.corrections == D("-0.10") and a.score == D("99.90")


def test_ties_share_a_rank_and_the_next_rank_skips(world):
    unit_c = f.UnitFactory(name="禾川街道", unit_type=UnitType.STREET, parent=world.district_west, ranking_group=world.group_street)
    finding(world, world.unit_a, world.leaf_clean, "0.30")
    finding(world, world.unit_b, world.leaf_ads, "0.30")
    finding(world, unit_c, world.leaf_clean, "0.50")
    scores = score(world)
    group = dict(scores.by_group())["乡镇街道组"]
    assert [(u.unit_name, u.score, u.rank) for u in group] == [
        ("口岸街道", D("99.70"), 1), ("城东街道", D("99.70"), 1), ("禾川街道", D("99.50"), 3),
    ]
    assert [name for name, _ in scores.by_group()] == ["乡镇街道组", "市直部门组"]
    assert scores.get(world.dept.pk).rank == 1 and scores.get(world.dept.pk).overall_rank == 1


def test_units_without_a_ranking_group_or_inactive_are_not_scored(world):
    Unit.objects.filter(pk=world.unit_b.pk).update(is_active=False)
    names = [u.unit_name for u in score(world).units]
    assert names == ["城东街道", "市城管局"]


def test_score_rate_leaves_indicators_that_do_not_apply_out_of_the_denominator(world):
    # Leaves: 1.1.1 (2), 1.1.2 (1) for all; 1.2.1 (2) only for streets/townships.
    finding(world, world.unit_a, world.leaf_clean, "0.60")
    finding(world, world.dept, world.leaf_clean, "0.60")
    scores = score(world)
    assert scores.get(world.unit_a.pk).score_rate == D("0.8800")  # (5 − 0.6) ÷ 5
    assert scores.get(world.dept.pk).score_rate == D("0.8000")  # (3 − 0.6) ÷ 3
    assert scores.get(world.unit_b.pk).score_rate == D("1.0000")


def test_change_is_against_the_previous_month(world):
    finding(world, world.unit_a, world.leaf_clean, "0.30")
    inspection = f.InspectionFactory(campaign=world.campaign, date=dt.date(2026, 9, 8), created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_ads, points=D("0.80"))
    a = score(world).get(world.unit_a.pk)
    assert a.change == D("0.50")  # 99.70 − 99.20
    may = score(world, month=dt.date(2026, 5, 1)).get(world.unit_a.pk)
    assert may.change is None  # the campaign starts in May


# --- pass-rate and mixed modes ------------------------------------------------------


def pass_rate_october(w):
    check(w, w.unit_a, w.leaf_clean, CheckResult.PASS, n=3)
    check(w, w.unit_a, w.leaf_clean, CheckResult.FAIL)
    check(w, w.unit_a, w.leaf_clean, CheckResult.NA, n=2)
    check(w, w.unit_a, w.leaf_ads, CheckResult.PASS)
    check(w, w.unit_a, w.leaf_ads, CheckResult.FAIL)
    check(w, w.community_a, w.leaf_clean, CheckResult.FAIL)
    check(w, w.unit_b, w.leaf_market, CheckResult.PASS, point=w.point_b, n=2)
    check(w, w.unit_b, w.leaf_market, CheckResult.NA, point=w.point_b)


def test_pass_rate_mode_scores_each_indicator_by_its_share_of_passed_checks(world):
    world.campaign.scoring_mode = ScoringMode.PASS_RATE
    world.campaign.save()
    pass_rate_october(world)
    finding(world, world.unit_a, world.leaf_clean, "1.00")  # findings do not count in this mode
    scores = score(world)
    a = scores.get(world.unit_a.pk)
    # 1.1.1: 3 of 4 (不适用 left out) → 75%; 1.1.2: 1 of 2 → 50%. Σ score 3, earned 2×0.75 + 1×0.5 = 2.
    assert a.pass_rate == D("0.6667")  # 4 of 6 checks
    assert a.score_rate == D("0.6667")  # 2 ÷ 3
    assert [(l.kind, l.indicator_code, l.points) for l in a.lines] == [
        ("pass_rate", "1.1.1", D("-16.67")),  # 100 × 2 × 25% ÷ 3
        ("pass_rate", "1.1.2", D("-16.67")),  # 100 × 1 × 50% ÷ 3
    ]
    assert a.score == D("66.66")
    assert scores.get(world.unit_b.pk).score == D("100.00") and scores.get(world.unit_b.pk).pass_rate == D("1.0000")
    assert scores.get(world.dept.pk).pass_rate is None and scores.get(world.dept.pk).score == D("100.00")
    assert_lines_sum(scores)


def test_mixed_mode_weighs_the_two_parts(world):
    world.campaign.scoring_mode = ScoringMode.MIXED
    world.campaign.deduction_weight = D("0.50")
    world.campaign.save()
    pass_rate_october(world)
    finding(world, world.unit_a, world.leaf_clean, "1.00")
    scores = score(world)
    a = scores.get(world.unit_a.pk)
    # 0.5 × (100 − 1.00) + 0.5 × (100 − 33.34) = 100 − 0.50 − 16.67
    assert a.score == D("82.83")
    assert a.finding_deductions == D("17.17")
    assert_lines_sum(scores)


def test_pass_rate_tables_per_indicator_unit_street_and_group(world):
    pass_rate_october(world)
    by_indicator = {r.label: (r.passed, r.failed, r.not_applicable, r.rate) for r in pass_rates(campaign=world.campaign, month=OCT)}
    assert by_indicator == {
        "1.1.1 主次干道整洁": (3, 2, 2, D("0.6000")),
        "1.1.2 户外广告规范": (1, 1, 0, D("0.5000")),
        "1.2.1 农贸市场管理规范": (2, 0, 1, D("1.0000")),
    }
    streets = {r.label: (r.passed, r.failed, r.rate) for r in pass_rates(campaign=world.campaign, month=OCT, by="street")}
    # 迎春社区's failed check counts for 城东街道 above it.
    assert streets == {"城东街道": (4, 3, D("0.5714")), "口岸街道": (2, 0, D("1.0000"))}
    groups = pass_rates(campaign=world.campaign, month=OCT, by="group")
    assert [(r.label, r.passed, r.failed) for r in groups] == [("乡镇街道组", 6, 2)]
    units = {r.label: r.score_rate for r in pass_rates(campaign=world.campaign, month=OCT, by="unit")}
    assert units["城东街道"] == D("0.6667") and units["迎春社区"] == D("0.0000")


def test_every_units_lines_sum_to_its_score_in_a_busy_month(world):
    pass_rate_october(world)
    for unit, ind, pts in ((world.unit_a, world.leaf_clean, "1.50"), (world.unit_a, world.leaf_clean, "0.90"),
                           (world.unit_b, world.leaf_market, "0.70"), (world.dept, world.leaf_ads, "1.20")):
        finding(world, unit, ind, pts)
    Bonus.objects.create(campaign=world.campaign, unit=world.dept, month=OCT, points=D("2.00"), reason="创新做法",
                         status=BonusStatus.APPROVED, created_by=world.admin)
    for mode in ScoringMode.values:
        world.campaign.scoring_mode = mode
        world.campaign.deduction_weight = D("0.70")
        world.campaign.save()
        assert_lines_sum(score(world))


def test_many_small_deductions_add_up_exactly_on_every_backend(world):
    # SQLite sums decimals as floats (70 × 0.1 ≠ 7.0 in binary); the engine rounds every sum to 0.01.
    big = f.IndicatorFactory(campaign=world.campaign, code="1.1.9", name="门前三包", level=3, parent=world.ind_1_1, score=D("10.00"))
    inspection = f.InspectionFactory(campaign=world.campaign, date=dt.date(2026, 10, 12), created_by=world.inspector)
    for _ in range(70):
        f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=big, points=D("0.10"))
    fast = score_month(campaign=world.campaign, month=OCT, today=TODAY, with_lines=False).get(world.unit_a.pk)
    full = score(world).get(world.unit_a.pk)
    assert fast.score == full.score == D("93.00")
    assert str(fast.finding_deductions) == "7.00"


def test_lines_can_be_limited_to_one_unit_without_changing_any_score(world):
    finding(world, world.unit_a, world.leaf_clean, "1.50")
    finding(world, world.unit_a, world.leaf_clean, "0.80")
    finding(world, world.unit_b, world.leaf_ads, "0.30")
    every = score(world)
    one = score_month(campaign=world.campaign, month=OCT, today=TODAY, lines_for={world.unit_a.pk})
    assert [(u.unit_id, u.score, u.rank, u.finding_deductions) for u in one.units] == [
        (u.unit_id, u.score, u.rank, u.finding_deductions) for u in every.units
    ]
    assert one.get(world.unit_a.pk).lines == every.get(world.unit_a.pk).lines
    assert one.get(world.unit_b.pk).lines == []


def test_scoring_only_some_units_gives_them_the_same_scores(world):
    finding(world, world.unit_a, world.leaf_clean, "1.50")
    finding(world, world.unit_b, world.leaf_ads, "0.30")
    every = score(world)
    alone = score_month(campaign=world.campaign, month=OCT, today=TODAY, only_units={world.unit_a.pk})
    assert [u.unit_id for u in alone.units] == [world.unit_a.pk]
    assert alone.units[0].score == every.get(world.unit_a.pk).score == D("98.50")
    assert alone.units[0].lines == every.get(world.unit_a.pk).lines
