"""Importing the unit list and the 点位 list."""
from __future__ import annotations

from decimal import Decimal

import pytest

from campaign.models import InspectionPoint, PointType, RankingGroup, Unit
from dataload import imports
from tests.import_workbooks import xlsx

UNIT_HEADER = ["单位名称", "简称", "上级单位", "单位类型", "考核组别"]
POINT_HEADER = ["点位名称", "点位类型", "地址", "包保单位", "经度", "纬度"]


def test_new_units_are_created_below_parents_from_the_file_or_the_system(world):
    data = xlsx([
        UNIT_HEADER,
        ["新明社区", None, "口岸街道办事处", "社区", "社区组"],  # parent: existing unit, suffix ignored
        ["永安社区", None, "高港街道", "社区", "社区组"],  # parent: a later row of this file
        ["高港街道", "高港", "城西区", "街道", "乡镇街道组"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert not preview.errors, preview.as_text()
    assert "将新建考核组别“社区组”。" in [p.message for p in preview.warnings]
    imports.import_apply(campaign=world.campaign, kind="units", data=data)
    gaogang = Unit.objects.get(name="高港街道")
    assert gaogang.parent == world.district_west and gaogang.short_name == "高港"
    yongan = Unit.objects.get(name="永安社区")
    assert yongan.parent == gaogang
    assert yongan.path == f"{gaogang.path}{yongan.pk}/"
    assert Unit.objects.get(name="新明社区").parent == world.unit_b
    assert yongan.ranking_group == RankingGroup.objects.get(name="社区组")


def test_an_unknown_parent_or_type_is_an_error_and_nothing_is_written(world):
    data = xlsx([UNIT_HEADER, ["新明社区", None, "海陵区", "社区", None], ["永安社区", None, "城东街道", "小区", None]])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert [(p.row, p.column) for p in preview.errors] == [(3, "D（单位类型）"), (2, "C（上级单位）")]
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="units", data=data)
    assert not Unit.objects.filter(name__in=["新明社区", "永安社区"]).exists()


def test_a_parent_cycle_is_an_error(world):
    data = xlsx([UNIT_HEADER, ["城东区", None, "城东街道", "区/县", None]])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert any("循环" in p.message for p in preview.errors)


def test_units_update_by_name_and_say_what_changed(world):
    data = xlsx([UNIT_HEADER, ["口岸街道", "口岸", "城东区", "街道", "乡镇街道组"]])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert [c.changes for c in preview.changes] == [["简称：（空） → 口岸", "上级单位：城西区 → 城东区"]]
    imports.import_apply(campaign=world.campaign, kind="units", data=data)
    world.unit_b.refresh_from_db()
    assert world.unit_b.parent == world.district_east
    assert world.unit_b.path.startswith(world.district_east.path)


def test_points_are_created_and_updated_by_name_with_their_unit_and_coordinates(world):
    data = xlsx([
        POINT_HEADER,
        ["人民路（城东段）", "主次干道", "人民路1-200号", "城东街道", 119.912345, 32.456789],
        ["迎春社区居民小区", "居民小区", "迎春路8号", "迎春社区居委会", None, None],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="points", data=data)
    assert not preview.errors, preview.as_text()
    assert [(c.action, c.changes) for c in preview.changes] == [
        ("update", ["经度：（空） → 119.912345", "纬度：（空） → 32.456789"]),
        ("create", []),
    ]
    imports.import_apply(campaign=world.campaign, kind="points", data=data)
    world.point_a.refresh_from_db()
    assert world.point_a.longitude == Decimal("119.912345")
    new = InspectionPoint.objects.get(name="迎春社区居民小区")
    assert new.unit == world.community_a and new.point_type == PointType.objects.get(name="居民小区")


def test_a_point_without_a_known_unit_or_with_a_bad_coordinate_is_an_error(world):
    data = xlsx([POINT_HEADER, ["高港农贸市场", "农贸市场", None, "高港街道", None, None],
                 ["口岸菜场", "农贸市场", None, "口岸街道", 300, None]])
    preview = imports.import_preview(campaign=world.campaign, kind="points", data=data)
    assert [(p.row, p.column) for p in preview.errors] == [(2, "D（包保单位）"), (3, "E（经度）")]


def test_a_failure_halfway_through_apply_leaves_nothing_written(world, monkeypatch):
    data = xlsx([UNIT_HEADER, ["高港街道", None, "城西区", "街道", "新组别"], ["永安社区", None, "高港街道", "社区", None]])
    original = Unit.save

    def failing_save(self, *args, **kwargs):
        if self.name == "永安社区":
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Unit, "save", failing_save)
    with pytest.raises(RuntimeError):
        imports.import_apply(campaign=world.campaign, kind="units", data=data)
    assert not Unit.objects.filter(name="高港街道").exists()
    assert not RankingGroup.objects.filter(name="新组别").exists()
