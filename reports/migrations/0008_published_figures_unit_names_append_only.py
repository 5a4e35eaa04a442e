"""A publication's frozen figures keep the unit names as published, and on PostgreSQL they are
append-only: a row of ``reports_publishedfigures`` can be inserted (by ``period_publish``), never
updated, and deleted only by a role with the owner's rights (the demo loader's wipe), like
``campaign_periodevent`` in 0006; a revoked publication keeps its row as history. No-op on SQLite.
"""
from django.db import migrations, models

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_published_figures_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '发布时冻结的整改及任务数据不能修改或删除（记录 #%）', OLD.id USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cw_published_figures_append_only ON reports_publishedfigures;
CREATE TRIGGER cw_published_figures_append_only BEFORE UPDATE OR DELETE ON reports_publishedfigures
    FOR EACH ROW EXECUTE FUNCTION cw_published_figures_append_only();
"""

SQL_REMOVE = r"""
DROP TRIGGER IF EXISTS cw_published_figures_append_only ON reports_publishedfigures;
DROP FUNCTION IF EXISTS cw_published_figures_append_only();
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

    dependencies = [
        ("reports", "0007_rectification_and_finding_text_freeze"),
    ]

    operations = [
        migrations.AddField(
            model_name="publishedfigures",
            name="units",
            field=models.JSONField(blank=True, default=dict, help_text="发布时各单位的名称（单位编号 → 名称）", verbose_name="单位名称"),
        ),
        migrations.RunPython(install, remove),
    ]
