"""Units carry 启用日期/停用日期: the import and the admin accept them (the ranking rule is tested in
tests/test_publish_month.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from campaign.models import Unit
from dataload import imports
from tests import factories as f
from tests.import_workbooks import xlsx

HEADER = ["单位名称", "简称", "上级单位", "单位类型", "考核组别", "启用日期", "停用日期"]


def test_the_units_import_sets_and_changes_the_active_dates(world):
    data = xlsx([
        HEADER,
        ["高港街道", None, "城西区", "街道", "乡镇街道组", "2026年11月3日", None],
        ["口岸街道", None, "城西区", "街道", "乡镇街道组", None, dt.datetime(2026, 12, 31)],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert not preview.errors, preview.as_text()
    assert [c.changes for c in preview.changes if c.action == "update"] == [["停用日期：（空） → 2026-12-31"]]
    imports.import_apply(campaign=world.campaign, kind="units", data=data)
    new = Unit.objects.get(name="高港街道")
    assert (new.active_from, new.active_until) == (dt.date(2026, 11, 3), None)
    world.unit_b.refresh_from_db()
    assert (world.unit_b.active_from, world.unit_b.active_until) == (None, dt.date(2026, 12, 31))


def test_a_bad_or_reversed_date_is_an_error_in_chinese_and_nothing_is_written(world):
    data = xlsx([
        HEADER,
        ["高港街道", None, "城西区", "街道", "乡镇街道组", "明年开春", None],
        ["永安社区", None, "城西区", "社区", None, "2026-11-01", "2026-10-31"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    messages = {(p.row, p.message) for p in preview.errors}
    assert (2, "启用日期“明年开春”不是有效日期：请填写如 2026-11-01 或 2026年11月1日。") in messages
    assert (3, "停用日期不能早于启用日期。") in messages
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="units", data=data)
    assert not Unit.objects.filter(name__in=["高港街道", "永安社区"]).exists()


def test_a_file_without_the_date_columns_keeps_the_dates(world):
    Unit.objects.filter(pk=world.unit_b.pk).update(active_from=dt.date(2026, 3, 1))
    data = xlsx([HEADER[:5], ["口岸街道", "口岸", "城西区", "街道", "乡镇街道组"]])
    imports.import_apply(campaign=world.campaign, kind="units", data=data)
    world.unit_b.refresh_from_db()
    assert world.unit_b.active_from == dt.date(2026, 3, 1) and world.unit_b.short_name == "口岸"


def test_the_admin_edits_the_active_dates(world, client):
    root = f.UserFactory(username="root_units", is_staff=True, is_superuser=True)
    client.force_login(root)
    page = client.get(f"/admin/campaign/unit/{world.unit_b.pk}/change/")
    assert "启用日期" in page.content.decode() and "停用日期" in page.content.decode()
    u = world.unit_b
    data = {
        "name": u.name, "short_name": "", "parent": u.parent_id, "unit_type": u.unit_type, "ranking_group": u.ranking_group_id,
        "order": 0, "is_active": "on", "active_from": "2026-11-01", "active_until": "2026-10-01",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    }
    page = client.post(f"/admin/campaign/unit/{u.pk}/change/", data)
    assert page.status_code == 200 and "停用日期不能早于启用日期。" in page.content.decode()
    u.refresh_from_db()
    assert u.active_from is None
    data["active_until"] = ""
    page = client.post(f"/admin/campaign/unit/{u.pk}/change/", data)
    assert page.status_code == 302, page.content.decode()[:2000]
    u.refresh_from_db()
    assert (u.active_from, u.active_until) == (dt.date(2026, 11, 1), None)


def test_units_imported_after_a_publication_are_not_ranked_when_that_month_is_published_again(world):
    # The issue: 7 units imported in November appeared in October at rank 1 after October was re-published.
    from decimal import Decimal as D

    from reports.models import UnitMonthScore
    from reports.scoring import score_month
    from reports.services import period_publish, period_revoke

    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, points=D("0.30"))
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, points=D("0.50"))
    period_publish(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, today=dt.date(2026, 11, 5))

    data = xlsx([HEADER[:5], ["高港街道", None, "城西区", "街道", "乡镇街道组"], ["永安街道", None, "城西区", "街道", "乡镇街道组"]])
    preview = imports.import_preview(campaign=w.campaign, kind="units", data=data)
    assert "新单位高港街道、永安街道未填写启用日期，将自2026年11月起参加月度考核" in " ".join(p.message for p in preview.warnings)
    imports.import_apply(campaign=w.campaign, kind="units", data=data)
    assert set(Unit.objects.filter(name__in=["高港街道", "永安街道"]).values_list("active_from", flat=True)) == {dt.date(2026, 11, 1)}

    period_revoke(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, reason="复核")
    period = period_publish(campaign=w.campaign, month=dt.date(2026, 10, 1), actor=w.admin, today=dt.date(2026, 11, 20))
    ranks = {r.unit.name: r.rank for r in UnitMonthScore.objects.filter(period=period, ranking_group="乡镇街道组")}
    assert ranks == {"城东街道": 1, "口岸街道": 2}  # 99.70 and 99.50; the new units (100.00) would have been 1st
    november = {u.unit_name for u in score_month(campaign=w.campaign, month=dt.date(2026, 11, 1), today=dt.date(2026, 12, 5)).units}
    assert {"高港街道", "永安街道"} <= november


def test_before_any_publication_new_units_count_in_every_month(world):
    data = xlsx([HEADER[:5], ["高港街道", None, "城西区", "街道", "乡镇街道组"]])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert not any("启用日期" in p.message for p in preview.warnings)
    imports.import_apply(campaign=world.campaign, kind="units", data=data)
    assert Unit.objects.get(name="高港街道").active_from is None
