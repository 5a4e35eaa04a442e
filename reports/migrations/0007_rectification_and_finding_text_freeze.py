"""What belongs to a published month and is not a score is frozen too (PostgreSQL; no-op on SQLite).

* ``inspections_finding``: besides the scoring columns (0002), the finding's text and
  facts — description, point, inspection, date found, repeat flag — no longer change
  once its month is published. Rectification goes on (status, accepted_at, deadline).
* ``inspections_rectification`` of a finding whose month is published: never deleted;
  what the unit submitted (finding, round, description, submitter, time, the deadline
  it answered) never changes; the review (status, reviewer, time, comment) is written
  once, on a pending round, and the new deadline of a return once. New rounds may still
  be submitted. So a published month's rectification cannot be edited until it
  contradicts its finding; a mistake is answered by a correction in an open month.
"""
from django.db import migrations

MSG = "该月考核结果已发布并冻结，数据库拒绝修改"

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_freeze_findings() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.campaign_id = NEW.campaign_id AND OLD.unit_id = NEW.unit_id AND OLD.indicator_id = NEW.indicator_id
       AND OLD.points = NEW.points AND OLD.month = NEW.month
       AND (OLD.status = 'withdrawn') = (NEW.status = 'withdrawn')
       AND OLD.description = NEW.description AND OLD.point_id IS NOT DISTINCT FROM NEW.point_id
       AND OLD.inspection_id = NEW.inspection_id AND OLD.found_on = NEW.found_on AND OLD.is_repeat = NEW.is_repeat THEN
        RETURN NEW;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND cw_month_published(OLD.campaign_id, OLD.month) THEN
        RAISE EXCEPTION '%（问题 #%，%月）', '__MSG__', OLD.id, to_char(OLD.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND cw_month_published(NEW.campaign_id, NEW.month) THEN
        RAISE EXCEPTION '%（问题，%月）', '__MSG__', to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_freeze_rectifications() RETURNS trigger AS $$
DECLARE
    c bigint;
    m date;
    o jsonb;
    n jsonb;
BEGIN
    SELECT campaign_id, month INTO c, m FROM inspections_finding WHERE id = OLD.finding_id;
    IF NOT cw_month_published(c, m) THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        -- Moving a round onto a finding of a published month is a change of that month too.
        SELECT campaign_id, month INTO c, m FROM inspections_finding WHERE id = NEW.finding_id;
        IF NEW.finding_id <> OLD.finding_id AND cw_month_published(c, m) THEN
            RAISE EXCEPTION '%（整改，%月）', '__MSG__', to_char(m, 'YYYY-MM') USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '%（整改 #%，%月）', '__MSG__', OLD.id, to_char(m, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    o := to_jsonb(OLD);
    n := to_jsonb(NEW);
    IF o->'finding_id' IS DISTINCT FROM n->'finding_id' OR o->'round' IS DISTINCT FROM n->'round'
       OR o->'description' IS DISTINCT FROM n->'description' OR o->'submitted_by_id' IS DISTINCT FROM n->'submitted_by_id'
       OR o->'submitted_at' IS DISTINCT FROM n->'submitted_at' OR o->'deadline' IS DISTINCT FROM n->'deadline' THEN
        RAISE EXCEPTION '%（整改 #% 的提交内容，%月）', '__MSG__', OLD.id, to_char(m, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF (o->'status' IS DISTINCT FROM n->'status' OR o->'reviewed_by_id' IS DISTINCT FROM n->'reviewed_by_id'
        OR o->'reviewed_at' IS DISTINCT FROM n->'reviewed_at' OR o->'review_comment' IS DISTINCT FROM n->'review_comment')
       AND (OLD.status <> 'pending' OR NEW.status = 'pending') THEN
        RAISE EXCEPTION '%（整改 #% 已验收，验收结果不能更改，%月）', '__MSG__', OLD.id, to_char(m, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF o->'resubmit_deadline' IS DISTINCT FROM n->'resubmit_deadline'
       AND (NEW.status <> 'returned' OR (o->>'resubmit_deadline') IS NOT NULL) THEN
        RAISE EXCEPTION '%（整改 #% 的重新整改时限，%月）', '__MSG__', OLD.id, to_char(m, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS cw_freeze ON inspections_rectification;
CREATE TRIGGER cw_freeze BEFORE UPDATE OR DELETE ON inspections_rectification
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_rectifications();
""".replace("__MSG__", MSG)

SQL_REMOVE = r"""
DROP TRIGGER IF EXISTS cw_freeze ON inspections_rectification;
DROP FUNCTION IF EXISTS cw_freeze_rectifications();
CREATE OR REPLACE FUNCTION cw_freeze_findings() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.campaign_id = NEW.campaign_id AND OLD.unit_id = NEW.unit_id AND OLD.indicator_id = NEW.indicator_id
       AND OLD.points = NEW.points AND OLD.month = NEW.month
       AND (OLD.status = 'withdrawn') = (NEW.status = 'withdrawn') THEN
        RETURN NEW;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND cw_month_published(OLD.campaign_id, OLD.month) THEN
        RAISE EXCEPTION '%（问题 #%，%月）', '__MSG__', OLD.id, to_char(OLD.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND cw_month_published(NEW.campaign_id, NEW.month) THEN
        RAISE EXCEPTION '%（问题，%月）', '__MSG__', to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""".replace("__MSG__", MSG)


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
        ("reports", "0006_revoke_function_truncate_audit_guards"),
        ("inspections", "0002_appeals_round_deadlines_order_overdue"),
    ]

    operations = [migrations.RunPython(install, remove)]
