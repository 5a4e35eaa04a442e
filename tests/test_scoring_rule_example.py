"""The worked example of docs/scoring.md, number for number."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from inspections.models import Bonus, BonusStatus, Correction, OverduePenalty
from reports.scoring import score_month
from tests import factories as f


def finding(w, unit, indicator, points, day, description, month=10):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, month, day), created_by=w.inspector)
    return f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator, points=D(points), point=w.point_a,
        description=description, rectify_deadline=dt.date(2026, month, 30),
    )


def test_the_worked_example_of_the_scoring_docs(world):
    w = world
    a = w.unit_a
    finding(w, a, w.leaf_clean, "1.50", 12, "主干道两侧垃圾未及时清运")
    finding(w, a, w.leaf_clean, "0.80", 19, "果皮箱满溢")
    finding(w, a, w.leaf_ads, "0.30", 12, "公益广告破损")
    late = finding(w, a, w.leaf_clean, "0.30", 8, "人行道积水", month=9)
    finding(w, a, w.leaf_ads, "0.50", 9, "广告牌字迹缺损", month=9)
    OverduePenalty.objects.create(finding=late, unit=a, campaign=w.campaign, month=dt.date(2026, 10, 1), points=D("0.30"))
    f.TaskFactory(campaign=w.campaign, unit=a, indicator=w.leaf_clean, title="完成人民路公益广告更新",
                  deadline=dt.date(2026, 10, 20), status="completed", completed_on=dt.date(2026, 10, 25))
    for points, reason in (("3.00", "获评省级卫生街道"), ("4.00", "创新做法")):
        Bonus.objects.create(campaign=w.campaign, unit=a, month=dt.date(2026, 10, 1), points=D(points), reason=reason,
                             status=BonusStatus.APPROVED, created_by=w.admin)
    Correction.objects.create(campaign=w.campaign, unit=a, month=dt.date(2026, 10, 1), points=D("0.20"),
                              reason="9月误扣返还", created_by=w.admin)
    pb = w.point_b
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 15), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, point=pb, points=D("0.50"))

    scores = score_month(campaign=w.campaign, month=dt.date(2026, 10, 1), today=dt.date(2026, 11, 5))
    u = scores.get(a.pk)
    assert [(line.kind, line.points) for line in u.lines] == [
        ("finding", D("-1.50")), ("finding", D("-0.80")), ("cap", D("0.30")), ("finding", D("-0.30")),
        ("penalty", D("-0.30")), ("task", D("-1.00")), ("bonus", D("3.00")), ("bonus", D("4.00")), ("cap", D("-2.00")),
        ("correction", D("0.20")),
    ]
    assert u.score == D("101.60")
    assert (u.finding_deductions, u.penalty_deductions, u.task_deductions, u.bonus, u.corrections) == (
        D("2.30"), D("0.30"), D("1.00"), D("5.00"), D("0.20"),
    )
    assert u.score_rate == D("0.5400")
    assert u.change == D("2.40") and u.previous_score == D("99.20")
    b = scores.get(w.unit_b.pk)
    assert (u.rank, b.rank, b.score) == (1, 2, D("99.50"))
