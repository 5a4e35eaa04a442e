"""Issue 14 (a city of 1,000 units at full speed): the fixes that keep figures identical but do less work."""
from __future__ import annotations

from django.utils import timezone

from reports.data import _finding_rows
from tests.test_report_rectification_states import NOV, PUBLISH_DAY, november  # noqa: F401 - the fixture


def test_the_finding_rows_look_the_time_zone_up_once_not_per_round(november, monkeypatch):  # noqa: F811
    """``timezone.localdate`` reads the current time zone on every call (0.4 s on the city month's
    17,000 rounds); the rows convert with the zone read once, with the same states."""
    expected = {row.finding_id: row.rectification_label for row in _finding_rows(
        campaign=november.campaign, month=NOV, as_of=PUBLISH_DAY, unit_ids=None)}
    calls = []
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: calls.append(a) or real(*a, **k))
    rows = _finding_rows(campaign=november.campaign, month=NOV, as_of=PUBLISH_DAY, unit_ids=None)
    assert calls == []
    assert {row.finding_id: row.rectification_label for row in rows} == expected
    assert expected[november.F.pk] == "逾期整改" and expected[november.B.pk] == "按期整改"


def test_postgresql_connections_run_without_jit(db):
    """JIT compilation cost the task dashboard 16 s per grouped count on the bench city (config/settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_trend_point_reads_the_units_own_entry_not_the_whole_month_once_kept(world, settings, monkeypatch):
    """The explanation page's trend: ten open months each unpickled 1,000 units' totals (0.8 s) for one
    unit's score; the score is now kept as the unit's own entry after the first read."""
    import datetime as dt

    from django.core.cache import cache

    from reports import score_cache

    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    score_cache._owed = False
    oct_ = dt.date(2026, 10, 1)
    whole = score_cache.base_scores(campaign=world.campaign, month=oct_)  # some page scored the month
    read = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: read.append(key) or real_get(key, *a, **k))
    first = score_cache.unit_score(campaign=world.campaign, month=oct_, unit_id=world.unit_a.pk)
    read.clear()
    again = score_cache.unit_score(campaign=world.campaign, month=oct_, unit_id=world.unit_a.pk)
    assert first.score == again.score == whole.get(world.unit_a.pk).score
    assert [key for key in read if ":base:" in key] == []
    assert any(f":unit:{world.campaign.pk}:2026-10:" in key for key in read)
    cache.clear()


def _findings(world, n):
    import datetime as dt

    from inspections.models import Finding
    from tests import factories as f

    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    Finding.objects.bulk_create([
        Finding(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean,
                point=world.point_a, description=f"问题{k}", points="0.10", found_on=dt.date(2026, 10, 1 + k % 28),
                month=dt.date(2026, 10, 1), rectify_deadline=dt.date(2026, 11, 30), created_by=world.inspector)
        for k in range(n)
    ])


def test_the_findings_list_counts_no_further_than_its_cap(world, client_for, monkeypatch):
    from inspections import views

    monkeypatch.setattr(views, "FINDINGS_COUNT_CAP", 60)
    _findings(world, 61)
    client = client_for(world.admin)
    html = client.get("/inspections/findings/").content.decode()
    assert 'data-testid="findings-capped"' in html and "超过 60 条" in html
    assert client.get("/inspections/findings/?page=2").content.decode().count('<td data-label="编号">') == 10
    # Below the cap: the exact count, the ordinary pager.
    html = client.get("/inspections/findings/?q=问题1").content.decode()  # 问题1, 问题10–19 → 11
    assert "findings-capped" not in html and html.count('<td data-label="编号">') == 11


def test_the_capped_count_reads_at_most_cap_plus_one_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaign.paging import CappedPaginator
    from inspections.models import Finding

    _findings(world, 30)
    small = CappedPaginator(Finding.objects.all(), 10, cap=50)
    big = CappedPaginator(Finding.objects.all(), 10, cap=20)
    assert (small.count, small.capped, small.num_pages) == (30, False, 3)
    with CaptureQueriesContext(connection) as queries:
        assert (big.count, big.capped, big.num_pages) == (20, True, 2)
    assert len(queries) == 1 and "LIMIT 21" in queries[0]["sql"]


def test_the_findings_list_reads_its_page_from_the_index(world):
    """PostgreSQL: newest first from finding_list_idx (campaign, found_on, id), no sort of every finding."""
    from django.db import connection

    from inspections.selectors import findings_for

    if connection.vendor != "postgresql":
        return
    _findings(world, 200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inspections_finding")
        cursor.execute("SET enable_seqscan = off")
        sql, params = findings_for(world.admin, world.campaign)[:50].query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "finding_list_idx" in plan and "Sort" not in plan


def test_the_progress_sql_has_a_ledger_branch_only_for_measures_some_task_uses(world):
    """Every ledger measure's subquery in each dashboard aggregate cost ~1.2 s of SQL compiling."""
    from ledgers import measures
    from tasks import selectors
    from tasks.models import Task
    from tests import factories as f

    f.TaskFactory(campaign=world.campaign, unit=world.unit_a, code="1", title="志愿服务")
    qs = Task.objects.filter(campaign=world.campaign)
    key = next(iter(measures.MEASURES))
    table = measures.MEASURES[key].model._meta.db_table
    assert selectors.fed_measures(qs) == frozenset()
    assert table not in str(selectors.short_done(qs, selectors.fed_measures(qs)).query)
    f.TaskFactory(campaign=world.campaign, unit=world.unit_b, code="2", title="台账任务", ledger_measure=key)
    assert selectors.fed_measures(qs) == {key}
    assert table in str(selectors.short_done(qs, selectors.fed_measures(qs)).query)
    assert table in str(selectors.short_done(qs).query)  # no set given: every measure, as before
