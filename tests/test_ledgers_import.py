"""Importing ledgers from Excel: the same two steps as every import (preview writes nothing; apply all or none)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaign.models import AuditLog, UnitType
from dataload import imports
from ledgers.models import Board, Volunteer
from ledgers.selectors import summary_figures
from tests import factories as f
from tests.import_workbooks import xlsx, workbook_bytes

VOLUNTEER_HEADER = ["填报单位", "姓名", "服务队", "注册日期", "参加活动人次", "服务时长", "备注"]


def test_a_good_volunteer_register_is_previewed_then_applied(world):
    data = xlsx([
        ["城东街道志愿者名册"],
        VOLUNTEER_HEADER,
        ["城东街道办事处", "王芳", "城东青年志愿服务队", "2026年5月12日", 3, "7.5小时", None],
        ["城东街道", "李强", "城东青年志愿服务队", "2026-05-20", "2人次", 4, None],
        ["迎春社区", "赵敏", None, None, 0, 0, "新注册"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-volunteers", data=data)
    assert not preview.errors, preview.as_text()
    assert (preview.creates, preview.updates) == (3, 0)
    assert not Volunteer.objects.exists()  # the preview wrote nothing
    imports.import_apply(campaign=world.campaign, kind="ledger-volunteers", data=data, actor=world.admin)
    wang = Volunteer.objects.get(name="王芳")
    assert (wang.unit, wang.registered_on, wang.activity_count, wang.hours) == (world.unit_a, dt.date(2026, 5, 12), 3, Decimal("7.5"))
    assert Volunteer.objects.get(name="赵敏").unit == world.community_a
    figs = {fig.key: fig.value for fig in summary_figures(world.campaign, world.unit_a)}
    assert (figs["volunteers"], figs["volunteer_times"], figs["volunteer_hours"]) == (Decimal("3"), Decimal("5"), Decimal("11.5"))
    assert AuditLog.objects.filter(action="import.apply").exists()


def test_importing_the_same_register_again_updates_rows_instead_of_duplicating(world):
    first = xlsx([VOLUNTEER_HEADER, ["城东街道", "王芳", None, None, 3, 7.5, None]])
    imports.import_apply(campaign=world.campaign, kind="ledger-volunteers", data=first)
    again = xlsx([VOLUNTEER_HEADER, ["城东街道", "王芳", None, None, 5, 12, None], ["城东街道", "李强", None, None, 1, 2, None]])
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-volunteers", data=again)
    assert (preview.creates, preview.updates) == (1, 1)
    assert any("服务时长：7.5 → 12.0" in c for change in preview.changes for c in change.changes), preview.as_text()
    imports.import_apply(campaign=world.campaign, kind="ledger-volunteers", data=again)
    assert Volunteer.objects.count() == 2
    assert Volunteer.objects.get(name="王芳").hours == Decimal("12")


def test_a_bad_row_refuses_the_whole_file_and_nothing_is_written(world):
    data = xlsx([
        VOLUNTEER_HEADER,
        ["城东街道", "王芳", None, None, 3, 7.5, None],
        ["城东街道", "李强", None, "2026-13-40", -2, "很多", None],
        ["海陵街道", "赵敏", None, None, 1, 2, None],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-volunteers", data=data)
    problems = {(p.row, p.column) for p in preview.errors}
    assert {(3, "D（注册日期）"), (3, "E（参加活动人次）"), (3, "F（服务时长）"), (4, "A（填报单位）")} <= problems, preview.as_text()
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="ledger-volunteers", data=data)
    assert not Volunteer.objects.exists()
    assert not AuditLog.objects.filter(action="import.apply").exists()


def test_a_board_must_stand_in_a_village_of_its_own_unit(world):
    f.UnitFactory(name="春江社区", unit_type=UnitType.COMMUNITY, parent=world.unit_b)
    header = ["填报单位", "名称/位置", "类别", "所在村（社区）", "建成日期", "备注"]
    data = xlsx([header, ["城东街道", "迎春社区宣传栏", "宣传栏", "迎春社区", "2026-07-01", None],
                 ["城东街道", "春江社区宣传栏", "宣传栏", "春江社区", None, None],
                 ["城东街道", "路口广告", "广告牌", None, None, None]])
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-boards", data=data)
    messages = [p.message for p in preview.errors]
    assert "“城东街道”下没有名为“春江社区”的村（社区）。" in messages
    assert any("类别“广告牌”无法识别" in m for m in messages)
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="ledger-boards", data=data)
    assert not Board.objects.exists()


def test_the_template_and_the_export_read_back_unchanged(world):
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name="王芳", team="青年队", activity_count=2, hours=Decimal("4.5"))
    template = imports.template_workbook("ledger-volunteers")
    assert [c.value for c in template.active[1]] == VOLUNTEER_HEADER
    exported = workbook_bytes(imports.export_workbook(campaign=world.campaign, kind="ledger-volunteers"))
    preview = imports.import_preview(campaign=world.campaign, kind="ledger-volunteers", data=exported)
    assert not preview.errors and (preview.creates, preview.updates, preview.unchanged) == (0, 0, 1), preview.as_text()
