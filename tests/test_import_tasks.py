"""Importing the 责任分解表: two-row header, merged cells, unit matching, deadlines, updates, idempotence."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dataload import imports
from tasks.models import Task
from tests.import_workbooks import xlsx

MERGES = ["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:G3", "H2:H3", "I2:I3", "B4:B7", "C4:C5", "C6:C7"]


def breakdown(last_unit: str = "市卫健委", ads_deadline: str = "9月30日前") -> bytes:
    """A 责任分解表 as offices make it: a title, a two-row header, 测评项目/测评内容 merged down."""
    return xlsx(
        [
            ["泰和市创建全国文明城市责任分解表"],
            ["序号", "测评项目", "测评内容", "测评标准", "责任主体", None, "责任领导", "完成时限", "量化目标"],
            [None, None, None, None, "牵头单位", "配合单位", None, None, None],
            [1, "公共环境", "市容市貌", "主次干道路面干净，无积存垃圾、无乱堆乱放。", "城东街道", "迎春社区", "张主任", "2026年9月底", None],
            [2, None, None, "户外公益广告占比不低于20%。", "口岸街道办事处", None, "李主任", ads_deadline, "20%"],
            [3, None, "农贸市场", "市场内划行归市，无占道经营。", "城东街道、口岸街道", "市城管局", "王局长", "长期坚持", None],
            [4, None, None, "市场内划行归市，无占道经营。", last_unit, None, None, dt.date(2026, 10, 15), None],
        ],
        merges=MERGES,
    )


def test_the_preview_reads_a_real_table_and_reports_the_unmatched_unit(world):
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=breakdown())
    [error] = preview.errors
    assert (error.sheet, error.row, error.column) == ("Sheet1", 7, "E（牵头单位）")
    assert error.message.startswith("找不到单位“市卫健委”")
    # Rows 4 and 5 one task each, row 6 one per lead unit; row 7 refused.
    assert (preview.creates, preview.updates, preview.unchanged) == (4, 0, 0)
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="tasks", data=breakdown())
    assert not Task.objects.exists()


def test_a_fixed_table_imports_every_row_with_its_deadline_form(world):
    imports.import_apply(campaign=world.campaign, kind="tasks", data=breakdown(last_unit="市城管局"), actor=world.admin)
    tasks = {(t.code, t.unit.name): t for t in Task.objects.select_related("unit", "indicator")}
    assert sorted(tasks) == [("1", "城东街道"), ("2", "口岸街道"), ("3", "口岸街道"), ("3", "城东街道"), ("4", "市城管局")]
    road = tasks[("1", "城东街道")]
    assert road.indicator == world.leaf_clean
    assert [u.name for u in road.co_units.all()] == ["迎春社区"]
    assert (road.deadline, road.deadline_text, road.is_ongoing) == (dt.date(2026, 9, 30), "2026年9月底", False)
    assert road.leader_name == "张主任"
    ads = tasks[("2", "口岸街道")]
    assert ads.indicator == world.leaf_ads
    assert (ads.deadline, ads.deadline_text) == (dt.date(2026, 9, 30), "9月30日前")
    assert (ads.target_value, ads.target_unit) == (Decimal("20.00"), "%")
    market = tasks[("3", "城东街道")]
    assert market.indicator == world.leaf_market
    assert (market.deadline, market.is_ongoing, market.deadline_text) == (None, True, "长期坚持")
    assert [u.name for u in market.co_units.all()] == ["市城管局"]
    late = tasks[("4", "市城管局")]
    assert (late.deadline, late.deadline_text) == (dt.date(2026, 10, 15), "")
    assert late.history.count() == 1  # bulk writes keep the change history
    assert late.history.first().history_change_reason == "Excel导入"


def test_reimporting_the_same_table_changes_nothing(world):
    data = breakdown(last_unit="市城管局")
    imports.import_apply(campaign=world.campaign, kind="tasks", data=data)
    again = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert (again.creates, again.updates, again.unchanged) == (0, 0, 5)
    imports.import_apply(campaign=world.campaign, kind="tasks", data=data)
    assert Task.objects.count() == 5


def test_an_edited_table_updates_by_number_and_unit_and_says_what_changed(world):
    imports.import_apply(campaign=world.campaign, kind="tasks", data=breakdown(last_unit="市城管局"))
    edited = breakdown(last_unit="市城管局", ads_deadline="10月底前")
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=edited)
    [change] = [c for c in preview.changes if c.action == "update"]
    assert change.row == 5
    assert change.changes == ["完成时限：2026-09-30 → 2026-10-31", "时限原文：9月30日前 → 10月底前"]
    imports.import_apply(campaign=world.campaign, kind="tasks", data=edited)
    ads = Task.objects.get(code="2")
    assert (ads.deadline, ads.deadline_text) == (dt.date(2026, 10, 31), "10月底前")
    assert ads.history.count() == 2


def test_without_a_number_a_task_is_matched_by_indicator_and_unit(world):
    existing = Task.objects.create(campaign=world.campaign, title="道路保洁", indicator=world.leaf_clean, unit=world.unit_a)
    data = xlsx([
        ["测评项目", "测评内容", "测评标准", "牵头单位", "时限"],
        ["公共环境", "市容市貌", "主次干道整洁", "城东街道", "11月底"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert [(c.action, c.changes) for c in preview.changes] == [
        ("update", ["完成时限：（空） → 2026-11-30", "时限原文：（空） → 11月底"])
    ]
    imports.import_apply(campaign=world.campaign, kind="tasks", data=data)
    existing.refresh_from_db()
    assert existing.deadline == dt.date(2026, 11, 30)
    assert existing.title == "道路保洁"  # no 任务名称 column: the title is left alone
    assert Task.objects.count() == 1


def test_a_special_action_and_phase_are_found_by_name_and_unknown_ones_are_errors(world):
    data = xlsx([
        ["序号", "专项行动", "工作阶段", "牵头单位", "工作标准", "完成时限"],
        ["A1", "环境卫生专项整治行动", "重点推进阶段", "市城管局", "城区主次干道全天候保洁。", "9月底"],
        ["A2", "违法建设专项整治行动", "巩固迎检阶段", "市城管局", "拆除违法建设。", "12月底"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert [(p.row, p.column) for p in preview.errors] == [(3, "B（专项行动）"), (3, "C（工作阶段）")]
    assert preview.creates == 1
    [created] = [c for c in preview.changes if c.action == "create"]
    assert created.label == "A1 城区主次干道全天候保洁（市城管局）"


def test_a_row_naming_neither_indicator_nor_action_is_an_error(world):
    data = xlsx([["序号", "牵头单位", "工作标准"], [1, "城东街道", "做好宣传。"]])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert [p.message for p in preview.errors] == ["测评指标和专项行动至少要填写一项（组织保障类任务请在“任务类别”填写“组织保障”）。"]


def test_the_same_task_twice_in_one_file_is_an_error(world):
    data = xlsx([
        ["序号", "指标编号", "牵头单位"],
        [1, "1.1.1", "城东街道"],
        [1, "1.1.2", "城东街道办事处"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert [(p.row, p.message[:7]) for p in preview.errors] == [(3, "与第2行是同一")]


def test_numbered_item_names_match_the_indicators_without_their_numbers(world):
    data = xlsx([
        ["序号", "测评项目", "测评内容", "测评标准", "牵头单位"],
        [1, "一、公共环境", "（二）农贸市场", "市场内划行归市，无占道经营。", "口岸街道"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    assert not preview.errors, preview.as_text()
    imports.import_apply(campaign=world.campaign, kind="tasks", data=data)
    assert Task.objects.get(code="1").indicator == world.leaf_market
