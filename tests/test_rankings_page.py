"""The rankings page of a big city (issue 14): 100 rows a page, figures kept without their rows.

253 ranked units: 城东街道, 口岸街道 and 250 units 压测单位000–249 in 乡镇街道组, 市城管局 alone in
市直部门组. In October 压测单位007 has one finding of 2.00 on 1.1.1 (its cap), 口岸街道 one of 0.50
on 1.2.1; everyone else keeps 100. So overall 压测单位007 (98.00) ranks 253rd, 口岸街道 (99.50) 252nd.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from campaign.models import Unit, UnitType
from reports import score_cache
from reports.data import page_data, report_data, summary_figures, without_rows
from reports.selectors import month_holds_data, months_with_data
from tests import factories as f

OCT = dt.date(2026, 10, 1)
URL = reverse("reports-month", args=["2026-10"])


@pytest.fixture
def city(world, settings):
    w = world
    units = Unit.objects.bulk_create([
        Unit(name=f"压测单位{k:03d}", parent=w.city, unit_type=UnitType.STREET, ranking_group=w.group_street, order=k,
             path="", depth=1)
        for k in range(250)
    ])
    for unit in units:
        unit.path = f"{w.city.path}{unit.pk}/"
    Unit.objects.bulk_update(units, ["path"])
    w.u007 = units[7]
    inspection = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 10, 12))
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.u007, indicator=w.leaf_clean, point=w.point_a,
                     points=Decimal("2.00"), found_on=dt.date(2026, 10, 12), month=OCT)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, point=w.point_b,
                     points=Decimal("0.50"), found_on=dt.date(2026, 10, 12), month=OCT)
    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    score_cache._owed = False
    yield w
    cache.clear()


def rows_of(html: str) -> list[str]:
    """The ranking tables' body rows."""
    return re.findall(r"<tr><td class=\"fw-bold\">.*?</tr>", html)


def test_the_overall_ranking_shows_100_units_a_page_and_stays_small(city, client_for):
    client = client_for(city.admin)
    first = client.get(URL + "?view=overall")
    last = client.get(URL + "?view=overall&page=3")
    assert len(first.content) < 300 * 1024
    assert len(rows_of(first.content.decode())) == 100
    last_rows = rows_of(last.content.decode())
    assert len(last_rows) == 53
    assert "第 3 / 3 页（共 253 条）" in last.content.decode()
    # The lowest scores are on the last page, ranked 252nd and 253rd of all.
    assert "口岸街道" in last_rows[-2] and ">252<" in last_rows[-2]
    assert "压测单位007" in last_rows[-1] and ">253<" in last_rows[-1] and "98.00" in last_rows[-1]
    assert "压测单位007" not in first.content.decode()


def test_the_ranking_by_group_runs_its_groups_over_the_pages(city, client_for):
    client = client_for(city.admin)
    first = client.get(URL).content.decode()
    last = client.get(URL + "?page=3").content.decode()
    assert len(rows_of(first)) == 100 and "乡镇街道组 <span class=\"text-muted fw-normal small\">（252个单位）" in first
    assert "市直部门组" not in first
    assert len(rows_of(last)) == 53
    # The street group's last 52 rows, then the department group's one row.
    assert last.index("乡镇街道组") < last.index("市直部门组")
    assert "市城管局" in rows_of(last)[-1] and "压测单位007" in rows_of(last)[-2]


def test_the_page_shows_the_same_figures_as_the_report_and_a_write_retires_them(city, client_for, django_capture_on_commit_callbacks):
    full = report_data(campaign=city.campaign, month=OCT)
    kept = page_data(campaign=city.campaign, month=OCT)
    assert summary_figures(kept) == summary_figures(full)
    assert kept.top_indicators == full.top_indicators and kept.top_points == full.top_points
    assert [(u.unit_id, u.score, u.rank, u.overall_rank) for u in kept.units] == \
        [(u.unit_id, u.score, u.rank, u.overall_rank) for u in full.units]
    assert all(not u.lines for u in kept.units) and kept.findings == [] and kept.rectification_count == 2
    assert dict(summary_figures(kept))["发现问题（个）"] == "2"
    # A third finding (a write) retires the kept figures: the next load counts it.
    with django_capture_on_commit_callbacks(execute=True):
        f.FindingFactory(campaign=city.campaign, inspection=f.InspectionFactory(campaign=city.campaign, created_by=city.inspector),
                         unit=city.unit_a, indicator=city.leaf_clean, points=Decimal("0.30"), found_on=dt.date(2026, 10, 20), month=OCT)
    again = page_data(campaign=city.campaign, month=OCT)
    assert dict(summary_figures(again))["发现问题（个）"] == "3" and again.rectification_count == 3


def test_the_copy_without_rows_keeps_each_group_and_unit(city):
    full = report_data(campaign=city.campaign, month=OCT)
    light = without_rows(full)
    assert [(name, [u.unit_id for u in members]) for name, members in light.groups] == \
        [(name, [u.unit_id for u in members]) for name, members in full.groups]
    assert full.units[0].lines or any(u.lines for u in full.units)  # the original keeps its lines


def test_whether_a_month_holds_data_agrees_with_the_months_list(city):
    with_data = months_with_data(campaign=city.campaign)
    assert OCT in with_data
    for month in city.campaign.months():
        assert month_holds_data(campaign=city.campaign, month=month) == (month in with_data)
