"""Lists take a bounded number of queries, the same at 10 and at 1,000 findings."""
from __future__ import annotations

import datetime as dt
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
