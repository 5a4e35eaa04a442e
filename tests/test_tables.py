"""Sortable tables (issue 17): campaign.sorting and the pages that use it.

The task statistics (任务统计), the findings list and the month ranking sort by whitelisted
columns only; an unknown key leaves the default order; header links keep the filters. Every
case uses data whose sorted order differs from the default one.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse

from campaign import sorting
from tasks.models import TaskStatus
from tests import factories as f

# --- the helper -------------------------------------------------------------------------------


def test_an_unknown_or_hostile_sort_falls_back_to_the_default():
    allowed = {"date": "found_on", "points": "points"}
    assert sorting.parse("-points", allowed, "-date") == sorting.Sort("points", True)
    for bad in ("", None, "name", "-pk", "points;drop", "--points"):
        assert sorting.parse(bad, allowed, "-date") == sorting.Sort("date", True)


def test_ordering_flips_the_tie_breaker_with_the_column():
    columns = {"date": "found_on", "unit": ("unit__path", "-found_on")}
    assert sorting.ordering(sorting.Sort("date", True), columns) == ["-found_on", "-pk"]
    assert sorting.ordering(sorting.Sort("unit"), columns) == ["unit__path", "-found_on", "pk"]


def test_rows_without_a_value_sort_last_either_way():
    rows = [{"n": "甲", "r": None}, {"n": "乙", "r": Decimal("50")}, {"n": "丙", "r": Decimal("10")}]
    keys = {"r": lambda row: row["r"]}
    assert [r["n"] for r in sorting.sort_rows(rows, sorting.Sort("r"), keys)] == ["丙", "乙", "甲"]
    assert [r["n"] for r in sorting.sort_rows(rows, sorting.Sort("r", True), keys)] == ["乙", "丙", "甲"]


def test_a_header_link_keeps_the_other_parameters_and_drops_its_page():
    columns = [sorting.Column("日期", "date", first="desc"), sorting.Column("扣分", "points", number=True), sorting.Column("问题")]
    query = QueryDict("status=open&q=垃圾&page=3&sort=-date")
    date, points, text = sorting.headers(columns, sorting.Sort("date", True), query)
    assert date.state == "desc" and date.aria == "descending"
    assert QueryDict(date.url[1:]).dict() == {"status": "open", "q": "垃圾", "sort": "date"}
    assert QueryDict(points.url[1:]).dict() == {"status": "open", "q": "垃圾", "sort": "points"}
    assert points.state == "" and points.aria == ""
    assert text.url == ""


# --- 任务统计 ----------------------------------------------------------------------------------

DASHBOARD = reverse("tasks-dashboard")


@pytest.fixture
def tasks_world(world):
    return make_tasks(world)


def make_tasks(w):
    """城东街道 1 task done (100%), 口岸街道 3 open and overdue (0%), 市城管局 2 tasks, 1 done (50%)."""
    past = dt.date(2026, 3, 31)  # before today: open tasks are overdue
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, deadline=past, status=TaskStatus.COMPLETED, completed_on=past)
    for _ in range(3):
        f.TaskFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_clean, deadline=past)
    f.TaskFactory(campaign=w.campaign, unit=w.dept, indicator=w.leaf_clean, deadline=past, status=TaskStatus.COMPLETED, completed_on=past)
    f.TaskFactory(campaign=w.campaign, unit=w.dept, indicator=w.leaf_clean, deadline=past)
    return w


def table(html: str, key: str) -> str:
    start = html.index(f'data-table="{key}"')
    return html[start:html.index("</table>", start)]


def unit_order(html: str) -> list[str]:
    body = table(html, "unit")
    names = ["城东街道", "口岸街道", "市城管局"]
    found = sorted((body.index(n), n) for n in names if n in body.split("</thead>")[1])
    return [n for _, n in found]


@pytest.mark.parametrize(("sort", "expected"), [
    ("", ["口岸街道", "市城管局", "城东街道"]),  # default: most overdue first
    ("name", ["口岸街道", "城东街道", "市城管局"]),  # by code point: 口 < 城 < 市
    ("-rate", ["城东街道", "市城管局", "口岸街道"]),  # 100%, 50%, 0%
    ("total", ["城东街道", "市城管局", "口岸街道"]),  # 1, 2, 3
    ("-name", ["市城管局", "城东街道", "口岸街道"]),
    ("bogus", ["口岸街道", "市城管局", "城东街道"]),  # unknown: default, no error
    ("-__class__", ["口岸街道", "市城管局", "城东街道"]),
])
def test_the_unit_table_of_the_task_statistics_sorts_by_its_columns(tasks_world, client_for, sort, expected):
    response = client_for(tasks_world.admin).get(DASHBOARD, {"unit_sort": sort} if sort else {})
    assert response.status_code == 200
    assert unit_order(response.content.decode()) == expected


def test_the_sorted_column_is_marked_and_its_link_flips_it(tasks_world, client_for):
    html = client_for(tasks_world.admin).get(DASHBOARD, {"unit_sort": "-rate", "q": "街道"}).content.decode()
    head = table(html, "unit").split("</thead>")[0]
    assert head.count('aria-sort="descending"') == 1
    link = unescape(re.search(r'aria-sort="descending"><a class="cw-sort" href="\?([^"#]*)', head).group(1))
    assert QueryDict(link).dict() == {"unit_sort": "rate", "q": "街道"}  # flipped, the filter kept


def test_the_task_statistics_filter_by_unit_name_and_by_group(tasks_world, client_for):
    client = client_for(tasks_world.admin)
    by_name = client.get(DASHBOARD, {"q": "口岸"}).content.decode()
    assert unit_order(by_name) == ["口岸街道"]
    by_group = client.get(DASHBOARD, {"group": tasks_world.group_dept.pk}).content.decode()
    assert unit_order(by_group) == ["市城管局"]
    unknown = client.get(DASHBOARD, {"group": "999999"}).content.decode()
    assert unit_order(unknown) == ["口岸街道", "市城管局", "城东街道"]


def test_the_overdue_list_sorts_its_rows_by_unit(tasks_world, client_for):
    client = client_for(tasks_world.admin)
    default = table(client.get(DASHBOARD).content.decode(), "overdue").split("</thead>")[1]
    by_unit = table(client.get(DASHBOARD, {"overdue_sort": "-unit"}).content.decode(), "overdue").split("</thead>")[1]
    paths = {tasks_world.unit_b.path: "口岸街道", tasks_world.dept.path: "市城管局"}
    expected = [paths[p] for p in sorted(paths, reverse=True)]
    order = sorted((by_unit.index(name), name) for name in expected)
    assert [n for _, n in order] == expected
    assert default.count("<tr>") == by_unit.count("<tr>") == 4  # the same rows, re-ordered


# --- the findings list -----------------------------------------------------------------------

FINDINGS = reverse("inspections-findings")


@pytest.fixture
def findings(world):
    w = world
    ins = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 10, 5))
    make = lambda unit, day, points: f.FindingFactory(
        campaign=w.campaign, inspection=ins, unit=unit, indicator=w.leaf_clean, point=w.point_a,
        found_on=dt.date(2026, 10, day), points=Decimal(points))
    w.f1 = make(w.unit_b, 5, "0.30")
    w.f2 = make(w.unit_a, 12, "2.00")
    w.f3 = make(w.unit_b, 20, "1.00")
    return w


def finding_order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-label="编号"><a href="[^"]*">#(\d+)</a>', html)]


def test_the_findings_list_sorts_by_date_points_and_unit(findings, client_for):
    w = findings
    client = client_for(w.admin)
    get = lambda **q: finding_order(client.get(FINDINGS, q).content.decode())
    assert get() == [w.f3.pk, w.f2.pk, w.f1.pk]  # newest first
    assert get(sort="date") == [w.f1.pk, w.f2.pk, w.f3.pk]
    assert get(sort="points") == [w.f1.pk, w.f3.pk, w.f2.pk]  # 0.30, 1.00, 2.00
    assert get(sort="-points") == [w.f2.pk, w.f3.pk, w.f1.pk]
    by_path = sorted([(w.unit_a.path, [w.f2.pk]), (w.unit_b.path, [w.f3.pk, w.f1.pk])])  # within a unit newest first
    assert get(sort="unit") == [pk for _, pks in by_path for pk in pks]
    assert get(sort="unit;delete") == [w.f3.pk, w.f2.pk, w.f1.pk]
    assert get(sort="description") == [w.f3.pk, w.f2.pk, w.f1.pk]  # not whitelisted


def test_the_findings_sort_keeps_the_filters(findings, client_for):
    w = findings
    client = client_for(w.admin)
    html = client.get(FINDINGS, {"unit": w.unit_b.pk, "sort": "points"}).content.decode()
    assert finding_order(html) == [w.f1.pk, w.f3.pk]
    link = unescape(re.search(r'<a class="cw-sort" href="\?([^"]*)" data-sort="date"', html).group(1))
    assert QueryDict(link).dict() == {"unit": str(w.unit_b.pk), "sort": "-date"}
    assert 'name="sort" value="points"' in html  # the filter form keeps the sort


# --- the month ranking -------------------------------------------------------------------------

RANKING = reverse("reports-month", args=["2026-10"])


@pytest.fixture
def october(world):
    cache.clear()
    yield make_october(world)
    cache.clear()


def make_october(w):
    """乡镇街道组: 城东街道 loses 0.50 (rank 1), 口岸街道 loses 1.00 (rank 2)."""
    ins = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 10, 12))
    f.FindingFactory(campaign=w.campaign, inspection=ins, unit=w.unit_a, indicator=w.leaf_clean, point=w.point_a,
                     points=Decimal("0.50"), found_on=dt.date(2026, 10, 12), month=dt.date(2026, 10, 1))
    f.FindingFactory(campaign=w.campaign, inspection=ins, unit=w.unit_b, indicator=w.leaf_clean, point=w.point_b,
                     points=Decimal("1.00"), found_on=dt.date(2026, 10, 12), month=dt.date(2026, 10, 1))
    return w


def ranked(html: str) -> list[tuple[str, str]]:
    """(rank, unit name) of the 乡镇街道组 rows, in page order."""
    rows = re.findall(r'<tr><td class="fw-bold">(\d+)</td><td>(?:<a [^>]*>)?([^<]+)', html)
    return [(rank, name) for rank, name in rows if name in ("城东街道", "口岸街道")]


@pytest.mark.parametrize(("sort", "expected"), [
    ("", [("1", "城东街道"), ("2", "口岸街道")]),
    ("name", [("2", "口岸街道"), ("1", "城东街道")]),  # re-ordered, never re-ranked
    ("score", [("2", "口岸街道"), ("1", "城东街道")]),
    ("-score", [("1", "城东街道"), ("2", "口岸街道")]),
    ("-rank", [("2", "口岸街道"), ("1", "城东街道")]),
    ("nonsense", [("1", "城东街道"), ("2", "口岸街道")]),
])
def test_the_ranking_sorts_within_the_page_and_keeps_the_ranks(october, client_for, sort, expected):
    response = client_for(october.admin).get(RANKING, {"sort": sort} if sort else {})
    assert response.status_code == 200
    assert ranked(response.content.decode()) == expected


def test_the_ranking_header_keeps_the_view(october, client_for):
    html = client_for(october.admin).get(RANKING, {"view": "overall", "sort": "-score"}).content.decode()
    link = unescape(re.search(r'<a class="cw-sort" href="\?([^"]*)" data-sort="name"', html).group(1))
    assert QueryDict(link).dict() == {"view": "overall", "sort": "name"}
    assert 'aria-sort="descending"><a class="cw-sort" href="?view=overall&amp;sort=score" data-sort="score"' in html
