"""The engine on the demo city (dataload/demo.py): every unit's lines sum to its score."""
from __future__ import annotations

import datetime as dt

from dataload.demo import DEMO_TODAY
from reports.scoring import month_scores, score_month


def test_every_units_lines_sum_to_its_score_in_every_demo_month(demo, db):
    checked = 0
    for month in demo.months():
        if month > DEMO_TODAY:
            continue
        scores = month_scores(campaign=demo, month=month, with_lines=True)
        for unit in scores.units:
            assert sum(line.points for line in unit.lines) == unit.score - unit.full_score, (month, unit.unit_name)
            checked += 1
    assert checked > 0


def test_the_published_demo_month_matches_a_fresh_computation(demo, db):
    october = dt.date(2026, 10, 1)
    frozen = month_scores(campaign=demo, month=october)
    assert frozen.is_published
    live = score_month(campaign=demo, month=october, today=DEMO_TODAY)
    assert [(u.unit_name, u.score, u.rank) for u in frozen.units] == [(u.unit_name, u.score, u.rank) for u in live.units]
    assert any(u.score < u.full_score for u in frozen.units)
