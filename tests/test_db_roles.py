"""The freeze the application's own database role cannot break (issue 11, item 3; PostgreSQL only).

scripts/db_roles.sql is run inside the test's transaction (rolled back afterwards): the test
database's tables pass to ``chuangwen_owner`` and ``chuangwen_app`` gets rows only. Each attempt
runs as the app role (``SET LOCAL ROLE``) inside a savepoint, which also ends the role.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from campaign.models import AssessmentPeriod, AuditLog, PeriodEvent, PeriodStatus
from inspections.models import Bonus, BonusStatus
from reports.models import ScoreLineSnapshot, UnitMonthScore
from reports.services import period_publish, period_revoke
from tests import factories as f

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles and triggers: PostgreSQL only"),
]

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
ROLES_SQL = Path(settings.BASE_DIR, "scripts", "db_roles.sql").read_text(encoding="utf-8")


@pytest.fixture
def published(world):
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 12), created_by=w.inspector)
    w.finding = f.FindingFactory(
        campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, points=D("0.30"),
        point=w.point_a, rectify_deadline=dt.date(2026, 12, 31),
    )
    w.bonus = Bonus.objects.create(
        campaign=w.campaign, unit=w.unit_b, month=OCT, points=D("1.00"), reason="获评省级卫生街道",
        status=BonusStatus.APPROVED, created_by=w.admin,
    )
    w.period = period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))
    with connection.cursor() as cursor:
        # Django's deferred foreign-key checks would block ALTER TABLE … OWNER in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(ROLES_SQL)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return w


@contextmanager
def as_app():
    """Run the block as chuangwen_app in a savepoint (an error rolls the savepoint and the role back)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE chuangwen_app")
        yield cursor
        cursor.execute("RESET ROLE")


def refused(sql: str, params=None, match: str | None = None) -> str:
    with pytest.raises(DatabaseError) as exc, as_app() as cursor:
        cursor.execute(sql, params)
    message = str(exc.value)
    if match is not None:
        assert match in message, message
    return message


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_the_roles_script_gives_the_app_role_rows_only(published):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'chuangwen_app'"
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'chuangwen_owner'")
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT has_table_privilege('chuangwen_app', 'inspections_bonus', 'UPDATE'),"
            " has_table_privilege('chuangwen_app', 'inspections_bonus', 'TRUNCATE'),"
            " has_table_privilege('chuangwen_app', 'inspections_bonus', 'TRIGGER'),"
            " has_table_privilege('chuangwen_app', 'campaign_auditlog', 'INSERT'),"
            " has_table_privilege('chuangwen_app', 'campaign_auditlog', 'UPDATE'),"
            " has_table_privilege('chuangwen_app', 'campaign_auditlog', 'DELETE'),"
            " has_schema_privilege('chuangwen_app', 'public', 'CREATE')"
        )
        assert cursor.fetchone() == (True, False, False, True, False, False, False)
    assert current_user() == "postgres"


def test_the_app_role_cannot_truncate_alter_or_drop_the_freeze(published):
    refused("TRUNCATE inspections_bonus", match="permission denied")
    refused("TRUNCATE reports_unitmonthscore CASCADE", match="permission denied")
    refused("ALTER TABLE inspections_bonus DISABLE TRIGGER cw_freeze", match="must be owner")
    refused("ALTER TABLE reports_unitmonthscore DISABLE TRIGGER ALL", match="must be owner")
    refused("DROP TRIGGER cw_freeze ON inspections_finding", match="must be owner")
    refused("DROP FUNCTION cw_month_published(bigint, date) CASCADE", match="must be owner")
    refused("CREATE TABLE cw_scratch (id int)", match="permission denied")
    assert current_user() == "postgres"
    assert Bonus.objects.filter(pk=published.bonus.pk).exists()
    assert UnitMonthScore.objects.filter(period=published.period).count() == 3


def test_the_truncate_guard_holds_even_if_truncate_were_granted(published):
    with connection.cursor() as cursor:
        cursor.execute("GRANT TRUNCATE ON inspections_bonus, campaign_auditlog TO chuangwen_app")
    refused("TRUNCATE inspections_bonus", match="数据库拒绝清空该表（inspections_bonus）")
    refused("TRUNCATE campaign_auditlog", match="数据库拒绝清空该表（campaign_auditlog）")
    assert Bonus.objects.filter(pk=published.bonus.pk).exists()


def test_the_audit_log_is_append_only_for_the_app_role(published):
    log = AuditLog.objects.get(action="period.publish")
    refused("UPDATE campaign_auditlog SET message = 'x' WHERE id = %s", [log.pk], match="permission denied")
    refused("DELETE FROM campaign_auditlog WHERE id = %s", [log.pk], match="permission denied")
    # Granted by mistake, the trigger still refuses.
    with connection.cursor() as cursor:
        cursor.execute("GRANT UPDATE, DELETE ON campaign_auditlog TO chuangwen_app")
    refused("UPDATE campaign_auditlog SET message = 'x' WHERE id = %s", [log.pk], match="审计日志只能追加")
    refused("DELETE FROM campaign_auditlog WHERE id = %s", [log.pk], match="审计日志只能追加")
    # Appending is the app's job.
    with as_app():
        AuditLog.objects.create(action="test.append", actor_name="system", message="追加一条")
    assert AuditLog.objects.get(pk=log.pk).message == log.message
    assert AuditLog.objects.filter(action="test.append").count() == 1


def test_deleting_an_account_only_unlinks_its_audit_rows(published):
    w = published
    gone = f.UserFactory(username="short_lived")
    log = AuditLog.objects.create(action="auth.login", actor=gone, actor_name="short_lived", message="登录成功")
    refused("UPDATE campaign_auditlog SET actor_id = %s WHERE id = %s", [w.admin.pk, log.pk], match="审计日志只能追加")
    refused("UPDATE campaign_auditlog SET actor_id = NULL, message = '' WHERE id = %s", [log.pk], match="permission denied")
    with as_app():
        gone.delete()
    log.refresh_from_db()
    assert (log.actor_id, log.actor_name, log.message) == (None, "short_lived", "登录成功")


def test_the_purge_keeps_at_least_180_days_and_runs_as_the_app_role(published):
    old = AuditLog.objects.create(action="test.old", actor_name="system", message="旧记录")
    AuditLog.objects.filter(pk=old.pk).update(at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    refused("SELECT cw_purge_audit(30)", match="至少保留 180 天")
    with as_app() as cursor:
        cursor.execute("SELECT cw_purge_audit(180)")
        assert cursor.fetchone()[0] == 1
    assert not AuditLog.objects.filter(pk=old.pk).exists()
    assert AuditLog.objects.filter(action="period.publish").exists()


def test_an_inserted_revoke_row_no_longer_reopens_a_month(published):
    # The attack of the issue: insert a 'revoke' event, reopen, rewrite the snapshot.
    w = published
    with pytest.raises(IntegrityError, match="只能由撤销发布功能"), transaction.atomic():
        PeriodEvent.objects.create(period=w.period, action=PeriodEvent.Action.REVOKE, actor=w.admin, reason="x")
    refused(
        "INSERT INTO campaign_periodevent (period_id, action, actor_id, at, reason) VALUES (%s, 'revoke', %s, now(), 'x')",
        [w.period.pk, w.admin.pk], match="只能由撤销发布功能",
    )
    with pytest.raises(IntegrityError, match="只能通过撤销发布功能"), transaction.atomic():
        AssessmentPeriod.objects.filter(pk=w.period.pk).update(status=PeriodStatus.OPEN)
    # The function's flag is worthless without the owner's rights.
    refused(
        "SELECT set_config('cw.revoking', %s, true); UPDATE campaign_assessmentperiod SET status = 'open' WHERE id = %s",
        [str(w.period.pk), w.period.pk], match="只能通过撤销发布功能",
    )
    refused("UPDATE campaign_periodevent SET reason = 'x'", match="permission denied")
    refused("DELETE FROM campaign_periodevent", match="permission denied")
    with pytest.raises(IntegrityError, match="发布记录不能修改"), transaction.atomic():
        PeriodEvent.objects.filter(period=w.period).update(reason="改写")
    with pytest.raises(IntegrityError, match="不能更改发布时间、发布人或快照摘要"), transaction.atomic():
        AssessmentPeriod.objects.filter(pk=w.period.pk).update(digest="0" * 64)
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.PUBLISHED
    assert not PeriodEvent.objects.filter(action="revoke").exists()


def test_the_revoke_function_checks_the_user_and_the_reason(published):
    w = published
    refused("SELECT cw_revoke_publication(%s, %s, %s)", [w.period.pk, w.leader.pk, "数据有误"], match="只有创建办管理员")
    refused("SELECT cw_revoke_publication(%s, %s, %s)", [w.period.pk, w.admin.pk, "  "], match="必须填写原因")
    w.admin.is_active = False
    w.admin.save(update_fields=["is_active"])
    refused("SELECT cw_revoke_publication(%s, %s, %s)", [w.period.pk, w.admin.pk, "数据有误"], match="只有创建办管理员")
    assert AssessmentPeriod.objects.get(pk=w.period.pk).status == PeriodStatus.PUBLISHED


def test_the_app_role_publishes_and_revokes_through_the_services(published):
    w = published
    with as_app():
        period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="口岸街道加分材料不全")
        assert current_user() == "chuangwen_app"
    period = AssessmentPeriod.objects.get(pk=w.period.pk)
    assert period.status == PeriodStatus.OPEN and period.digest == ""
    event = PeriodEvent.objects.get(period=period, action="revoke")
    assert (event.actor_id, event.reason) == (w.admin.pk, "口岸街道加分材料不全")
    assert not UnitMonthScore.objects.filter(period=period).exists()
    assert not ScoreLineSnapshot.objects.filter(score__period=period).exists()
    assert AuditLog.objects.get(action="period.revoke").before["scores"][str(w.unit_a.pk)] == "99.70"
    with as_app():
        period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 6))
    assert AssessmentPeriod.objects.get(pk=w.period.pk).status == PeriodStatus.PUBLISHED


def test_a_month_is_revoked_only_while_no_later_month_is_published(published):
    w = published
    period_publish(campaign=w.campaign, month=NOV, actor=w.admin, today=dt.date(2026, 12, 5), confirm_empty=True)
    with pytest.raises(ValidationError, match="2026年11月的考核结果已发布，请先撤销2026年11月"):
        period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="复核")
    refused("SELECT cw_revoke_publication(%s, %s, %s)", [w.period.pk, w.admin.pk, "复核"], match="之后的月份已发布")
    period_revoke(campaign=w.campaign, month=NOV, actor=w.admin, reason="复核")
    period_revoke(campaign=w.campaign, month=OCT, actor=w.admin, reason="复核")
    assert not AssessmentPeriod.objects.filter(status=PeriodStatus.PUBLISHED).exists()
