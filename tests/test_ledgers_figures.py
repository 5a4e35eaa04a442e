"""台账 figures: totals, ratios and coverage, checked against hand-computed numbers."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaign.models import UnitType
from ledgers import selectors
from ledgers.models import Board, BoardKind, Family, Meeting, MeetingKind, Population, Volunteer
from tests import factories as f


def _volunteers(campaign, unit, rows):
    for i, (times, hours) in enumerate(rows):
        Volunteer.objects.create(campaign=campaign, unit=unit, name=f"{unit.name}志愿者{i}", activity_count=times, hours=Decimal(hours))


@pytest.fixture
def ledger_world(world):
    """城东街道 (480 residents) keeps 5 volunteers, its 迎春社区 2 more; 口岸街道 (1,000) keeps 3 who did nothing."""
    w = world
    w.community_a2 = f.UnitFactory(name="新明社区", unit_type=UnitType.COMMUNITY, parent=w.unit_a)
    Population.objects.create(campaign=w.campaign, unit=w.unit_a, residents=480)
    Population.objects.create(campaign=w.campaign, unit=w.community_a, residents=150)  # inside 城东街道's 480
    Population.objects.create(campaign=w.campaign, unit=w.unit_b, residents=1000)
    _volunteers(w.campaign, w.unit_a, [(4, "10"), (2, "5.5"), (0, "0"), (1, "2"), (3, "6")])
    _volunteers(w.campaign, w.community_a, [(2, "4.5"), (0, "0")])
    _volunteers(w.campaign, w.unit_b, [(0, "0"), (0, "0"), (0, "0")])
    return w


def _by_key(figures):
    return {fig.key: fig for fig in figures}


def test_a_streets_volunteer_figures_include_its_communities(ledger_world):
    w = ledger_world
    figs = _by_key(selectors.summary_figures(w.campaign, w.unit_a))
    assert figs["residents"].value == Decimal("480")  # 迎春社区's 150 is part of the street's 480
    assert figs["volunteers"].value == Decimal("7")
    # 7 ÷ 480 × 100% = 1.458…% → 1.5%
    assert figs["volunteer_share"].value == Decimal("1.5")
    assert figs["volunteer_share"].text == "1.5%"
    # 4+2+0+1+3+2+0 = 12 人次; 5 of 7 took part: 71.4%
    assert figs["volunteer_times"].value == Decimal("12")
    assert figs["volunteer_participation"].value == Decimal("71.4")
    # 10+5.5+0+2+6+4.5+0 = 28 小时; 28 ÷ 7 = 4.0 per volunteer; 28 ÷ 12 = 2.33… → 2.3 per 人次
    assert figs["volunteer_hours"].value == Decimal("28")
    assert figs["hours_per_volunteer"].value == Decimal("4.0")
    assert figs["hours_per_time"].value == Decimal("2.3")
    assert "÷" in figs["volunteer_share"].rule


def test_the_citys_figures_add_every_unit_without_counting_a_population_twice(ledger_world):
    w = ledger_world
    figs = _by_key(selectors.summary_figures(w.campaign))
    assert figs["residents"].value == Decimal("1480")  # 480 + 1000, not + 150
    assert figs["volunteers"].value == Decimal("10")
    assert figs["volunteer_share"].value == Decimal("0.7")  # 10 ÷ 1480 = 0.675…%
    assert figs["volunteer_participation"].value == Decimal("50.0")  # 5 ÷ 10


def test_a_ratio_without_a_denominator_is_a_dash_not_zero(ledger_world):
    w = ledger_world
    figs = _by_key(selectors.summary_figures(w.campaign, w.dept))
    assert figs["residents"].value is None
    assert figs["volunteer_share"].value is None and figs["volunteer_share"].text == "—"
    assert figs["hours_per_volunteer"].text == "—"


def test_board_coverage_counts_villages_named_by_a_board_or_keeping_one(ledger_world):
    w = ledger_world
    Board.objects.create(campaign=w.campaign, unit=w.unit_a, name="迎春社区门口宣传栏", village=w.community_a)
    # A 公益广告 in 新明社区 is not a 宣传栏: coverage stays 1 of 2.
    Board.objects.create(campaign=w.campaign, unit=w.unit_a, kind=BoardKind.PSA, name="新明社区公益广告", village=w.community_a2)
    figs = _by_key(selectors.summary_figures(w.campaign, w.unit_a))
    assert (figs["boards"].value, figs["psa"].value) == (Decimal("1"), Decimal("1"))
    assert (figs["villages"].value, figs["villages_covered"].value) == (Decimal("2"), Decimal("1"))
    assert figs["board_coverage"].value == Decimal("50.0")
    assert figs["board_coverage"].detail == "尚无宣传栏：新明社区"
    # 新明社区 enters its own board (no village named): now every community has one.
    Board.objects.create(campaign=w.campaign, unit=w.community_a2, name="新明社区活动室宣传栏")
    figs = _by_key(selectors.summary_figures(w.campaign, w.unit_a))
    assert figs["board_coverage"].value == Decimal("100.0")
    assert figs["board_coverage"].detail == "各村（社区）均有宣传栏"
    # 口岸街道 has no village at all: no coverage figure.
    assert _by_key(selectors.summary_figures(w.campaign, w.unit_b))["board_coverage"].value is None


def test_a_period_counts_registers_at_its_end_and_events_within_it(ledger_world):
    w = ledger_world
    Volunteer.objects.create(campaign=w.campaign, unit=w.unit_a, name="新注册", registered_on=dt.date(2026, 11, 15), activity_count=1, hours=3)
    Meeting.objects.create(campaign=w.campaign, unit=w.unit_a, kind=MeetingKind.TRAINING, held_on=dt.date(2026, 5, 10), topic="志愿者培训", attendance=30)
    Meeting.objects.create(campaign=w.campaign, unit=w.unit_a, kind=MeetingKind.TRAINING, held_on=dt.date(2026, 10, 1), topic="创建知识培训", attendance=50)
    Meeting.objects.create(campaign=w.campaign, unit=w.unit_a, kind=MeetingKind.MEETING, held_on=dt.date(2026, 6, 1), topic="推进会", attendance=20)
    Family.objects.create(campaign=w.campaign, unit=w.unit_a, household="刘家", year=2026)
    Family.objects.create(campaign=w.campaign, unit=w.unit_a, household="王家", year=2027)
    figs = _by_key(selectors.summary_figures(w.campaign, w.unit_a, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 31)))
    assert figs["volunteers"].value == Decimal("7")  # the one registered on 11-15 not yet
    assert (figs["trainings"].value, figs["training_people"].value, figs["meetings"].value) == (Decimal("1"), Decimal("50"), Decimal("0"))
    assert figs["families"].value == Decimal("1")  # 2027's not yet
    everything = _by_key(selectors.summary_figures(w.campaign, w.unit_a))
    assert everything["volunteers"].value == Decimal("8")
    assert (everything["trainings"].value, everything["training_people"].value) == (Decimal("2"), Decimal("80"))


def test_another_campaigns_rows_do_not_count(ledger_world):
    w = ledger_world
    other = f.CampaignFactory(slug="weisheng-2026", name="国家卫生县城复审")
    Volunteer.objects.create(campaign=other, unit=w.unit_a, name="别处", activity_count=9, hours=99)
    assert _by_key(selectors.summary_figures(w.campaign, w.unit_a))["volunteers"].value == Decimal("7")


def test_the_statistics_table_reads_a_fixed_number_of_queries(ledger_world, django_assert_max_num_queries):
    w = ledger_world
    units = [w.unit_a, w.unit_b]
    with django_assert_max_num_queries(20):
        rows, rules = selectors.statistics(w.campaign, units, with_city=True)
    assert [r.label for r in rows] == ["全市合计", "城东街道", "口岸街道"]
    assert rows[1].figures["volunteers"].value == Decimal("7")
    assert rows[2].figures["volunteer_share"].value == Decimal("0.3")  # 3 ÷ 1000
