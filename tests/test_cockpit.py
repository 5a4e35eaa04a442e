"""领导驾驶舱 (reports/cockpit.py): figures by hand, links to the lists behind them, who sees it, and a
query count that does not grow with the number of units."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import UnitType
from inspections.models import FindingStatus, SupervisionOrder
from reports.cockpit import cockpit
from reports.services import period_publish
from tasks.models import TaskStatus
from tests import factories as f

OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 20)


def _finding(w, unit, point, day, *, points="0.30", deadline=None, indicator=None):
    inspection = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=day)
    return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit, point=point, points=Decimal(points),
                            indicator=indicator or w.leaf_clean, rectify_deadline=deadline or dt.date(2026, 12, 31))


@pytest.fixture
def city(world):
    return build_city(world)


def build_city(world):
    """October (published): 城东街道 2 × 0.30, 口岸街道 1 × 0.30 → 99.40, 99.70, 市城管局 100.
    November (open): 城东街道 1 × 0.30 (deadline 11-12, overdue on 11-20), 口岸街道 2 × 0.50
    → 99.70 (+0.30), 99.00 (−0.70), 100.00 (0)."""
    w = world
    w.point_a.latitude, w.point_a.longitude = Decimal("26.790000"), Decimal("114.900000")
    w.point_a.save()
    for unit, point in ((w.unit_a, w.point_a), (w.unit_a, w.point_a), (w.unit_b, w.point_b)):
        _finding(w, unit, point, dt.date(2026, 10, 12))
    w.late = _finding(w, w.unit_a, w.point_a, dt.date(2026, 11, 5), deadline=dt.date(2026, 11, 12))
    w.nov_b = [_finding(w, w.unit_b, w.point_b, dt.date(2026, 11, 10), points="0.50") for _ in range(2)]
    period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 3))
    # Tasks: September ones overdue (城东街道, 迎春社区 below it, 口岸街道), one done on time.
    for unit in (w.unit_a, w.community_a, w.unit_b):
        f.TaskFactory(campaign=w.campaign, unit=unit, indicator=w.leaf_clean, deadline=dt.date(2026, 9, 10))
    f.TaskFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_clean, deadline=dt.date(2026, 9, 10),
                  status=TaskStatus.COMPLETED, completed_on=dt.date(2026, 9, 9))
    # The current phase (10-01 … 12-31): 3 tasks, 1 done, 1 overdue (迎春社区's, which is not scored).
    w.phase_late = f.PhaseFactory(campaign=w.campaign, name="巩固迎检阶段", start_date=dt.date(2026, 10, 1),
                                  end_date=dt.date(2026, 12, 31), order=3)
    f.TaskFactory(campaign=w.campaign, unit=w.dept, indicator=w.leaf_clean, phase=w.phase_late, deadline=dt.date(2026, 12, 10))
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, phase=w.phase_late, deadline=dt.date(2026, 10, 20),
                  status=TaskStatus.COMPLETED, completed_on=dt.date(2026, 10, 18))
    f.TaskFactory(campaign=w.campaign, unit=w.community_a, indicator=w.leaf_clean, phase=w.phase_late,
                  deadline=dt.date(2026, 11, 15))
    # Orders: one overdue (the late finding), one still within its deadline.
    for number, unit, findings in ((1, w.unit_a, [w.late]), (2, w.unit_b, w.nov_b)):
        order = SupervisionOrder.objects.create(campaign=w.campaign, year=2026, number=number, unit=unit,
                                                deadline=findings[0].rectify_deadline, issued_by=w.inspector)
        order.findings.set(findings)
    return w


def test_scores_per_group_with_change_against_last_month(city):
    c = cockpit(campaign=city.campaign, today=TODAY)
    assert c.month == NOV and not c.is_published
    street, dept = c.groups
    assert (street.name, street.units, street.average, street.previous_average, street.change) == (
        "乡镇街道组", 2, Decimal("99.35"), Decimal("99.55"), Decimal("-0.20"))
    assert [(u.unit_name, u.rank, u.score, u.change) for u in street.top + street.bottom] == [
        ("城东街道", 1, Decimal("99.70"), Decimal("0.30")), ("口岸街道", 2, Decimal("99.00"), Decimal("-0.70"))]
    assert (dept.name, dept.average, dept.change) == ("市直部门组", Decimal("100.00"), Decimal("0.00"))


def test_the_trend_reads_the_published_month_and_the_live_one(city):
    c = cockpit(campaign=city.campaign, today=TODAY)
    street = dict(c.trend)["乡镇街道组"]
    by_month = {p.month: p for p in street}
    assert [p.month for p in street][-2:] == [OCT, NOV]
    assert (by_month[OCT].score, by_month[OCT].published) == (Decimal("99.55"), True)
    assert (by_month[NOV].score, by_month[NOV].published) == (Decimal("99.35"), False)
    # September: both streets lose 1 point for their overdue task (the campaign's default).
    assert by_month[dt.date(2026, 9, 1)].score == Decimal("99.00")


def test_the_units_most_behind_link_to_the_filtered_lists(city):
    w = city
    c = cockpit(campaign=w.campaign, today=TODAY)
    assert c.overdue_tasks == 4  # three September tasks and 迎春社区's November one
    assert [(r.unit_name, r.value) for r in c.behind_tasks] == [("城东街道", 3), ("口岸街道", 1)]  # 迎春社区 counts for 城东街道
    assert c.behind_tasks[0].url == f"{reverse('tasks-list')}?unit={w.unit_a.pk}&flag=overdue"
    assert c.overdue_findings == 1
    assert [(r.unit_name, r.value, r.url) for r in c.behind_findings] == [
        ("城东街道", 1, f"{reverse('inspections-findings')}?unit={w.unit_a.pk}&overdue=1")]
    assert [(r.unit_name, r.value) for r in c.behind_falling] == [("口岸街道", Decimal("-0.70"))]
    assert c.behind_falling[0].url == reverse("reports-unit-month", args=["2026-11", w.unit_b.pk])
    assert (c.open_orders, c.overdue_orders) == (2, 1)


def test_the_phase_progress_counts_its_tasks_and_time(city):
    p = cockpit(campaign=city.campaign, today=TODAY).phase
    assert (p.phase.name, p.tasks, p.done, p.overdue) == ("巩固迎检阶段", 3, 1, 1)
    assert p.time_percent == 55  # 51 of 92 days
    assert p.done_percent == 33


def test_the_map_colours_points_by_open_problems_and_names_those_without_position(city):
    c = cockpit(campaign=city.campaign, today=TODAY)
    by_name = {p.name: p for p in c.points}
    # 人民路（城东段）: 2 October findings and the late one are open; 口岸农贸市场: 1 + 2.
    assert (by_name["人民路（城东段）"].open_findings, by_name["人民路（城东段）"].level) == (3, "many")
    assert [p.name for p in c.located] == ["人民路（城东段）"]
    assert [p.name for p in c.unlocated] == ["口岸农贸市场"]
    payload = c.map_payload()
    assert payload["points"][0]["lat"] == 26.79 and payload["points"][0]["url"].endswith(f"?point={city.point_a.pk}")


def test_a_closed_finding_no_longer_colours_its_point(city):
    city.late.status = FindingStatus.ACCEPTED
    city.late.save()
    by_name = {p.name: p for p in cockpit(campaign=city.campaign, today=TODAY).points}
    assert (by_name["人民路（城东段）"].open_findings, by_name["人民路（城东段）"].level) == (2, "some")


def test_leaders_and_admins_start_on_the_cockpit_others_keep_their_home(city, client_for):
    for user in (city.leader, city.admin):
        page = client_for(user).get(reverse("home"))
        assert page.status_code == 200
        assert "<h1" in page.content.decode() and 'data-testid="cockpit-map"' in page.content.decode()
    work = client_for(city.admin).get(reverse("home") + "?view=work").content.decode()
    assert 'data-testid="cockpit-map"' not in work and 'data-testid="task-total"' in work
    for user in (city.inspector, city.official_a):
        assert "cockpit-map" not in client_for(user).get(reverse("home")).content.decode()


@pytest.mark.parametrize("who", ["official_a", "inspector", "nobody"])
def test_others_get_404_on_the_cockpit(city, client_for, who):
    assert client_for(getattr(city, who)).get(reverse("reports-cockpit")).status_code == 404


def test_every_figure_on_the_page_is_a_link_to_its_list(city, client_for):
    html = client_for(city.leader).get(reverse("reports-cockpit")).content.decode()
    tasks, findings, orders = reverse("tasks-list"), reverse("inspections-findings"), reverse("inspections-orders")
    for href in (f"{tasks}?flag=overdue", f"{findings}?overdue=1", f"{orders}?state=open", f"{orders}?state=overdue",
                 f"{tasks}?phase={city.phase_late.pk}&amp;flag=overdue", f"{tasks}?unit={city.unit_a.pk}&amp;flag=overdue",
                 f"{findings}?unit={city.unit_a.pk}&amp;overdue=1", reverse("reports-month", args=["2026-11"]),
                 reverse("reports-unit-month", args=["2026-11", city.unit_b.pk]), f"{findings}?point={city.point_b.pk}"):
        assert f'href="{href}"' in html, href
    assert "口岸农贸市场" in html  # named among the points without a position
    assert "<script>" not in html.replace('<script src=', '')  # CSP: data travels as json_script only


def test_the_overdue_orders_filter_lists_exactly_the_overdue_ones(city, client_for):
    html = client_for(city.leader).get(reverse("inspections-orders") + "?state=overdue").content.decode()
    assert "督办〔2026〕1号" in html and "督办〔2026〕2号" not in html
    html = client_for(city.leader).get(reverse("inspections-orders") + "?state=open").content.decode()
    assert "督办〔2026〕1号" in html and "督办〔2026〕2号" in html


def _more_units(w, n: int, first: int = 0) -> None:
    """``n`` more streets, each with a point (with position), a November finding and an overdue task."""
    for i in range(first, first + n):
        unit = f.UnitFactory(name=f"新增街道{i:03d}", unit_type=UnitType.STREET, parent=w.district_east, ranking_group=w.group_street)
        point = f.PointFactory(name=f"新增点位{i:03d}", point_type=w.pt_road, unit=unit,
                               latitude=Decimal("26.78") + Decimal(i) / 1000, longitude=Decimal("114.90"))
        _finding(w, unit, point, dt.date(2026, 11, 6), deadline=dt.date(2026, 11, 13))
        f.TaskFactory(campaign=w.campaign, unit=unit, indicator=w.leaf_clean, deadline=dt.date(2026, 9, 10))


def test_the_query_count_does_not_grow_with_the_number_of_units(city, django_assert_max_num_queries):
    _more_units(city, 3)
    with CaptureQueriesContext(connection) as small:
        cockpit(campaign=city.campaign, today=TODAY)
    _more_units(city, 40, first=3)
    with django_assert_max_num_queries(len(small)):
        c = cockpit(campaign=city.campaign, today=TODAY)
    assert c.groups[0].units == 45 and c.overdue_findings == 44


def test_with_a_tile_server_the_map_gets_it_and_the_page_drops_the_plain_background_note(city, client_for, settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"
    assert cockpit(campaign=city.campaign, today=TODAY).map_payload()["tileUrl"] == settings.MAP_TILE_URL
    html = client_for(city.leader).get(reverse("reports-cockpit")).content.decode()
    assert "地图暂无底图" not in html and "MAP_TILE_URL" not in html and "tiles.example.gov.cn" in html
    settings.MAP_TILE_URL = ""
    assert "地图暂无底图" in client_for(city.leader).get(reverse("reports-cockpit")).content.decode()


def test_without_tiles_leaders_read_a_plain_sentence_and_only_admins_the_setting_name(city, client_for, settings):
    settings.MAP_TILE_URL = ""
    for user, url in ((city.leader, reverse("reports-cockpit")), (city.leader, reverse("home")),
                      (city.admin, reverse("reports-cockpit")), (city.admin, reverse("home"))):
        html = client_for(user).get(url).content.decode()
        note = html[html.index('data-testid="cockpit-map-plain"'):]
        note = note[:note.index("</div>")]
        assert "地图暂无底图，各点位按经纬度显示在空白背景上。" in note, (user, url)
        if user == city.admin:
            assert "MAP_TILE_URL" in note
        else:
            assert "MAP_TILE_URL" not in html and "未配置" not in html
