"""Backup and restore: a pg_dump -Fc dump restored into an empty database gives the same data.

The round trip needs PostgreSQL (CI runs on it); on SQLite it is skipped.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from campaign.management.commands.verify_restore import Fingerprint, compare, database_alias, fingerprint, pg_args, pg_env
from inspections.models import Bonus, BonusStatus
from reports.models import UnitMonthScore
from reports.services import period_publish
from tests import factories as f
from tests.conftest import build_world

OCT = dt.date(2026, 10, 1)

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump/pg_restore round trip needs PostgreSQL (set DATABASE_URL)"
)


def test_differences_in_data_tables_fail_and_in_volatile_tables_only_note():
    source = Fingerprint(counts={"inspections_finding": 2, "django_session": 5}, published_scores=[(1, "2026-10-01", 7, "99.70", 2)])
    same = Fingerprint(counts={"inspections_finding": 2, "django_session": 3}, published_scores=[(1, "2026-10-01", 7, "99.70", 2)])
    problems, notes = compare(source, same, strict=False)
    assert problems == []
    assert notes == ["django_session: 源库 5 行，恢复库 3 行"]
    assert compare(source, same, strict=True)[0] == ["django_session: 源库 5 行，恢复库 3 行"]

    lost = Fingerprint(counts={"inspections_finding": 1, "django_session": 5}, published_scores=[(1, "2026-10-01", 7, "99.80", 2)])
    problems, _ = compare(source, lost, strict=False)
    assert problems == ["inspections_finding: 源库 2 行，恢复库 1 行", "已发布月份得分不一致：源库 1 条，恢复库 1 条"]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="checks the SQLite refusal")
def test_the_restore_check_refuses_sqlite_with_a_reason(db):
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command("verify_restore")


def _published_october():
    w = build_world()
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, points=D("0.30"),
        point=w.point_a, rectify_deadline=dt.date(2026, 12, 31),
    )
    Bonus.objects.create(
        campaign=w.campaign, unit=w.unit_b, month=OCT, points=D("1.00"), reason="获评省级卫生街道",
        status=BonusStatus.APPROVED, created_by=w.admin,
    )
    period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))
    return w


@on_postgres
@pytest.mark.postgres
def test_a_dump_restored_into_an_empty_database_has_the_same_rows_and_published_scores(transactional_db, tmp_path):
    w = _published_october()
    expected = {row.unit_id: row.score for row in UnitMonthScore.objects.all()}
    assert expected == {w.unit_a.pk: D("99.70"), w.unit_b.pk: D("101.00"), w.dept.pk: D("100.00")}

    source = connection.settings_dict
    dump = tmp_path / "chuangwen.dump"
    env, args = pg_env(source), pg_args(source)
    # The documented backup command.
    subprocess.run(["pg_dump", "-Fc", *args, "-f", str(dump), source["NAME"]], env=env, check=True)

    target = f"{source['NAME']}_rt_{os.getpid()}"
    out = io.StringIO()
    try:
        call_command("verify_restore", "--dump", str(dump), "--target-db", target, "--keep", stdout=out)
        assert "恢复检查通过" in out.getvalue()
        assert "已发布得分 3 条一致" in out.getvalue()
        # Read the restored copy ourselves: the published scores are identical.
        with database_alias(target) as alias:
            restored_scores = dict(
                UnitMonthScore.objects.using(alias).filter(period__status="published").values_list("unit_id", "score")
            )
            restored = fingerprint(alias)
        assert restored_scores == expected
        assert restored.counts["inspections_finding"] == 1
        assert restored.counts["campaign_membership"] == 5

        # The check only restores into an empty database.
        with pytest.raises(CommandError, match="已存在"):
            call_command("verify_restore", "--dump", str(dump), "--target-db", target)
    finally:
        subprocess.run(["dropdb", *args, "--if-exists", target], env=env, check=True)
