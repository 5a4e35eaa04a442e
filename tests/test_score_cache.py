"""Open months' scores are served from ``reports.score_cache`` and never stale.

Every kind of write that changes a score is made (committed: ``on_commit`` callbacks run, as in
production) after the pages were loaded once and cached; the explanation page and the ranking
page must show the new, hand-computed score on the very next load. October 2026 is open; 城东街道
(unit A) starts at 100.00 with nothing recorded (no task of its is due).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.models import AssessmentPeriod, PeriodStatus
from inspections import services as inspections
from inspections.models import AppealStatus, Bonus, BonusStatus, OverduePenalty
from reports import score_cache, scoring
from reports.services import period_publish, period_revoke
from tests import factories as f

OCT = dt.date(2026, 10, 1)


@pytest.fixture
def w(world, settings):
    """The world with the cache on (turned on after the world is built, so nothing is pending)."""
    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    yield world
    cache.clear()
    score_cache._owed = False


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs the block's on_commit callbacks at its end, like a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def explained(client, unit) -> str:
    page = client.get(f"/reports/months/2026-10/units/{unit.pk}/").content.decode()
    return re.search(r'id="cw-score">([^<]+)<', page).group(1)


def ranked(client, unit) -> str:
    """The score cell of ``unit``'s row on the month's ranking page."""
    page = client.get("/reports/months/2026-10/").content.decode()
    row = re.search(rf"<tr>((?:(?!</tr>).)*>{re.escape(unit.name)}<(?:(?!</tr>).)*)</tr>", page).group(1)
    return re.search(r'text-end fw-bold">([^<]+)<', row).group(1)


def both(client, unit) -> tuple[str, str]:
    return explained(client, unit), ranked(client, unit)


@pytest.fixture
def admin(w, client_for):
    return client_for(w.admin)


def finding(w, points="0.30", unit=None, indicator=None, day=12):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, day), created_by=w.inspector)
    return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit or w.unit_a,
                            indicator=indicator or w.leaf_clean, points=D(points), point=w.point_a,
                            rectify_deadline=dt.date(2026, 12, 31))


def test_a_finding_created_then_withdrawn_shows_at_once(w, admin, commit):
    assert both(admin, w.unit_a) == ("100.00", "100.00")  # cached now
    with commit():
        found = finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        inspections.finding_withdraw(actor=w.admin, finding=found, reason="误登记")
    assert both(admin, w.unit_a) == ("100.00", "100.00")


def test_a_finding_edited_shows_its_new_points(w, admin, commit):
    with commit():
        found = finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        found.points = D("0.20")
        found.save()
    assert both(admin, w.unit_a) == ("99.80", "99.80")


def test_an_approved_bonus_counts_a_pending_one_does_not(w, admin, commit):
    with commit():
        finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        bonus = inspections.bonus_create(actor=w.inspector, campaign=w.campaign, unit=w.unit_a, month=OCT,
                                         points=D("1.50"), reason="获评省级卫生街道")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        inspections.bonus_approve(approver=w.admin, bonus=bonus)
    assert Bonus.objects.get(pk=bonus.pk).status == BonusStatus.APPROVED
    assert both(admin, w.unit_a) == ("101.20", "101.20")  # 100 - 0.30 + 1.50


def test_an_overdue_penalty_deducts_at_once_and_its_removal_gives_it_back(w, admin, commit):
    with commit():
        found = finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        penalty = OverduePenalty.objects.create(finding=found, unit=w.unit_a, campaign=w.campaign, month=OCT, points=D("0.50"))
    assert both(admin, w.unit_a) == ("99.20", "99.20")
    with commit():
        penalty.delete()
    assert both(admin, w.unit_a) == ("99.70", "99.70")


def test_a_correction_shows_at_once(w, admin, commit):
    assert both(admin, w.unit_a) == ("100.00", "100.00")
    with commit():
        inspections.correction_create(actor=w.admin, campaign=w.campaign, unit=w.unit_a, month=OCT,
                                      points=D("-0.40"), reason="补记漏扣")
    assert both(admin, w.unit_a) == ("99.60", "99.60")


def test_an_appeal_decided_shows_at_once(w, admin, commit):
    with commit():
        found = finding(w, "0.30")
        other = finding(w, "0.20", indicator=w.leaf_ads)
    assert both(admin, w.unit_a) == ("99.50", "99.50")
    with commit():
        appeal = inspections.appeal_submit(official=w.official_a, finding=found, reason="当日已清运",
                                           today=dt.date(2026, 10, 13))
    assert both(admin, w.unit_a) == ("99.50", "99.50")  # pending: still deducts
    with commit():
        inspections.appeal_decide(actor=w.admin, appeal=appeal, outcome=AppealStatus.REVOKED, reason="照片显示已清运")
    assert both(admin, w.unit_a) == ("99.80", "99.80")  # only the 0.20 of the other finding
    assert other.pk


def test_a_task_overdue_deducts_and_its_new_deadline_gives_it_back(w, admin, commit):
    assert both(admin, w.unit_a) == ("100.00", "100.00")
    with commit():
        task = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, deadline=dt.date(2026, 10, 20))
    assert both(admin, w.unit_a) == ("99.00", "99.00")  # task_overdue_points 1.00
    with commit():
        task.deadline = dt.date(2026, 12, 20)
        task.save()
    assert both(admin, w.unit_a) == ("100.00", "100.00")
    with commit():
        task.deadline, task.completed_on = dt.date(2026, 10, 20), dt.date(2026, 10, 18)
        task.save()
    assert both(admin, w.unit_a) == ("100.00", "100.00")  # done on time


def test_a_unit_moved_to_another_group_is_ranked_there_at_once(w, admin, commit):
    with commit():
        finding(w, "0.30")  # 城东街道 99.70, 口岸街道 100.00, 市城管局 100.00
    page = admin.get(f"/reports/months/2026-10/units/{w.unit_a.pk}/").content.decode()
    assert "乡镇街道组排名" in page and re.search(r">2<span[^>]*> / 2<", page)
    with commit():
        w.unit_a.ranking_group = w.group_dept
        w.unit_a.save()
    page = admin.get(f"/reports/months/2026-10/units/{w.unit_a.pk}/").content.decode()
    assert "市直部门组排名" in page and re.search(r">2<span[^>]*> / 2<", page)
    assert re.search(r">1<span[^>]*> / 1<", admin.get(f"/reports/months/2026-10/units/{w.unit_b.pk}/").content.decode())
    with commit():
        w.unit_a.active_from = dt.date(2026, 11, 1)  # set up in November: not ranked in October
        w.unit_a.save()
    assert admin.get(f"/reports/months/2026-10/units/{w.unit_a.pk}/").status_code == 404


def test_an_indicator_score_changes_the_cap_at_once(w, admin, commit):
    with commit():
        finding(w, "1.50")
        finding(w, "0.80")
    assert both(admin, w.unit_a) == ("98.00", "98.00")  # 2.30 capped at the indicator's 2.00
    with commit():
        w.leaf_clean.score = D("3.00")
        w.leaf_clean.save()
    assert both(admin, w.unit_a) == ("97.70", "97.70")


def test_a_campaign_setting_shows_at_once(w, admin, commit):
    with commit():
        finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        w.campaign.full_score = D("90.00")
        w.campaign.save()
    assert both(admin, w.unit_a) == ("89.70", "89.70")


def test_publishing_freezes_and_revoking_reopens_the_live_month(w, admin, commit):
    with commit():
        finding(w, "0.30")
    assert both(admin, w.unit_a) == ("99.70", "99.70")
    with commit():
        period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))
    assert AssessmentPeriod.objects.get(campaign=w.campaign, month=OCT).status == PeriodStatus.PUBLISHED
    assert explained(admin, w.unit_a) == "99.70"
    with commit():
        period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="补录遗漏的问题")
    with commit():
        finding(w, "0.20", indicator=w.leaf_ads)
    assert both(admin, w.unit_a) == ("99.50", "99.50")


def test_the_second_load_runs_the_engine_zero_times(w, admin, commit):
    with commit():
        finding(w, "0.30")
        finding(w, "0.50", unit=w.unit_b, indicator=w.leaf_market)
    url = f"/reports/months/2026-10/units/{w.unit_a.pk}/"
    with mock.patch.object(scoring, "score_month", wraps=scoring.score_month) as engine:
        with CaptureQueriesContext(connection) as cold:
            assert admin.get(url).status_code == 200
            assert admin.get("/reports/months/2026-10/").status_code == 200
        assert engine.call_count >= 1
        engine.reset_mock()
        with CaptureQueriesContext(connection) as warm:
            assert admin.get(url).status_code == 200
            assert admin.get("/reports/months/2026-10/").status_code == 200
        assert engine.call_count == 0
    assert len(warm) < len(cold) - 10, (len(cold), len(warm))


def test_a_liaisons_page_shows_their_rank_among_the_group_from_the_cached_month(w, client_for, commit):
    with commit():
        finding(w, "0.30")  # 城东街道 99.70 behind 口岸街道 100.00
    liaison = client_for(w.official_a)
    page = liaison.get(f"/reports/months/2026-10/units/{w.unit_a.pk}/").content.decode()
    assert "99.70" in page and re.search(r">2<span[^>]*> / 2<", page)
    with mock.patch.object(scoring, "score_month", wraps=scoring.score_month) as engine:
        assert explained(liaison, w.unit_a) == "99.70"
    assert engine.call_count == 0


def test_an_entry_computed_before_the_commit_does_not_survive_it(w, admin, django_capture_on_commit_callbacks):
    """Another connection reads the scores between the write and its commit and stores the old
    figures under the version of that moment: the commit's second bump retires them."""
    assert explained(admin, w.unit_a) == "100.00"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        finding(w, "0.30")
    stale = scoring.score_month(campaign=w.campaign, month=OCT, with_lines=False, with_change=False)
    stale.get(w.unit_a.pk).score = D("100.00")
    # The key the other connection would have written (this one has a write pending: set it by hand).
    cache.set(score_cache._key("base", w.campaign, OCT, timezone.localdate()), stale, 3600)
    for callback in callbacks:
        callback()
    assert both(admin, w.unit_a) == ("99.70", "99.70")


def test_the_writing_transaction_sees_its_own_uncommitted_score_and_stores_nothing(w, admin):
    assert explained(admin, w.unit_a) == "100.00"
    finding(w, "0.30")  # not committed: the callbacks stay pending
    assert score_cache.enabled() is False
    with mock.patch.object(score_cache.cache, "set", wraps=score_cache.cache.set) as store:
        assert both(admin, w.unit_a) == ("99.70", "99.70")
    assert not [c for c in store.call_args_list if str(c.args[0]).startswith("scores:") and c.args[0] != score_cache.VERSION_KEY]


def test_the_cache_off_runs_the_engine_every_time(world, client_for, settings):
    settings.SCORE_CACHE_SECONDS = 0
    client = client_for(world.admin)
    with mock.patch.object(scoring, "score_month", wraps=scoring.score_month) as engine:
        explained(client, world.unit_a)
        first = engine.call_count
        explained(client, world.unit_a)
    assert first >= 1 and engine.call_count == 2 * first


def test_the_trend_shows_an_earlier_open_months_new_score_at_once(w, admin, commit):
    url = f"/reports/months/2026-10/units/{w.unit_a.pk}/"
    assert "2026年9月：100.00分（未发布）" in admin.get(url).content.decode()
    with commit():
        finding(w, "0.50", indicator=w.leaf_ads, day=12)
        inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 9, 10), created_by=w.inspector)
        f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_ads,
                         points=D("0.40"), point=w.point_a, rectify_deadline=dt.date(2026, 12, 31))
    page = admin.get(url).content.decode()
    assert "2026年9月：99.60分（未发布）" in page and "2026年10月：99.50分（未发布）" in page
    assert '<span class="text-danger">▼ -0.10</span>' in page  # 较上月: 99.50 - 99.60, as the ranking writes it


def test_a_liaisons_ranking_preview_reads_the_cached_totals_only(w, client_for, commit):
    with commit():
        finding(w, "0.30")
        finding(w, "0.50", unit=w.unit_b, indicator=w.leaf_market)
    liaison = client_for(w.official_a)
    assert ranked(liaison, w.unit_a) == "99.70"
    page = liaison.get("/reports/months/2026-10/").content.decode()
    assert "口岸街道" not in page and "市城管局" not in page
    with mock.patch.object(scoring, "score_month", wraps=scoring.score_month) as engine:
        with mock.patch("reports.data._finding_rows") as finding_rows:
            assert ranked(liaison, w.unit_a) == "99.70"
    assert engine.call_count == 0 and finding_rows.call_count == 0
    with commit():
        finding(w, "0.20", indicator=w.leaf_ads)
    assert ranked(liaison, w.unit_a) == "99.50"


def test_a_checklist_result_changed_shows_at_once_in_pass_rate_mode(w, admin, commit):
    from campaign.models import ScoringMode
    from inspections.models import Check, CheckResult

    with commit():
        w.campaign.scoring_mode = ScoringMode.PASS_RATE
        w.campaign.save()
        inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 9), created_by=w.inspector)
        common = dict(inspection=inspection, point=w.point_a, unit=w.unit_a, month=OCT, checked_by=w.inspector)
        Check.objects.create(indicator=w.leaf_clean, result=CheckResult.PASS, **common)
        ads = Check.objects.create(indicator=w.leaf_ads, result=CheckResult.PASS, **common)
    assert both(admin, w.unit_a) == ("100.00", "100.00")
    with commit():
        ads.result = CheckResult.FAIL
        ads.save()
    # 100 × (2.00 × 1 + 1.00 × 0) ÷ (2.00 + 1.00) = 66.67: the 1.1.2 line loses 33.33
    assert both(admin, w.unit_a) == ("66.67", "66.67")


def test_an_import_bumps_the_version(w):
    from campaign import audit

    before = score_cache.version()
    audit.record("import.export", obj=w.campaign)  # reading is not writing
    assert score_cache.version() == before
    audit.record("import.apply", obj=w.campaign)  # bulk writes send no signals: the audit record does
    assert score_cache.version() != before


def test_an_unreachable_cache_never_fails_a_write_and_pages_score_live(w, admin, commit):
    assert explained(admin, w.unit_a) == "100.00"  # cached
    with mock.patch.object(score_cache.cache, "set", side_effect=ConnectionError("redis down")), \
            mock.patch.object(score_cache.cache, "get", side_effect=ConnectionError("redis down")):
        with commit():
            finding(w, "0.30")  # the bump fails: the write does not
        assert both(admin, w.unit_a) == ("99.70", "99.70")
    assert score_cache._owed is True
    assert both(admin, w.unit_a) == ("99.70", "99.70")  # back: the owed bump retired the old entries
    assert score_cache._owed is False


def test_a_point_renamed_shows_in_the_explanation_lines_at_once(w, admin, commit):
    with commit():
        finding(w, "0.30")
    url = f"/reports/months/2026-10/units/{w.unit_a.pk}/"
    assert "人民路（城东段）：主干道两侧垃圾未及时清运" in admin.get(url).content.decode()
    with commit():
        w.point_a.name = "人民路（东段）"
        w.point_a.save()
    page = admin.get(url).content.decode()
    assert "人民路（东段）：主干道两侧垃圾未及时清运" in page and "人民路（城东段）" not in page
