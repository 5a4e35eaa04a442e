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
