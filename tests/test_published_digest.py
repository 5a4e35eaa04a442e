"""Tamper-evident publication: the digest chain and ``manage.py verify_published`` (reports/digest.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from campaign.models import AssessmentPeriod, AuditLog
from inspections.models import Bonus, BonusStatus
from reports.digest import chain_digest, period_digest, short_digest, snapshot_canonical
from reports.models import ScoreLineSnapshot, UnitMonthScore
from reports.services import period_publish, period_revoke
from tests import factories as f

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)


@pytest.fixture
def two_months(world):
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    w.f1 = f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, points=D("0.30"),
        point=w.point_a, rectify_deadline=dt.date(2026, 12, 31),
    )
    Bonus.objects.create(
        campaign=w.campaign, unit=w.unit_b, month=NOV, points=D("1.00"), reason="获评省级卫生街道",
        status=BonusStatus.APPROVED, created_by=w.admin,
    )
    w.oct = period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))
    w.nov = period_publish(campaign=w.campaign, month=NOV, actor=w.admin, today=dt.date(2026, 12, 5))
    return w


@contextmanager
def as_owner_without_triggers():
    """What the owner or a superuser can do on PostgreSQL: write around the freeze triggers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    else:
        yield


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_published", *args, stdout=out)
    return out.getvalue()


def test_the_canonical_snapshot_holds_every_unit_and_line_in_fixed_form(two_months):
    w = two_months
    doc = json.loads(snapshot_canonical(w.oct))
    assert doc["campaign"] == w.campaign.pk and doc["month"] == "2026-10-01"
    assert [u["unit_id"] for u in doc["units"]] == sorted([w.unit_a.pk, w.unit_b.pk, w.dept.pk])
    a = next(u for u in doc["units"] if u["unit_id"] == w.unit_a.pk)
    assert (a["score"], a["rank"], a["ranking_group"], a["full_score"], a["finding_deductions"]) == (
        "99.70", 2, "乡镇街道组", "100.00", "0.30"
    )
    assert a["lines"] == [[0, "finding", "人民路（城东段）：主干道两侧垃圾未及时清运", "1.1.1", "人民路（城东段）",
                           "2026-10-12", "-0.30", "inspections.finding", w.f1.pk]]


def test_publishing_stores_a_sha256_digest_chained_to_the_previous_month(two_months):
    w = two_months
    oct_, nov = AssessmentPeriod.objects.get(pk=w.oct.pk), AssessmentPeriod.objects.get(pk=w.nov.pk)
    expected_oct = hashlib.sha256(b"chuangwen-snapshot-v1\n" + b"\n" + snapshot_canonical(oct_)).hexdigest()
    assert oct_.digest == expected_oct and oct_.digest_previous == ""
    assert nov.digest_previous == oct_.digest
    assert nov.digest == hashlib.sha256(
        b"chuangwen-snapshot-v1\n" + oct_.digest.encode() + b"\n" + snapshot_canonical(nov)
    ).hexdigest()
    assert period_digest(nov) == nov.digest and len(nov.digest) == 64
    assert short_digest(nov.digest) == f"{nov.digest[:4]} {nov.digest[4:8]} {nov.digest[8:12]} {nov.digest[12:16]}"
    assert AuditLog.objects.filter(action="period.publish", after__digest=nov.digest).exists()


def test_verify_published_passes_an_untouched_chain(two_months):
    out = verify("--campaign", "taihe-2026")
    assert "正常  泰和市2026年创建全国文明城市 2026年10月" in out
    assert "正常  泰和市2026年创建全国文明城市 2026年11月" in out
    assert "2 个已发布月份的摘要链完整" in out


def test_verify_published_names_the_month_whose_score_was_changed_behind_the_freeze(two_months):
    w = two_months
    with as_owner_without_triggers():
        UnitMonthScore.objects.filter(period=w.oct, unit=w.unit_a).update(score=D("99.80"))
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_published", stdout=out)
    assert "2026年10月" in str(exc.value) and "2026年11月" not in str(exc.value)
    assert "异常  泰和市2026年创建全国文明城市 2026年10月：快照数据（得分、排名或明细）与发布时的摘要不符" in out.getvalue()
    assert "正常  泰和市2026年创建全国文明城市 2026年11月" in out.getvalue()


def test_verify_published_names_a_month_whose_line_or_rank_was_changed(two_months):
    w = two_months
    with as_owner_without_triggers():
        ScoreLineSnapshot.objects.filter(score__period=w.nov).update(points=D("2.00"))
        UnitMonthScore.objects.filter(period=w.oct, unit=w.unit_b).update(rank=2)
    with pytest.raises(CommandError) as exc:
        verify()
    assert "2026年10月" in str(exc.value) and "2026年11月" in str(exc.value)


def test_rewriting_a_months_digest_too_breaks_the_link_of_the_next_month(two_months):
    # Whoever changes October's rows and recomputes October's digest is caught by November's chain.
    w = two_months
    with as_owner_without_triggers():
        UnitMonthScore.objects.filter(period=w.oct, unit=w.unit_a).update(score=D("100.00"))
        oct_ = AssessmentPeriod.objects.get(pk=w.oct.pk)
        AssessmentPeriod.objects.filter(pk=w.oct.pk).update(digest=chain_digest("", snapshot_canonical(oct_)))
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_published", stdout=out)
    assert "2026年11月" in str(exc.value) and "2026年10月" not in str(exc.value)
    assert "与上一发布月份的摘要链接不符" in out.getvalue()


def test_an_unknown_campaign_is_a_clear_error(two_months):
    with pytest.raises(CommandError, match="没有标识为“nope”的创建活动"):
        verify("--campaign", "nope")


def test_revoking_clears_the_digest_and_republishing_chains_again(two_months):
    w = two_months
    period_revoke(campaign=w.campaign, month=NOV, actor=w.admin, reason="复核加分")
    nov = AssessmentPeriod.objects.get(pk=w.nov.pk)
    assert nov.digest == "" and period_digest(nov) == ""
    log = AuditLog.objects.get(action="period.revoke")
    assert len(log.before["digest"]) == 64
    period_publish(campaign=w.campaign, month=NOV, actor=w.admin, today=dt.date(2026, 12, 6))
    nov.refresh_from_db()
    assert nov.digest_previous == AssessmentPeriod.objects.get(pk=w.oct.pk).digest
    assert "2 个已发布月份的摘要链完整" in verify()


def test_the_daily_beat_job_notifies_the_admins_once_per_broken_month(two_months, settings):
    from campaign.models import Membership, Notification, Role
    from reports import jobs

    w = two_months
    entry = settings.CELERY_BEAT_SCHEDULE["reports-verify-published"]
    assert entry["task"] == "reports.jobs.verify_published" == jobs.verify_published.name
    admins = set(Membership.objects.filter(role=Role.ADMIN).values_list("user_id", flat=True))
    assert admins and w.admin.pk in admins
    official_ids = set(Membership.objects.filter(role=Role.OFFICIAL).values_list("user_id", flat=True)) - admins
    jobs.verify_published()  # intact chain: nothing to say
    assert not Notification.objects.filter(key__startswith="published-digest-broken").exists()
    assert not AuditLog.objects.filter(action="period.digest_broken").exists()

    with as_owner_without_triggers():
        UnitMonthScore.objects.filter(period=w.oct, unit=w.unit_a).update(score=D("99.80"))
    jobs.verify_published()
    from django.utils import timezone

    from reports.digest import verify_published_and_notify

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert verify_published_and_notify(today=tomorrow) == []  # the next day's run: still broken, nobody is told twice
    notices = Notification.objects.filter(key__startswith="published-digest-broken")
    assert set(notices.values_list("user_id", flat=True)) == admins and notices.count() == len(admins)
    assert not notices.filter(user_id__in=official_ids).exists()
    assert "2026年10月" in notices.first().message and "2026年11月" not in notices.first().message
    row = AuditLog.objects.get(action="period.digest_broken")
    assert (row.object_id, row.actor_name) == (str(w.oct.pk), "system")
    assert row.after["month"] == "2026-10-01" and row.after["notified"] == len(admins)
