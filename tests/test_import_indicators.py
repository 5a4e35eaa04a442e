"""Importing the 测评体系: codes or column nesting, merged cells, unit matching, updates, idempotence."""
from __future__ import annotations

from decimal import Decimal

import pytest

from campaign.models import AuditLog, Indicator, PointType, UnitType
from dataload import imports
from tests import factories as f
from tests.import_workbooks import xlsx

NESTED_HEADER = ["测评项目", "测评内容", "测评标准", "标准分", "测评方法", "责任单位"]


def nested_rows(ads_score: float = 1) -> list[list]:
    """A published-style table: no codes, 测评项目/测评内容 merged down (see merges below)."""
    return [
        ["泰和市创建全国文明城市测评体系"],
        NESTED_HEADER,
        ["公共环境", "市容市貌", "主次干道路面干净，无积存垃圾。", 2, "实地考察", "市城管局"],
        [None, None, "户外公益广告达20%以上比例。", ads_score, "实地考察", "市城管局"],
        [None, "农贸市场", "市场内划行归市，无占道经营。", 2, "实地考察", "城东街道办事处"],
        [None, None, "市场内设置公益广告宣传栏。", 1, "材料审核", "口岸街道"],
        ["公共秩序", "交通秩序", "机动车礼让斑马线。", 3, "网络测评", "市城管局"],
        ["注：分值为标准分。"],
    ]


NESTED_MERGES = ["A1:F1", "A3:A6", "B3:B4", "B5:B6"]


@pytest.fixture
def fresh(world):
    """A second campaign with no indicators yet."""
    return f.CampaignFactory(slug="taihe-2027", name="泰和市2027年创建全国文明城市", year=2027)


def codes(campaign) -> dict[str, tuple[str, Decimal, str]]:
    return {i.code: (i.name, i.score, i.parent.code if i.parent else "") for i in Indicator.objects.filter(campaign=campaign)}


def test_without_codes_the_tree_is_built_from_the_column_nesting(world, fresh):
    data = xlsx(nested_rows(), merges=NESTED_MERGES)
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=data)
    assert not preview.errors, preview.as_text()
    assert (preview.creates, preview.updates, preview.unchanged) == (10, 0, 0)
    imports.import_apply(campaign=fresh, kind="indicators", data=data, actor=world.admin)
    assert codes(fresh) == {
        "1": ("公共环境", Decimal("6.00"), ""),
        "1.1": ("市容市貌", Decimal("3.00"), "1"),
        "1.1.1": ("主次干道路面干净，无积存垃圾", Decimal("2.00"), "1.1"),
        "1.1.2": ("户外公益广告达20%以上比例", Decimal("1.00"), "1.1"),
        "1.2": ("农贸市场", Decimal("3.00"), "1"),
        "1.2.1": ("市场内划行归市，无占道经营", Decimal("2.00"), "1.2"),
        "1.2.2": ("市场内设置公益广告宣传栏", Decimal("1.00"), "1.2"),
        "2": ("公共秩序", Decimal("3.00"), ""),
        "2.1": ("交通秩序", Decimal("3.00"), "2"),
        "2.1.1": ("机动车礼让斑马线", Decimal("3.00"), "2.1"),
    }
    market = Indicator.objects.get(campaign=fresh, code="1.2.1")
    assert market.lead_unit == world.unit_a  # "城东街道办事处" matched with the suffix ignored
    assert market.standard_text == "市场内划行归市，无占道经营。"
    assert market.method == "field"
    assert market.level == 3
    assert Indicator.objects.get(campaign=fresh, code="1.2.2").method == "material"


def test_the_preview_says_how_a_unit_and_the_variant_columns_were_matched(world, fresh):
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=xlsx(nested_rows(), merges=NESTED_MERGES))
    notes = [(p.row, p.message) for p in preview.warnings]
    assert (5, "“城东街道办事处”按单位“城东街道”匹配。") in notes
    assert (None, "将“标准分”列作为“分值”读取。") in notes
    assert (None, "将“责任单位”列作为“牵头单位”读取。") in notes


def test_reimporting_the_same_file_changes_nothing(world, fresh):
    data = xlsx(nested_rows(), merges=NESTED_MERGES)
    imports.import_apply(campaign=fresh, kind="indicators", data=data)
    again = imports.import_preview(campaign=fresh, kind="indicators", data=data)
    assert (again.creates, again.updates, again.unchanged) == (0, 0, 5)  # one per data row
    imports.import_apply(campaign=fresh, kind="indicators", data=data)
    assert Indicator.objects.filter(campaign=fresh).count() == 10


def test_an_edited_file_updates_by_name_path_and_says_what_changed(world, fresh):
    imports.import_apply(campaign=fresh, kind="indicators", data=xlsx(nested_rows(), merges=NESTED_MERGES))
    edited = xlsx(nested_rows(ads_score=1.5), merges=NESTED_MERGES)
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=edited)
    updates = {c.label: c.changes for c in preview.changes if c.action == "update"}
    assert updates == {
        "1.1.2 户外公益广告达20%以上比例": ["分值：1.00 → 1.50"],
        "1.1 市容市貌": ["分值（下级合计）：3.00 → 3.50"],
        "1 公共环境": ["分值（下级合计）：6.00 → 6.50"],
    }
    imports.import_apply(campaign=fresh, kind="indicators", data=edited)
    assert codes(fresh)["1"][1] == Decimal("6.50")
    assert codes(fresh)["1.1.2"][1] == Decimal("1.50")


CODED_HEADER = ["编号", "测评项目", "测评内容", "测评标准", "分值", "测评方法", "适用单位类型", "配合单位", "适用点位类型"]


def coded_rows() -> list[list]:
    return [
        CODED_HEADER,
        ["1", "公共环境", None, None, 5, None, None, None, None],
        ["1.1", "公共环境", "市容市貌", None, None, None, None, None, None],
        ["1.1.1", "公共环境", "市容市貌", "主次干道路面干净。", 2, "实地考察", "街道、乡镇", "城东街道、口岸街道", "主次干道、背街小巷"],
        ["1.1.2", "公共环境", "市容市貌", "户外公益广告占比不低于20%。", 1.5, "实地考察", None, None, "主次干道"],
        ["2.1.1", "公共秩序", "交通秩序", "机动车礼让斑马线。", 3, "网络测评", "全部", None, None],
    ]


def test_with_codes_the_tree_follows_the_codes_and_missing_parents_are_implied(world, fresh):
    data = xlsx(coded_rows())
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=data)
    assert not preview.errors, preview.as_text()
    warnings = [p.message for p in preview.warnings]
    assert "编号1的分值为5.00，其下级分值合计为3.50，请核对。" in warnings
    assert "将新建点位类型“背街小巷”。" in warnings
    imports.import_apply(campaign=fresh, kind="indicators", data=data)
    assert codes(fresh) == {
        "1": ("公共环境", Decimal("5.00"), ""),
        "1.1": ("市容市貌", Decimal("3.50"), "1"),
        "1.1.1": ("主次干道路面干净", Decimal("2.00"), "1.1"),
        "1.1.2": ("户外公益广告占比不低于20%", Decimal("1.50"), "1.1"),
        "2": ("公共秩序", Decimal("3.00"), ""),
        "2.1": ("交通秩序", Decimal("3.00"), "2"),
        "2.1.1": ("机动车礼让斑马线", Decimal("3.00"), "2.1"),
    }
    road = Indicator.objects.get(campaign=fresh, code="1.1.1")
    assert road.applicable_unit_types == [UnitType.TOWNSHIP, UnitType.STREET]
    assert {u.name for u in road.co_units.all()} == {"城东街道", "口岸街道"}
    assert {p.name for p in road.point_types.all()} == {"主次干道", "背街小巷"}
    assert PointType.objects.filter(name="背街小巷").count() == 1
    assert Indicator.objects.get(campaign=fresh, code="2.1.1").applicable_unit_types == []


def test_an_unmatched_unit_is_reported_and_never_invented(world, fresh):
    rows = coded_rows()
    rows[3][7] = "城东街道、市卫健委"
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=xlsx(rows))
    [error] = preview.errors
    assert (error.row, error.column) == (4, "H（配合单位）")
    assert error.message.startswith("找不到单位“市卫健委”")
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=fresh, kind="indicators", data=xlsx(rows))
    assert not Indicator.objects.filter(campaign=fresh).exists()
    assert not PointType.objects.filter(name="背街小巷").exists()


def test_a_bad_code_score_or_method_is_an_error_on_its_cell(world, fresh):
    rows = coded_rows()
    rows[3][0] = "1.1.a"
    rows[4][4] = "一分半"
    rows[5][5] = "电话抽查"
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=xlsx(rows))
    assert [(p.row, p.column) for p in preview.errors] == [(4, "A（编号）"), (5, "E（分值）"), (6, "F（测评方法）")]


def test_a_code_used_twice_is_an_error(world, fresh):
    rows = coded_rows()
    rows[4][0] = "1.1.1"
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=xlsx(rows))
    assert [p.message for p in preview.errors] == ["编号1.1.1与第4行重复。"]


def test_apply_writes_everything_and_records_it_in_the_audit_log(world, fresh):
    imports.import_apply(campaign=fresh, kind="indicators", data=xlsx(coded_rows()), actor=world.admin, filename="测评体系.xlsx")
    log = AuditLog.objects.get(action="import.apply")
    assert log.actor == world.admin
    assert log.after["kind"] == "indicators"
    assert log.after["file"] == "测评体系.xlsx"
    assert (log.after["created"], log.after["updated"]) == (7, 0)


def test_list_numbers_in_item_names_are_dropped(world, fresh):
    data = xlsx([
        ["测评项目", "测评内容", "测评标准", "分值"],
        ["一、公共环境", "（一）市容市貌", "主次干道路面干净。", 2],
    ])
    imports.import_apply(campaign=fresh, kind="indicators", data=data)
    assert {code: name for code, (name, _, _) in codes(fresh).items()} == {
        "1": "公共环境", "1.1": "市容市貌", "1.1.1": "主次干道路面干净",
    }
    assert imports.import_preview(campaign=fresh, kind="indicators", data=data).unchanged == 1


def test_a_new_parent_without_a_name_is_an_error_on_the_row_that_needs_it(world, fresh):
    data = xlsx([["编号", "测评项目", "测评内容", "测评标准"], ["3.1.1", "公共秩序", None, "机动车礼让斑马线。"]])
    preview = imports.import_preview(campaign=fresh, kind="indicators", data=data)
    assert [(p.row, p.column, p.message.split("：")[0]) for p in preview.errors] == [(2, "C（测评内容）", "上级指标3.1没有名称")]
