"""Logging findings: defaults, deadline in working days, double post, frozen months, withdrawal, audit."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaign.models import AssessmentPeriod, AuditLog, CalendarDay, PeriodStatus, SourceLevel
from inspections import services
from inspections.models import Finding, FindingStatus
from tests.inspections_support import inspection, png

D = Decimal


def _create(world, insp=None, **kw):
    kw.setdefault("indicator", world.leaf_clean)
    kw.setdefault("point", world.point_a)
    kw.setdefault("description", "人民路两侧垃圾未及时清运")
    return services.finding_create(inspector=kw.pop("inspector", world.inspector), inspection=insp or inspection(world), **kw)


def test_a_finding_is_charged_to_the_points_unit_with_the_suggested_points(world):
    finding = _create(world, photos=[png()])
    assert finding.unit == world.unit_a
    assert finding.points == D("0.30")
    assert finding.month == dt.date(2026, 10, 1)
    assert finding.found_on == dt.date(2026, 10, 12)
    assert finding.status == FindingStatus.OPEN
    assert finding.photos.count() == 1
    assert finding.photos.get().content_type == "image/png"


def test_the_deadline_is_five_working_days_after_the_inspection(world):
    # Monday 2026-10-12 + 5 working days = Monday 2026-10-19 (the weekend is skipped).
    assert _create(world).rectify_deadline == dt.date(2026, 10, 19)


def test_the_deadline_skips_the_national_day_holiday_and_counts_the_makeup_saturday(world):
    # Wed 09-30 → Oct 1–7 are holidays; 8 (Thu), 9 (Fri), 10 (makeup Sat), 12, 13 → Tue 10-13.
    insp = inspection(world, date=dt.date(2026, 9, 30))
    assert _create(world, insp).rectify_deadline == dt.date(2026, 10, 13)


def test_the_deadline_honours_the_offices_own_calendar(world):
    CalendarDay.objects.create(date=dt.date(2026, 10, 14), is_workday=False, note="防汛停工")
    assert _create(world).rectify_deadline == dt.date(2026, 10, 20)


def test_an_explicit_unit_overrides_the_points_unit(world):
    assert _create(world, unit=world.dept).unit == world.dept


def test_a_finding_without_point_or_unit_is_refused(world):
    with pytest.raises(ValidationError, match="请选择点位或责任单位"):
        _create(world, point=None)


def test_a_repeat_is_marked_and_deducts_the_repeat_points(world):
    _create(world, insp=inspection(world, date=dt.date(2026, 10, 5)))
    finding = _create(world, insp=inspection(world, date=dt.date(2026, 10, 12), level=SourceLevel.DISTRICT))
    assert finding.is_repeat and finding.points == D("1.00")


def test_points_over_the_rule_are_refused(world):
    with pytest.raises(ValidationError, match="超过规则允许的上限"):
        _create(world, points=D("0.31"))
    assert not Finding.objects.exists()


def test_posting_the_same_form_twice_creates_one_finding(world):
    token = uuid.uuid4()
    insp = inspection(world)
    first = _create(world, insp, client_token=token, photos=[png()])
    second = _create(world, insp, client_token=str(token), photos=[png()])
    assert first.pk == second.pk
    assert Finding.objects.count() == 1
    assert first.photos.count() == 1


def test_a_race_past_the_token_lookup_returns_the_first_finding(world, monkeypatch):
    token = uuid.uuid4()
    insp = inspection(world)
    first = _create(world, insp, client_token=token)
    # Simulate the second request having looked before the first one committed.
    real_filter = Finding.objects.filter
    calls = {"n": 0}

    def filter_once_empty(*args, **kwargs):
        if "client_token" in kwargs and calls["n"] == 0:
            calls["n"] += 1
            return Finding.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Finding.objects, "filter", filter_once_empty)
    again = _create(world, insp, client_token=token)
    assert again.pk == first.pk
    assert Finding.objects.count() == 1


def test_a_finding_in_a_published_month_is_refused(world):
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="2026年10月的考核结果已发布"):
        _create(world)


def test_a_leader_or_an_official_cannot_log_findings(world):
    for user in (world.leader, world.official_a):
        with pytest.raises(PermissionDenied):
            _create(world, inspector=user)


def test_creating_a_finding_is_audited(world):
    finding = _create(world)
    log = AuditLog.objects.get(action="finding.create")
    assert log.object_id == str(finding.pk) and log.actor == world.inspector and log.unit == world.unit_a
    assert log.after["points"] == "0.30"


def test_withdrawal_keeps_the_finding_with_its_reason(world):
    finding = _create(world)
    services.finding_withdraw(actor=world.inspector, finding=finding, reason="点位不属于城东街道包保范围")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.WITHDRAWN
    assert finding.withdrawn_reason == "点位不属于城东街道包保范围"
    assert finding.withdrawn_by == world.inspector and finding.withdrawn_at is not None
    assert AuditLog.objects.filter(action="finding.withdraw", object_id=str(finding.pk)).exists()
    assert finding.history.count() == 2  # created, withdrawn: both kept


def test_withdrawal_needs_a_reason(world):
    finding = _create(world)
    with pytest.raises(ValidationError, match="必须填写原因"):
        services.finding_withdraw(actor=world.inspector, finding=finding, reason="  ")


def test_withdrawal_is_refused_once_the_month_is_published(world):
    finding = _create(world)
    AssessmentPeriod.objects.create(campaign=world.campaign, month=dt.date(2026, 10, 1), status=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="已发布并冻结"):
        services.finding_withdraw(actor=world.admin, finding=finding, reason="误报")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_an_official_cannot_withdraw(world):
    finding = _create(world)
    with pytest.raises(PermissionDenied):
        services.finding_withdraw(actor=world.official_a, finding=finding, reason="不认可")


def test_a_withdrawn_finding_frees_its_points_under_the_indicator_cap(world):
    # leaf_ads score 1.00: 0.30 ×3 = 0.90, a fourth 0.30 would be 1.20; withdrawing one leaves room.
    insp = inspection(world)
    made = [_create(world, insp, indicator=world.leaf_ads, point=None, unit=world.unit_a) for _ in range(3)]
    with pytest.raises(ValidationError):
        _create(world, insp, indicator=world.leaf_ads, point=None, unit=world.unit_a)
    services.finding_withdraw(actor=world.inspector, finding=made[0], reason="重复录入")
    assert _create(world, insp, indicator=world.leaf_ads, point=None, unit=world.unit_a).points == D("0.30")


def test_a_non_image_photo_is_refused_and_nothing_is_saved(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match="只能上传照片"):
        _create(world, photos=[SimpleUploadedFile("a.jpg", b"%PDF-1.4 not a photo")])
    assert not Finding.objects.exists()
