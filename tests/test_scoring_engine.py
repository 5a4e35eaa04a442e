"""The scoring engine on hand-computed months (the rule: docs/scoring.md)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from reports.scoring import competition_ranks, score_month
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
