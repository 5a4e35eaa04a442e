"""The inspector's pages: dates prefilled in a form a date input accepts, the home page, the 督办单 form, names."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.inspections_support import inspection


def test_the_new_inspection_form_prefills_today_as_a_date_input_reads_it(world, client_for):
    today = timezone.localdate()
    html = client_for(world.inspector).get("/inspections/new/").content.decode()
    # <input type="date"> drops anything but yyyy-MM-dd (zh-hans would render 2026/11/30).
    assert f'type="date" name="date" value="{today:%Y-%m-%d}"' in html
    assert f"{today:%Y/%m/%d}" not in html


def test_every_date_input_of_the_project_renders_iso_dates():
    from campaign.forms import AuditSearchForm
    from inspections.forms import AccountabilityForm
    from tasks.forms import DeadlineForm

    day = dt.date(2026, 11, 30)
    assert 'value="2026-11-30"' in str(AuditSearchForm(initial={"date_from": day})["date_from"])
    assert 'value="2026-11-30"' in str(DeadlineForm(initial={"start": day})["start"])
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in str(AccountabilityForm()["date"])


TODAY = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture
def on_today(monkeypatch):
    """Pretend today is TODAY (localdate with an argument still converts that datetime)."""
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: real(value, timezone) if value else TODAY)
    return TODAY


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_the_inspectors_home_starts_todays_inspection_and_lists_points_and_reviews(world, client_for, on_today):
    from inspections import services
    from inspections.models import Check, Finding
    from inspections.services import ChecklistItem
    from tests.inspections_support import png

    old = inspection(world, title="10月市级现场考核")
    todays = inspection(world, date=TODAY, title="11月30日暗访抽查")
    other = inspection(world, date=TODAY, title="别人的检查")
    other.inspectors.set([world.admin])
    other.created_by = world.admin
    other.save()
    # The inspector recorded at 人民路 on 10-12 (a finding), then at the market (a checklist round) later.
    first = services.finding_create(inspector=world.inspector, inspection=old, point=world.point_a,
                                    indicator=world.leaf_clean, description="果皮纸屑", photos=[png()])
    second = services.finding_create(inspector=world.inspector, inspection=old, point=world.point_b,
                                     indicator=world.leaf_market, description="占道经营")
    Finding.objects.filter(pk=first.pk).update(created_at=_at(dt.date(2026, 10, 12)))
    Finding.objects.filter(pk=second.pk).update(created_at=_at(dt.date(2026, 10, 12), 9))
    services.checklist_record(inspector=world.inspector, inspection=old, point=world.point_b,
                              items=[ChecklistItem(indicator=world.leaf_clean, result="pass")])
    Check.objects.update(checked_at=_at(dt.date(2026, 10, 13)))
    # Two rounds wait for review: submitted Thursday 11-26 (2 working days) and Monday 11-23 (5).
    services.rectification_submit(official=world.official_b, finding=second, description="已清理", after_photos=[png()],
                                  at=_at(dt.date(2026, 11, 26)))
    services.rectification_submit(official=world.official_a, finding=first, description="已清扫", after_photos=[png()],
                                  at=_at(dt.date(2026, 11, 23)))

    html = client_for(world.inspector).get("/").content.decode()
    assert html.count('data-testid="today-inspection"') == 1 and "别人的检查" not in html
    assert f'href="/inspections/{todays.pk}/findings/new/" data-testid="start-inspection"' in html
    assert 'id="offline-queue-status"' in html
    points = html[html.index('data-testid="recent-points"'):html.index('data-testid="reviews-waiting"')]
    assert points.index("口岸农贸市场") < points.index("人民路（城东段）")  # 10-13 before 10-12
    assert f"/inspections/{todays.pk}/findings/new/?point={world.point_b.pk}" in points
    reviews = html[html.index('data-testid="reviews-waiting"'):]
    assert "待验收的整改（2，先提交的在前）" in html
    assert reviews.index("已等待 5 个工作日") < reviews.index("已等待 2 个工作日")
    assert reviews.index("果皮纸屑") < reviews.index("占道经营")


def test_without_an_inspection_today_start_opens_a_new_one(world, client_for, on_today):
    html = client_for(world.inspector).get("/").content.decode()
    assert 'href="/inspections/new/" data-testid="start-inspection"' in html
    assert "没有待验收的整改" in html and "还没有检查记录" in html
    # Officials and leaders do not get the inspector's part.
    assert 'data-testid="inspector-home"' not in client_for(world.official_a).get("/").content.decode()
    assert 'data-testid="inspector-home"' not in client_for(world.leader).get("/").content.decode()


def _finding(world, point, indicator, desc):
    from inspections import services

    return services.finding_create(inspector=world.inspector, inspection=inspection(world), point=point,
                                   indicator=indicator, description=desc)


def test_the_order_form_asks_for_the_unit_first_and_preselects_none(world, client_for):
    _finding(world, world.point_a, world.leaf_clean, "人民路垃圾未清运")
    _finding(world, world.point_b, world.leaf_market, "市场占道经营")
    html = client_for(world.inspector).get("/inspections/orders/new/").content.decode()
    select = html[html.index('id="unit-pick"'):html.index("</select>")]
    # Only units with findings awaiting an order, with counts; nothing chosen (泰和市 used to be preselected).
    assert '<option value="" selected>请选择责任单位</option>' in select
    assert "城东街道（1 个问题待督办）" in select and "口岸街道（1 个问题待督办）" in select
    assert "泰和市" not in select and " selected" not in select.replace('value="" selected', "")
    # No unit chosen: no finding of any unit to tick.
    assert 'name="findings"' not in html and "请先选择责任单位" in html


def test_a_chosen_unit_lists_only_its_findings_awaiting_an_order(world, client_for):
    from inspections import services
    from inspections.models import FindingStatus

    listed = _finding(world, world.point_a, world.leaf_clean, "人民路垃圾未清运")
    ordered = _finding(world, world.point_a, world.leaf_clean, "已督办的问题")
    services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[ordered], deadline_working_days=5)
    withdrawn = _finding(world, world.point_a, world.leaf_clean, "撤销的问题")
    services.finding_withdraw(actor=world.admin, finding=withdrawn, reason="误报")
    _finding(world, world.point_b, world.leaf_market, "市场占道经营")
    client = client_for(world.inspector)
    html = client.get("/inspections/orders/new/", {"unit": world.unit_a.pk}).content.decode()
    assert html.count('name="findings"') == 1 and f'value="{listed.pk}"' in html
    assert "已督办的问题" not in html and "撤销的问题" not in html and "市场占道经营" not in html
    # Opened from a finding already on an order: said so, nothing to tick again.
    html = client.get("/inspections/orders/new/", {"finding": ordered.pk}).content.decode()
    assert 'data-testid="already-ordered"' in html and "督办〔" in html
    # Ticking a finding of another unit (or one on an order) is refused in Chinese and issues nothing.
    response = client.post("/inspections/orders/new/", {
        "unit": world.unit_a.pk, "findings": [ordered.pk], "deadline_working_days": 5,
    })
    assert response.status_code == 200 and "请刷新后重新勾选" in response.content.decode()
    response = client.post("/inspections/orders/new/", {
        "unit": world.unit_a.pk, "findings": [listed.pk], "deadline_working_days": 5,
    })
    assert response.status_code == 302
    listed.refresh_from_db()
    assert listed.orders.count() == 1 and listed.status == FindingStatus.OPEN


def test_the_finding_page_links_its_inspection_and_hides_the_order_action_once_ordered(world, client_for):
    from inspections import services

    finding = _finding(world, world.point_a, world.leaf_clean, "人民路垃圾未清运")
    client = client_for(world.inspector)
    html = client.get(f"/inspections/findings/{finding.pk}/").content.decode()
    assert f'href="/inspections/{finding.inspection_id}/" data-testid="finding-inspection"' in html
    assert "为此问题签发督办单" in html
    services.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline_working_days=5)
    html = client.get(f"/inspections/findings/{finding.pk}/").content.decode()
    assert "为此问题签发督办单" not in html
    # The unit's official sees the finding but not the office's inspection page, so no link to it.
    official = client_for(world.official_a).get(f"/inspections/findings/{finding.pk}/").content.decode()
    assert 'data-testid="finding-inspection"' not in official


def test_inspectors_are_offered_by_their_names_not_their_logins(world, client_for):
    html = client_for(world.inspector).get("/inspections/new/").content.decode()
    assert "李督查" in html and "王主任" in html
    assert "inspector_test" not in html and "admin_test" not in html
