"""Lists take a bounded number of queries, the same at 10 and at 1,000 findings."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from inspections.models import Finding, FindingPhoto, SupervisionOrder
from tests.inspections_support import inspection

# Session, user, memberships, notifications, campaign, count, page, filters' choices …
MAX_QUERIES = 20


def _many(world, n: int) -> None:
    insp = inspection(world)
    points = [world.point_a, world.point_b]
    units = [world.unit_a, world.unit_b]
    Finding.objects.bulk_create([
        Finding(
            campaign=world.campaign, inspection=insp, unit=units[i % 2], point=points[i % 2], indicator=world.leaf_clean,
            description=f"问题{i}", points=Decimal("0.01"), found_on=insp.date, month=dt.date(2026, 10, 1),
            rectify_deadline=dt.date(2026, 10, 19), created_by=world.inspector,
        )
        for i in range(n)
    ])
    findings = list(Finding.objects.all()[:50])
    FindingPhoto.objects.bulk_create([
        FindingPhoto(finding=f, file="findings/x.png", original_name="x.png", content_type="image/png", size=1, sha256="0" * 64)
        for f in findings
    ])
    order = SupervisionOrder.objects.create(campaign=world.campaign, year=2026, number=1, unit=world.unit_a,
                                            deadline=dt.date(2026, 10, 30), issued_by=world.inspector)
    order.findings.set(Finding.objects.filter(unit=world.unit_a)[:20])


URLS = [
    "/inspections/findings/",
    "/inspections/findings/?status=open&month=2026-10",
    "/inspections/findings/export.xlsx",
    "/inspections/rectifications/",
    "/inspections/orders/",
    "/inspections/",
]


@pytest.mark.parametrize("n", [10, 1000])
@pytest.mark.parametrize("url", URLS)
def test_lists_take_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries, n, url):
    _many(world, n)
    client = client_for(world.inspector)
    client.get("/")  # warm the session
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_the_point_history_and_order_detail_are_bounded(world, client_for, django_assert_max_num_queries, n):
    _many(world, n)
    client = client_for(world.official_a)
    order = SupervisionOrder.objects.get()
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/inspections/points/{world.point_a.pk}/").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/inspections/orders/{order.pk}/").status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_the_inspectors_home_is_bounded(world, client_for, django_assert_max_num_queries, n):
    # The home page also counts tasks, findings and orders for every role; the inspector's part adds 5 queries.
    _many(world, n)
    client = client_for(world.inspector)
    client.get("/")
    with django_assert_max_num_queries(30):
        html = client.get("/").content.decode()
    assert "人民路（城东段）" in html  # a recent point


# ---------------------------------------------------------------- pages that stay small (issue 14)


def _finding(world, insp, i: int, **extra) -> Finding:
    return Finding(
        campaign=world.campaign, inspection=insp, unit=world.unit_a, point=world.point_a, indicator=world.leaf_clean,
        description=f"问题{i}", points=Decimal("0.01"), found_on=insp.date, month=dt.date(2026, 10, 1),
        rectify_deadline=dt.date(2026, 10, 19), created_by=world.inspector, **extra,
    )


def test_the_inspection_list_counts_the_findings_of_the_shown_inspections_without_joining_them(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    three = inspection(world, date=dt.date(2026, 10, 14), title="甲检查")
    inspection(world, date=dt.date(2026, 10, 13), title="乙检查")
    two = inspection(world, date=dt.date(2026, 10, 12), title="丙检查")
    Finding.objects.bulk_create([
        _finding(world, three, 1), _finding(world, three, 2),
        _finding(world, three, 3, status="withdrawn", withdrawn_reason="重复登记"),  # still a finding of the inspection
        _finding(world, two, 4), _finding(world, two, 5),
    ])
    client = client_for(world.admin)
    client.get("/inspections/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/inspections/").content.decode()
    counts = dict(re.findall(r"<strong>(.检查)</strong>.*?问题 (\d+) 个", html, flags=re.S))
    assert counts == {"甲检查": "3", "乙检查": "0", "丙检查": "2"}  # 乙 has no finding at all
    # Counted per shown row in a subquery, not by joining every finding of the campaign and grouping.
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "inspections_inspection"' in q["sql"]]
    assert listing and not any('JOIN "inspections_finding"' in sql for sql in listing)


def test_the_open_rectification_queries_can_use_the_partial_indexes(world):
    from django.db import connection

    from inspections import selectors

    if connection.vendor != "postgresql":
        pytest.skip("partial indexes are checked on PostgreSQL")
    groups = selectors.open_rectifications(world.admin, world.campaign, dt.date(2026, 11, 30))
    expected = {"awaiting_unit": "finding_awaiting_unit_idx", "overdue": "finding_awaiting_unit_idx", "awaiting_review": "finding_submitted_idx"}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for name, index in expected.items():
            for qs in (groups[name].order_by("rectify_deadline", "pk")[:50], groups[name].order_by().values("pk")):
                sql, params = qs.query.sql_with_params()
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert index in plan, (name, plan)


@pytest.mark.parametrize("url", ["/inspections/rectifications/", "/inspections/"])
def test_the_lists_stay_under_300_kb_with_many_findings(world, client_for, url):
    _many(world, 1000)
    for i in range(60):
        inspection(world, date=dt.date(2026, 10, 1) + dt.timedelta(days=i % 28), title=f"第{i}次检查")
    response = client_for(world.admin).get(url)
    assert response.status_code == 200 and len(response.content) < 300 * 1024
    html = response.content.decode()
    assert html.count("<tr") <= 3 * 51 and html.count("list-group-item-action") <= 50


def _pending_rounds(world, submitted_days: list[dt.date]) -> list[Finding]:
    """One finding of 城东街道 per day given, each with a pending round submitted at 07:30 Beijing time that day
    (23:30 UTC the day before: the waiting is counted from the local day, not the UTC one)."""
    from django.utils import timezone

    from inspections.models import Rectification

    insp = inspection(world)
    findings = Finding.objects.bulk_create([_finding(world, insp, i, status="submitted") for i in range(len(submitted_days))])
    Rectification.objects.bulk_create([
        Rectification(
            finding=f, round=1, description="已整改", submitted_by=world.official_a,
            submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30))),
        )
        for f, day in zip(findings, submitted_days)
    ])
    return findings


def test_the_review_backlog_lists_the_longest_waiting_and_totals_every_round(world):
    from inspections import selectors

    calendar = __import__("campaign.workdays").workdays.WorkCalendar({})
    # 14 rounds: three submitted Fri 11-06, eleven on Wed 11-11; today Wed 11-18 (no holiday in between).
    # Fri 11-06 → Wed 11-18: Mon 9 … Fri 13, Mon 16 … Wed 18 = 8 working days; Wed 11-11 → 11-18: Thu 12, Fri 13,
    # Mon 16, Tue 17, Wed 18 = 5. Total 3 × 8 + 11 × 5 = 79 over 14 rounds = 5.64… → 5.6.
    days = [dt.date(2026, 11, 6)] * 3 + [dt.date(2026, 11, 11)] * 11
    findings = _pending_rounds(world, days)
    backlog = selectors.review_backlog(world.admin, world.campaign, dt.date(2026, 11, 18), calendar)
    assert (backlog.count, backlog.max_days, backlog.total_days, backlog.average_days) == (14, 8, 79, Decimal("5.6"))
    assert len(backlog.rows) == selectors.BACKLOG_ROWS == 10
    assert [(r.finding_id, d) for r, d in backlog.rows[:4]] == [(f.pk, 8) for f in findings[:3]] + [(findings[3].pk, 5)]
    # Nothing pending: no average, nothing listed.
    empty = selectors.review_backlog(world.official_b, world.campaign, dt.date(2026, 11, 18), calendar)
    assert (empty.count, empty.max_days, empty.average_days, empty.rows) == (0, 0, None, [])


@pytest.mark.parametrize("n", [3, 300])
def test_the_rectification_page_reads_the_backlog_in_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries, n):
    _pending_rounds(world, [dt.date(2026, 10, 1) + dt.timedelta(days=i % 20) for i in range(n)])
    client = client_for(world.admin)
    client.get("/")
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get("/inspections/rectifications/").content.decode()
    assert f"督查员验收积压：<strong>{n}</strong>" in html
