"""A published month's finding and its latest rectification round agree (PostgreSQL; no-op on SQLite).

Checked at commit (constraint triggers, DEFERRABLE INITIALLY DEFERRED), so the services may write the
round and the finding in either order within one transaction. For a finding whose month is published
and that has rounds, whenever the finding's status or one of its rounds changes while that month is
published (rows written before the publication are not re-checked):

    latest round 待验收 (pending)  → finding 待验收 (submitted)
    latest round 已通过 (accepted) → finding 已销号 (accepted)
    latest round 已退回 (returned) → finding 已退回 (returned)

With 0007 (a round's content never changes, its review is written once) this means a published
month's rectification record can no longer be made to contradict its finding, by the admin or by
any statement of the app role.
"""
from django.db import migrations

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_rectification_agrees(p_finding bigint) RETURNS void AS $$
DECLARE
    f record;
    latest text;
BEGIN
    SELECT id, campaign_id, month, status INTO f FROM inspections_finding WHERE id = p_finding;
    IF NOT FOUND OR NOT cw_month_published(f.campaign_id, f.month) THEN
        RETURN;
    END IF;
    SELECT status INTO latest FROM inspections_rectification WHERE finding_id = p_finding ORDER BY round DESC LIMIT 1;
    IF latest IS NULL THEN
        RETURN;
    END IF;
    IF (latest = 'pending' AND f.status <> 'submitted') OR (latest = 'accepted' AND f.status <> 'accepted')
       OR (latest = 'returned' AND f.status <> 'returned') THEN
        RAISE EXCEPTION '已发布月份的问题 #% 与其整改记录不一致（最新一轮整改为“%”，问题状态为“%”），数据库拒绝提交',
            p_finding, latest, f.status USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

-- Whether a finding's month is published right now (evaluated when a row changes: only changes made
-- while the month is published are checked at commit).
CREATE OR REPLACE FUNCTION cw_finding_published(p_finding bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM inspections_finding f
        JOIN campaign_assessmentperiod p ON p.campaign_id = f.campaign_id AND p.month = f.month AND p.status = 'published'
        WHERE f.id = p_finding
    );
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION cw_rectification_agrees_rect() RETURNS trigger AS $$
BEGIN
    PERFORM cw_rectification_agrees(NEW.finding_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_rectification_agrees_finding() RETURNS trigger AS $$
BEGIN
    PERFORM cw_rectification_agrees(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS cw_agrees ON inspections_rectification;
CREATE CONSTRAINT TRIGGER cw_agrees AFTER INSERT OR UPDATE ON inspections_rectification
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (cw_finding_published(NEW.finding_id))
    EXECUTE FUNCTION cw_rectification_agrees_rect();
DROP TRIGGER IF EXISTS cw_agrees ON inspections_finding;
CREATE CONSTRAINT TRIGGER cw_agrees AFTER UPDATE OF status ON inspections_finding
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND cw_month_published(NEW.campaign_id, NEW.month))
    EXECUTE FUNCTION cw_rectification_agrees_finding();
"""

SQL_REMOVE = r"""
DROP TRIGGER IF EXISTS cw_agrees ON inspections_rectification;
DROP TRIGGER IF EXISTS cw_agrees ON inspections_finding;
DROP FUNCTION IF EXISTS cw_rectification_agrees_rect();
DROP FUNCTION IF EXISTS cw_rectification_agrees_finding();
DROP FUNCTION IF EXISTS cw_rectification_agrees(bigint);
DROP FUNCTION IF EXISTS cw_finding_published(bigint);
"""


def _run(schema_editor, sql: str) -> None:
    # No parameters: the "%" of RAISE formats must reach PostgreSQL untouched.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def install(apps, schema_editor):
    _run(schema_editor, SQL_INSTALL)


def remove(apps, schema_editor):
    _run(schema_editor, SQL_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_audit_log_unlink_deleted_user")]

    operations = [migrations.RunPython(install, remove)]
