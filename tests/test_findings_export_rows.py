"""The findings export reads tuples (issue 14 item 2): same cells as the model-instance rows, no instances."""
from __future__ import annotations

import io
from unittest import mock

import pytest
from openpyxl import load_workbook

from inspections import renderers, selectors, services
from inspections.models import Finding
from tests.inspections_support import inspection


@pytest.fixture
def findings(world):
    world.inspector.first_name, world.inspector.last_name = "李", "督查"
    world.inspector.save()
    first = services.finding_create(
        inspector=world.inspector, inspection=inspection(world), point=world.point_a, indicator=world.leaf_clean,
        description="人民路两侧垃圾未及时清运",
    )
    second = services.finding_create(
        inspector=world.inspector, inspection=inspection(world, title="10月暗访"), point=world.point_b,
        indicator=world.leaf_market, description="=HYPERLINK(\"http://evil\") 占道经营",
    )
    services.finding_withdraw(actor=world.inspector, finding=second, reason="系重复录入")
    return [first, second]


def test_tuple_rows_equal_the_model_instance_rows(world, findings):
    qs = selectors.findings_for(world.inspector, world.campaign)
    expected = list(renderers.finding_rows(qs))
    got = list(renderers.finding_export_rows(qs, chunk_size=1))
    assert got == expected
    assert len(got) == 2
    by_description = {row[8]: row for row in got}
    withdrawn = by_description["=HYPERLINK(\"http://evil\") 占道经营"]
    assert withdrawn[12] == "已撤销" and withdrawn[14] == "系重复录入"
    assert withdrawn[13] == "李 督查"  # first and last name, as get_full_name()
    assert withdrawn[2] == "2026-10"


def test_inspector_without_a_name_shows_the_username(world, findings):
    world.inspector.first_name = world.inspector.last_name = ""
    world.inspector.save()
    rows = list(renderers.finding_export_rows(selectors.findings_for(world.inspector, world.campaign)))
    assert {row[13] for row in rows} == {world.inspector.username}


def test_the_export_builds_no_finding_instances(world, client_for, findings):
    with mock.patch.object(Finding, "from_db", side_effect=AssertionError("model instance built per row")):
        response = client_for(world.inspector).get("/inspections/findings/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True))
    assert sorted(r[8] for r in rows[1:]) == sorted(["人民路两侧垃圾未及时清运", "'=HYPERLINK(\"http://evil\") 占道经营"])
