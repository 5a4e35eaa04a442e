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
