"""Export → import changes nothing, for every kind; the templates import as they are."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from campaign.models import PointType
from dataload import imports
from tasks.models import Task
from tests.import_workbooks import workbook_bytes


@pytest.fixture
def filled(world):
    world.leaf_ads.co_units.add(world.unit_a, world.unit_b)
    world.leaf_ads.lead_unit = world.dept
    world.leaf_ads.save()
    world.unit_b.short_name = "口岸"
    world.unit_b.save()
    world.point_a.longitude, world.point_a.latitude = Decimal("119.912345"), Decimal("32.456789")
    world.point_a.save()
    c = world.campaign
    t1 = Task.objects.create(campaign=c, code="1", title="主次干道保洁", indicator=world.leaf_clean, unit=world.unit_a,
                             deadline=dt.date(2026, 9, 30), deadline_text="2026年9月底", leader_name="张主任",
                             standard="每日两扫，全天保洁。", phase=world.phase_push)
    t1.co_units.add(world.community_a)
    Task.objects.create(campaign=c, code="2", title="公益广告", indicator=world.leaf_ads, unit=world.unit_b,
                        deadline=dt.date(2026, 10, 15), target_value=Decimal("20"), target_unit="%")
    Task.objects.create(campaign=c, title="环境卫生整治", special_action=world.action, unit=world.dept,
                        is_ongoing=True, deadline_text="长期坚持")
    Task.objects.create(campaign=c, title="农贸市场长效管理", indicator=world.leaf_market, unit=world.unit_b, is_ongoing=True)
    return world


@pytest.mark.parametrize("kind", ["indicators", "units", "points", "tasks"])
def test_an_export_imports_back_with_zero_changes(filled, kind):
    exported = workbook_bytes(imports.export_workbook(campaign=filled.campaign, kind=kind))
    preview = imports.import_preview(campaign=filled.campaign, kind=kind, data=exported)
    assert not preview.problems, preview.as_text()
    assert (preview.creates, preview.updates) == (0, 0), preview.as_text()
    assert preview.unchanged == preview.data_rows > 0
    imports.import_apply(campaign=filled.campaign, kind=kind, data=exported)
    again = workbook_bytes(imports.export_workbook(campaign=filled.campaign, kind=kind))
    assert load_workbook_rows(again) == load_workbook_rows(exported)


def load_workbook_rows(data: bytes) -> list[tuple]:
    from io import BytesIO

    return [tuple(r) for r in load_workbook(BytesIO(data)).active.iter_rows(values_only=True)]


def test_the_task_export_writes_the_indicator_names_and_the_deadline_as_written(filled):
    rows = load_workbook_rows(workbook_bytes(imports.export_workbook(campaign=filled.campaign, kind="tasks")))
    header = rows[0]
    first = dict(zip(header, rows[1]))
    assert first["测评项目"] == "公共环境" and first["测评内容"] == "市容市貌"
    assert first["测评标准"] == "主次干道路面干净，无积存垃圾、无乱堆乱放。"
    assert first["完成时限"] == "2026年9月底"
    assert first["指标编号"] == "1.1.1"
    assert dict(zip(header, rows[4]))["完成时限"] == "长期坚持"


@pytest.mark.parametrize("kind", ["indicators", "units", "points", "tasks"])
def test_each_template_has_headers_an_example_row_and_a_notes_sheet(kind):
    wb = imports.template_workbook(kind)
    assert wb.sheetnames == [imports.KINDS[kind].sheet_title, "说明"]
    rows = list(wb.active.iter_rows(values_only=True))
    assert list(rows[0]) == imports.KINDS[kind].spec.headers
    assert len(rows) == 2 and any(rows[1])
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    for column in imports.KINDS[kind].spec.columns:
        assert column.label in notes


def test_the_points_template_imports_as_a_valid_file(world):
    preview = imports.import_preview(
        campaign=world.campaign, kind="points", data=workbook_bytes(imports.template_workbook("points"))
    )
    assert not preview.errors and preview.updates == 1  # the example is the world's 人民路（城东段）
    assert not PointType.objects.filter(name="").exists()
