"""Score-line snapshots: check the freeze once per statement instead of once per row (PostgreSQL).

Publishing inserts every line of the month (≈20,000 at city scale) in a few
bulk statements; the row-level trigger of 0002 ran one join per row. These
AFTER … FOR EACH STATEMENT triggers look at the statement's transition table
once. Same rule: no line of a published period may be inserted, changed or
deleted. No-op on SQLite.
"""
from django.db import migrations

MSG = "该月考核结果已发布并冻结，数据库拒绝修改（得分明细快照）"

CHECK = """
    IF EXISTS (
        SELECT 1 FROM {table} r
        JOIN reports_unitmonthscore s ON s.id = r.score_id
        JOIN campaign_assessmentperiod p ON p.id = s.period_id
        WHERE p.status = 'published') THEN
        RAISE EXCEPTION '{msg}' USING ERRCODE = 'check_violation';
    END IF;
"""

SQL_INSTALL = f"""
DROP TRIGGER IF EXISTS cw_freeze ON reports_scorelinesnapshot;

CREATE OR REPLACE FUNCTION cw_freeze_score_lines_new() RETURNS trigger AS $$
BEGIN
{CHECK.format(table="new_rows", msg=MSG)}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_freeze_score_lines_old() RETURNS trigger AS $$
BEGIN
{CHECK.format(table="old_rows", msg=MSG)}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_freeze_score_lines_both() RETURNS trigger AS $$
BEGIN
{CHECK.format(table="old_rows", msg=MSG)}
{CHECK.format(table="new_rows", msg=MSG)}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cw_freeze_insert AFTER INSERT ON reports_scorelinesnapshot
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cw_freeze_score_lines_new();
CREATE TRIGGER cw_freeze_update AFTER UPDATE ON reports_scorelinesnapshot
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cw_freeze_score_lines_both();
CREATE TRIGGER cw_freeze_delete AFTER DELETE ON reports_scorelinesnapshot
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cw_freeze_score_lines_old();
"""

SQL_REMOVE = """
DROP TRIGGER IF EXISTS cw_freeze_insert ON reports_scorelinesnapshot;
DROP TRIGGER IF EXISTS cw_freeze_update ON reports_scorelinesnapshot;
DROP TRIGGER IF EXISTS cw_freeze_delete ON reports_scorelinesnapshot;
DROP FUNCTION IF EXISTS cw_freeze_score_lines_new();
DROP FUNCTION IF EXISTS cw_freeze_score_lines_old();
DROP FUNCTION IF EXISTS cw_freeze_score_lines_both();
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON reports_scorelinesnapshot
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_score_lines();
"""


def _run(schema_editor, sql: str) -> None:
    # No parameters: nothing in the SQL may be taken for a placeholder.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def install(apps, schema_editor):
    _run(schema_editor, SQL_INSTALL)


def remove(apps, schema_editor):
    _run(schema_editor, SQL_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_freeze_triggers")]

    operations = [migrations.RunPython(install, remove)]
