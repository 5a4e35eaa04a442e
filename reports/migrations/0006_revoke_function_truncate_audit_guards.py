"""A freeze the application's own database role cannot break (PostgreSQL; no-op on SQLite).

Replaces the period guard of 0002 and adds (docs/security.md, "Database roles"):

* ``cw_revoke_publication(period_id, user_id, reason)``: SECURITY DEFINER, runs as
  the owner. Checks the reason, that the period is published, that no later month
  of the campaign is published, and that the user is an active superuser or 创建办
  管理员; then records the ``revoke`` event, reopens the period and deletes its
  snapshot. It is the only way a published month reopens.
* ``campaign_assessmentperiod``: a published period cannot be deleted, moved, have
  its publication columns or digest changed, or reopen — except inside
  ``cw_revoke_publication`` (a transaction-local flag that only counts for a role
  with the owner's rights, so the app role cannot fake it).
* ``campaign_periodevent``: events are never updated; ``revoke`` rows are written
  only by the function; only the owner may delete (the demo loader).
* ``campaign_auditlog``: UPDATE and DELETE refused for every role but the owner
  (and no grants for the others); the retention purge goes through
  ``cw_purge_audit(days)`` (SECURITY DEFINER, at least 180 days).
* Statement-level ``TRUNCATE`` guards on the frozen tables and the audit log: only
  the owner may truncate (Django's test flush runs as the owner).

The digests of months published before this migration are computed here, so that
``verify_published`` has a chain from the first month.
"""
from django.db import migrations

# A role acts with the owner's rights when it is (a member of) the owner of the table — inside a
# SECURITY DEFINER function of the owner, or a superuser. The app role never is.
OWNER_CHECK = "pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')"
REVOKING = "(coalesce(current_setting('cw.revoking', true), '') = {id}::text AND " + OWNER_CHECK + ")"

FROZEN_TABLES = (
    "inspections_finding", "inspections_check", "inspections_overduepenalty", "inspections_correction",
    "inspections_bonus", "inspections_rectification", "reports_unitmonthscore", "reports_scorelinesnapshot",
    "reports_publishedfigures", "campaign_assessmentperiod", "campaign_periodevent", "campaign_auditlog",
)

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_guard_period() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status <> 'published' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '已发布的月度考核不能删除，请先撤销发布' USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.campaign_id <> OLD.campaign_id OR NEW.month <> OLD.month THEN
        RAISE EXCEPTION '已发布的月度考核不能更改活动或月份' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status <> 'published' THEN
        IF NOT __REVOKING_OLD__ THEN
            RAISE EXCEPTION '撤销已发布的月度考核只能通过撤销发布功能（cw_revoke_publication）' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.digest IS DISTINCT FROM OLD.digest OR NEW.digest_previous IS DISTINCT FROM OLD.digest_previous
       OR NEW.published_at IS DISTINCT FROM OLD.published_at OR NEW.published_by_id IS DISTINCT FROM OLD.published_by_id THEN
        RAISE EXCEPTION '已发布的月度考核不能更改发布时间、发布人或快照摘要' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_guard_period_events() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '发布记录不能修改' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF NOT __OWNER__ THEN
            RAISE EXCEPTION '发布记录不能删除' USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.action <> 'publish' AND NOT __REVOKING_NEW__ THEN
        RAISE EXCEPTION '撤销发布记录只能由撤销发布功能（cw_revoke_publication）写入' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_guard_audit_log() RETURNS trigger AS $$
BEGIN
    IF NOT __OWNER__ THEN
        RAISE EXCEPTION '审计日志只能追加，不能修改或删除' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_guard_truncate() RETURNS trigger AS $$
BEGIN
    IF NOT __OWNER__ THEN
        RAISE EXCEPTION '数据库拒绝清空该表（%）', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_revoke_publication(p_period bigint, p_user bigint, p_reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    per campaign_assessmentperiod%ROWTYPE;
    event_id bigint;
BEGIN
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION '撤销发布必须填写原因' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM auth_user u WHERE u.id = p_user AND u.is_active
        AND (u.is_superuser OR EXISTS (SELECT 1 FROM campaign_membership m WHERE m.user_id = u.id AND m.role = 'admin'))) THEN
        RAISE EXCEPTION '只有创建办管理员可以撤销月度考核结果的发布' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO per FROM campaign_assessmentperiod WHERE id = p_period FOR UPDATE;
    IF NOT FOUND OR per.status <> 'published' THEN
        RAISE EXCEPTION '该月考核结果尚未发布，无需撤销' USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM campaign_assessmentperiod
               WHERE campaign_id = per.campaign_id AND month > per.month AND status = 'published') THEN
        RAISE EXCEPTION '之后的月份已发布，请先撤销较晚月份的发布' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('cw.revoking', p_period::text, true);
    INSERT INTO campaign_periodevent (period_id, action, actor_id, at, reason)
        VALUES (p_period, 'revoke', p_user, now(), btrim(p_reason)) RETURNING id INTO event_id;
    UPDATE campaign_assessmentperiod SET status = 'open', digest = '', digest_previous = '' WHERE id = p_period;
    DELETE FROM reports_scorelinesnapshot WHERE score_id IN (SELECT id FROM reports_unitmonthscore WHERE period_id = p_period);
    DELETE FROM reports_unitmonthscore WHERE period_id = p_period;
    PERFORM set_config('cw.revoking', '', true);
    RETURN event_id;
END;
$$;

CREATE OR REPLACE FUNCTION cw_purge_audit(p_days integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF p_days IS NULL OR p_days < 180 THEN
        RAISE EXCEPTION '审计日志至少保留 180 天' USING ERRCODE = 'check_violation';
    END IF;
    DELETE FROM campaign_auditlog WHERE at < now() - make_interval(days => p_days);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

DROP TRIGGER IF EXISTS cw_guard ON campaign_periodevent;
CREATE TRIGGER cw_guard BEFORE INSERT OR UPDATE OR DELETE ON campaign_periodevent
    FOR EACH ROW EXECUTE FUNCTION cw_guard_period_events();
DROP TRIGGER IF EXISTS cw_append_only ON campaign_auditlog;
CREATE TRIGGER cw_append_only BEFORE UPDATE OR DELETE ON campaign_auditlog
    FOR EACH ROW EXECUTE FUNCTION cw_guard_audit_log();
"""

# Whatever another role was granted on these tables (default privileges included): the log and the
# publication history are append-only for everyone but the owner; nobody else truncates anything.
SQL_REVOKE = r"""
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT DISTINCT grantee, table_name, privilege_type FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND grantee NOT IN (current_user, 'PUBLIC')
          AND ((table_name IN ('campaign_auditlog', 'campaign_periodevent') AND privilege_type IN ('UPDATE', 'DELETE'))
               OR (table_name IN (__FROZEN__) AND privilege_type IN ('TRUNCATE', 'TRIGGER')))
    LOOP
        EXECUTE format('REVOKE %s ON %I FROM %I', g.privilege_type, g.table_name, g.grantee);
    END LOOP;
END $$;
"""

SQL_REMOVE = """
DROP TRIGGER IF EXISTS cw_guard ON campaign_periodevent;
DROP TRIGGER IF EXISTS cw_append_only ON campaign_auditlog;
DROP FUNCTION IF EXISTS cw_revoke_publication(bigint, bigint, text);
DROP FUNCTION IF EXISTS cw_purge_audit(integer);
DROP FUNCTION IF EXISTS cw_guard_period_events();
DROP FUNCTION IF EXISTS cw_guard_audit_log();
"""

# The period guard of 0002, for the way back.
SQL_OLD_GUARD = r"""
CREATE OR REPLACE FUNCTION cw_guard_period() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'published' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '已发布的月度考核不能删除，请先撤销发布' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.campaign_id <> OLD.campaign_id OR NEW.month <> OLD.month THEN
        RAISE EXCEPTION '已发布的月度考核不能更改活动或月份' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status <> 'published' AND NOT EXISTS (
        SELECT 1 FROM campaign_periodevent e
        WHERE e.period_id = OLD.id AND e.action = 'revoke' AND (OLD.published_at IS NULL OR e.at >= OLD.published_at)) THEN
        RAISE EXCEPTION '撤销已发布的月度考核必须先记录撤销原因' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _sql(text: str) -> str:
    return (
        text.replace("__REVOKING_OLD__", REVOKING.format(id="OLD.id"))
        .replace("__REVOKING_NEW__", REVOKING.format(id="NEW.period_id"))
        .replace("__OWNER__", OWNER_CHECK)
        .replace("__FROZEN__", ", ".join(f"'{t}'" for t in FROZEN_TABLES))
    )


def _truncate_guards(install: bool) -> str:
    parts = []
    for table in FROZEN_TABLES:
        parts.append(f"DROP TRIGGER IF EXISTS cw_no_truncate ON {table};")
        if install:
            parts.append(
                f"CREATE TRIGGER cw_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION cw_guard_truncate();"
            )
    if not install:
        parts.append("DROP FUNCTION IF EXISTS cw_guard_truncate();")
    return "\n".join(parts)


def _run(schema_editor, sql: str) -> None:
    # No parameters: the "%" of RAISE formats must reach PostgreSQL untouched.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def backfill_digests(apps, schema_editor):
    """Seal the months published before digests existed (oldest first, chained per campaign)."""
    from reports.digest import chain_digest, snapshot_canonical

    Period = apps.get_model("campaign", "AssessmentPeriod")
    Score = apps.get_model("reports", "UnitMonthScore")
    Line = apps.get_model("reports", "ScoreLineSnapshot")
    previous: dict[int, str] = {}
    for period in Period.objects.filter(status="published").order_by("campaign_id", "month"):
        before = previous.get(period.campaign_id, "")
        if not period.digest:
            period.digest_previous = before
            period.digest = chain_digest(before, snapshot_canonical(period, score_model=Score, line_model=Line))
            period.save(update_fields=["digest", "digest_previous"])
        previous[period.campaign_id] = period.digest


def install(apps, schema_editor):
    _run(schema_editor, _sql(SQL_INSTALL) + _truncate_guards(True) + _sql(SQL_REVOKE))


def remove(apps, schema_editor):
    _run(schema_editor, SQL_REMOVE + _truncate_guards(False) + SQL_OLD_GUARD)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_job_heartbeat_and_chunks"),
        ("campaign", "0003_unit_active_dates_period_digest"),
    ]

    operations = [
        # Before the new guard: it refuses changing a published month's digest.
        migrations.RunPython(backfill_digests, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
