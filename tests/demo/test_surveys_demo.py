"""The demo's surveys (dataload/demo_surveys.py): the finished 知晓率 survey for 4.2.3 and an open one."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from campaign.models import Unit
from dataload.demo_surveys import OPEN_TITLE, TITLE
from reports.scoring import score_month
from surveys import selectors
from surveys.models import Survey, SurveyStatus


def test_the_finished_survey_has_results_near_the_90_percent_target(demo, db):
    survey = Survey.objects.get(campaign=demo, title=TITLE)
    assert survey.status == SurveyStatus.CLOSED and survey.score_month == dt.date(2026, 11, 1)
    results = selectors.survey_results(survey)
    assert results.respondents == 220 and len(results.areas) == 11
    rates = {m: r for m, _, r in results.measures}
    # 196 of 220 know of the campaign (hand count of AWARE): 89.09%.
    assert (rates["aware"].yes, rates["aware"].answered, rates["aware"].percent) == (196, 220, "89.09%")
    assert all(a.quota_met for a in results.areas)
    assert {a.name: a.rates["aware"].percent for a in results.areas}["永安社区"] == "80.00%"


def test_the_open_survey_shows_quota_progress(demo, db):
    survey = Survey.objects.get(campaign=demo, title=OPEN_TITLE)
    assert survey.status == SurveyStatus.OPEN
    rows = {a.name: (a.responses, a.target, a.progress) for a in selectors.quota_rows(survey)}
    assert rows == {"迎春社区": (7, 30, 23), "新明社区": (4, 30, 13)}


def test_novembers_scores_take_the_survey_in(demo, db):
    scores = score_month(campaign=demo, month=dt.date(2026, 11, 1), today=dt.date(2026, 11, 29))

    def survey_line(name):
        unit = scores.get(Unit.objects.get(name=name).pk)
        return [line.points for line in unit.lines if line.kind == "survey"]

    assert survey_line("迎春社区") == [Decimal("0.00")]  # 19/20 = 95% ≥ 90%: full 1.00
    assert survey_line("永安社区") == [Decimal("-0.11")]  # 16/20 = 80%: 1.00 × 0.80 ÷ 0.90 = 0.89
    assert survey_line("城西街道") == [Decimal("-0.03")]  # 惠泉 19 + 永安 16 = 35/40 = 87.5%: 0.97
