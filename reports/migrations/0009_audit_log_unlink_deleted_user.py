"""The audit log stays append-only, but a deleted user or unit may be unlinked (PostgreSQL; no-op on SQLite).

``AuditLog.actor`` and ``.unit`` are ``SET_NULL``: deleting an account or a unit makes Django run
``UPDATE campaign_auditlog SET actor_id = NULL …``. Under 0006 the app role could not, so deleting
an account that had ever logged in failed with a database error. Now the app role holds UPDATE on
those two columns only, and the trigger lets a non-owner change nothing but set them to NULL (the
row keeps ``actor_name`` and its text); every other UPDATE and every DELETE is still refused.
"""
from django.db import migrations

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_guard_audit_log() RETURNS trigger AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_id' - 'unit_id') = (to_jsonb(OLD) - 'actor_id' - 'unit_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
       AND (NEW.unit_id IS NULL OR NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id) THEN
        RETURN NEW;  -- unlinking a deleted account or unit
    END IF;
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DO $$
DECLARE
    g record;
BEGIN
    -- The roles that append to the log (the app role) may clear its two links.
    FOR g IN
        SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'campaign_auditlog' AND privilege_type = 'INSERT'
          AND grantee NOT IN (current_user, 'PUBLIC')
    LOOP
        EXECUTE format('GRANT UPDATE (actor_id, unit_id) ON campaign_auditlog TO %I', g.grantee);
    END LOOP;
END $$;
"""

SQL_REMOVE = r"""
CREATE OR REPLACE FUNCTION cw_guard_audit_log() RETURNS trigger AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RAISE EXCEPTION '审计日志只能追加，不能修改或删除' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def install(apps, schema_editor):
    _run(schema_editor, SQL_INSTALL)


def remove(apps, schema_editor):
    _run(schema_editor, SQL_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_published_figures_unit_names_append_only")]

    operations = [migrations.RunPython(install, remove)]
