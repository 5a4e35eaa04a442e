"""Checklist rounds at a point, and the point-type × standard matrix."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inspections import selectors, services
from inspections.models import Check, CheckResult, Finding
from tests.inspections_support import inspection, png

D = Decimal


def test_the_checklist_of_a_market_lists_the_standards_of_its_type(world):
    codes = [i.code for i in selectors.checklist_indicators(world.campaign, world.point_b)]
    assert codes == ["1.1.1", "1.2.1"]
    assert [i.code for i in selectors.checklist_indicators(world.campaign, world.point_a)] == ["1.1.1", "1.1.2"]


def test_a_round_records_every_check_and_turns_each_fail_into_a_finding(world):
    insp = inspection(world)
    checks = services.checklist_record(
        inspector=world.inspector, inspection=insp, point=world.point_b,
        items=[
            services.ChecklistItem(indicator=world.leaf_clean, result=CheckResult.PASS),
            services.ChecklistItem(indicator=world.leaf_market, result=CheckResult.FAIL, description="占道经营",
                                   photos=[png()]),
        ],
    )
    assert [(c.indicator.code, c.result) for c in checks] == [("1.1.1", "pass"), ("1.2.1", "fail")]
    assert all(c.unit == world.unit_b and c.month == dt.date(2026, 10, 1) for c in checks)
    finding = Finding.objects.get()
    assert checks[1].finding == finding
    assert (finding.unit, finding.indicator, finding.points, finding.description) == (world.unit_b, world.leaf_market, D("0.30"), "占道经营")
    assert finding.photos.count() == 1
    assert selectors.pass_rate(checks) == D("50.0")


def test_not_applicable_items_leave_the_pass_rate(world):
    insp = inspection(world)
    checks = services.checklist_record(
        inspector=world.inspector, inspection=insp, point=world.point_a,
        items=[
            services.ChecklistItem(indicator=world.leaf_clean, result=CheckResult.PASS),
            services.ChecklistItem(indicator=world.leaf_ads, result=CheckResult.NA),
        ],
    )
    assert selectors.pass_rate(checks) == D("100.0")
    assert not Finding.objects.exists()


def test_a_refused_fail_item_saves_nothing_of_the_round(world):
    insp = inspection(world)
    with pytest.raises(ValidationError, match="指标 1.2.1"):
        services.checklist_record(
            inspector=world.inspector, inspection=insp, point=world.point_b,
            items=[
                services.ChecklistItem(indicator=world.leaf_clean, result=CheckResult.PASS),
                services.ChecklistItem(indicator=world.leaf_market, result=CheckResult.FAIL, points=D("5")),
            ],
        )
    assert not Check.objects.exists() and not Finding.objects.exists()


def test_posting_the_round_twice_adds_nothing(world):
    insp = inspection(world)
    items = [services.ChecklistItem(indicator=world.leaf_market, result=CheckResult.FAIL, description="占道经营")]
    services.checklist_record(inspector=world.inspector, inspection=insp, point=world.point_b, items=items)
    services.checklist_record(inspector=world.inspector, inspection=insp, point=world.point_b, items=items)
    assert Check.objects.count() == 1 and Finding.objects.count() == 1


def test_the_admin_edits_the_matrix(world):
    pairs = {(world.leaf_clean.pk, world.pt_road.pk), (world.leaf_market.pk, world.pt_road.pk)}
    changed = services.point_type_matrix_update(actor=world.admin, campaign=world.campaign, pairs=pairs)
    # before: clean×road, clean×market, ads×road, market×market; after: clean×road, market×road.
    assert changed == 4
    assert [i.code for i in selectors.checklist_indicators(world.campaign, world.point_a)] == ["1.1.1", "1.2.1"]
    assert selectors.checklist_indicators(world.campaign, world.point_b) == []


def test_an_inspector_cannot_edit_the_matrix(world):
    with pytest.raises(PermissionDenied):
        services.point_type_matrix_update(actor=world.inspector, campaign=world.campaign, pairs=set())


def test_the_checklist_page_turns_a_fail_into_a_finding(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    page = client.get(f"/inspections/{insp.pk}/checklist/{world.point_b.pk}/")
    assert page.status_code == 200 and "1.2.1 农贸市场管理规范" in page.content.decode()
    response = client.post(f"/inspections/{insp.pk}/checklist/{world.point_b.pk}/", {
        f"result_{world.leaf_clean.pk}": "pass",
        f"result_{world.leaf_market.pk}": "fail", f"desc_{world.leaf_market.pk}": "鱼肉区地面积水",
        f"photos_{world.leaf_market.pk}": png(),
    })
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.description == "鱼肉区地面积水" and finding.photos.count() == 1
    assert Check.objects.count() == 2


def test_the_matrix_page_is_for_admins(world, client_for):
    assert client_for(world.inspector).get("/inspections/matrix/").status_code == 404
    client = client_for(world.admin)
    assert client.get("/inspections/matrix/").status_code == 200
    client.post("/inspections/matrix/", {"cell": [f"{world.leaf_ads.pk}-{world.pt_market.pk}"]})
    assert list(world.leaf_ads.point_types.all()) == [world.pt_market]


def _card(html: str, code: str) -> str:
    """The HTML of one checklist item's card."""
    start = html.index(f'data-indicator="{code}"')
    end = html.find("checklist-item", start)
    return html[start:end if end != -1 else len(html)]


def test_a_refused_round_is_reshown_with_every_answer_and_the_error_at_its_item(world, client_for):
    insp = inspection(world)
    client = client_for(world.inspector)
    clean, market = world.leaf_clean.pk, world.leaf_market.pk
    response = client.post(f"/inspections/{insp.pk}/checklist/{world.point_b.pk}/", {
        f"result_{clean}": "fail", f"desc_{clean}": "地面有果皮纸屑", f"photos_{clean}": png(),
        # 5 points on a standard worth 2: refused, and with it the whole round.
        f"result_{market}": "fail", f"desc_{market}": "水产区占道经营", f"points_{market}": "5",
    })
    assert response.status_code == 200
    assert not Check.objects.exists() and not Finding.objects.exists()
    html = response.content.decode()
    first, second = _card(html, "1.1.1"), _card(html, "1.2.1")
    # Every answer is back: the choice, the descriptions, the typed points; the details stay open.
    assert f'value="fail" autocomplete="off" data-result="fail" checked' in first
    assert "地面有果皮纸屑</textarea>" in first and "水产区占道经营</textarea>" in second
    assert 'value="5"' in second and "fail-details mt-2 d-none" not in second
    # The refusal shows at the item it concerns, not only at the top.
    assert 'data-testid="item-error"' in second and "超过" in second
    assert 'data-testid="item-error"' not in first
    assert "1.2.1 需要修改" in html
    # Browsers cannot re-fill a file input: the item whose photo was lost says so.
    assert "此前选择的 1 张照片未保存，请重新选择" in first and "照片未保存" not in second
    assert "请为 1.1.1 重新选择照片" in html


def test_a_bad_points_value_is_shown_at_its_item_and_keeps_the_rest(world, client_for):
    insp = inspection(world)
    response = client_for(world.inspector).post(f"/inspections/{insp.pk}/checklist/{world.point_b.pk}/", {
        f"result_{world.leaf_clean.pk}": "pass",
        f"result_{world.leaf_market.pk}": "fail", f"points_{world.leaf_market.pk}": "两分",
    })
    html = response.content.decode()
    assert "扣分“两分”不是数字" in _card(html, "1.2.1")
    assert 'data-result="pass" checked' in _card(html, "1.1.1")
    assert not Check.objects.exists()
