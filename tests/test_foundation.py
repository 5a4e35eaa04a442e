"""The foundation: the tree, constraints that hold without forms, access, the shell."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from campaign import access
from campaign.models import Unit
from inspections.models import Finding
from tests import factories as f


def test_unit_paths_follow_the_tree(world):
    assert world.community_a.path.startswith(world.unit_a.path)
    assert set(world.unit_a.descendants_and_self()) == {world.unit_a, world.community_a}


def test_moving_a_unit_moves_its_subtree(world):
    world.unit_a.parent = world.district_west
    world.unit_a.save()
    world.community_a.refresh_from_db()
    assert world.community_a.path.startswith(world.district_west.path)


def test_database_refuses_a_finding_with_negative_points(world):
    # 0 is allowed since 随手拍 reports filed without a deduction (inspections/0004); below 0 never is.
    with pytest.raises(IntegrityError), transaction.atomic():
        f.FindingFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean, points=Decimal("-0.10"))


def test_database_refuses_duplicate_indicator_codes(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.IndicatorFactory(campaign=world.campaign, code="1.1.1")


def test_thirty_deductions_of_a_tenth_make_exactly_three(world):
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    for _ in range(30):
        f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a,
                         indicator=world.leaf_clean, points=Decimal("0.1"))
    total = Finding.objects.filter(unit=world.unit_a).aggregate(s=Sum("points"))["s"]
    assert total == Decimal("3.00")
    assert sum(Finding.objects.values_list("points", flat=True)) == Decimal("3.00")


def test_an_official_sees_own_unit_and_below_only(world):
    visible = set(access.visible_units(world.official_a))
    assert visible == {world.unit_a, world.community_a}


def test_office_roles_see_every_unit(world):
    for user in (world.admin, world.inspector, world.leader):
        assert access.visible_units(user).count() == Unit.objects.count()


def test_leader_may_not_write(world):
    assert not access.can(world.leader, "tasks.accept")
    assert not access.can(world.leader, "inspections.record")
    assert access.can(world.inspector, "inspections.record")


def test_official_may_report_for_own_unit_only(world):
    task_a = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean)
    task_b = f.TaskFactory(campaign=world.campaign, unit=world.unit_b, indicator=world.leaf_clean)
    assert access.can(world.official_a, "tasks.report_progress", task_a)
    assert not access.can(world.official_a, "tasks.report_progress", task_b)


@pytest.mark.parametrize("who", ["admin", "inspector", "leader", "official_a"])
def test_each_role_reaches_its_home(world, client_for, who):
    response = client_for(getattr(world, who)).get(reverse("home"))
    assert response.status_code == 200
    assert world.campaign.name in response.content.decode()


def test_home_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
