"""PostgreSQL triggers that freeze a published month (no-op on SQLite).

Refused once the row's month is published in ``campaign_assessmentperiod``
(same campaign), with SQLSTATE 23514 (check_violation → Django IntegrityError):

* ``inspections_finding``: INSERT into, DELETE from, and UPDATE of the scoring
  columns (campaign, unit, indicator, points, month, withdrawn or not) for the
  old and the new month. Other columns (rectification status, accepted_at)
  keep moving after publication: a finding of October is rectified in November.
* ``inspections_overduepenalty``, ``inspections_correction``,
  ``inspections_bonus``: any INSERT, UPDATE, DELETE (old and new month).
* ``inspections_check``: the same; its campaign comes from its inspection.
* ``reports_unitmonthscore`` / ``reports_scorelinesnapshot``: any change while
  their period is published. Publishing inserts them before the period flips
  to published; revoking flips it back to open before deleting them.
* ``campaign_assessmentperiod``: a published period cannot be deleted, moved
  to another campaign or month, or reopened unless a revocation
  (``campaign_periodevent`` action 'revoke') has been recorded after it was
  published.
"""
from django.db import migrations

MSG = "该月考核结果已发布并冻结，数据库拒绝修改"

SQL_INSTALL = r"""
CREATE OR REPLACE FUNCTION cw_month_published(p_campaign bigint, p_month date) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM campaign_assessmentperiod
        WHERE campaign_id = p_campaign AND month = p_month AND status = 'published'
    );
$$ LANGUAGE sql STABLE;

-- Tables with campaign_id and month: any change in a published month is refused.
CREATE OR REPLACE FUNCTION cw_freeze_month_rows() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND cw_month_published(OLD.campaign_id, OLD.month) THEN
        RAISE EXCEPTION '%（%，%月）', '__MSG__', TG_TABLE_NAME, to_char(OLD.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND cw_month_published(NEW.campaign_id, NEW.month) THEN
        RAISE EXCEPTION '%（%，%月）', '__MSG__', TG_TABLE_NAME, to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Findings: rectification goes on after publication, so only the scoring columns are frozen.
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

-- Checks carry no campaign: it is their inspection's.
CREATE OR REPLACE FUNCTION cw_freeze_checks() RETURNS trigger AS $$
DECLARE
    c bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT campaign_id INTO c FROM inspections_inspection WHERE id = OLD.inspection_id;
        IF cw_month_published(c, OLD.month) THEN
            RAISE EXCEPTION '%（检查清单，%月）', '__MSG__', to_char(OLD.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT campaign_id INTO c FROM inspections_inspection WHERE id = NEW.inspection_id;
        IF cw_month_published(c, NEW.month) THEN
            RAISE EXCEPTION '%（检查清单，%月）', '__MSG__', to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_freeze_unit_scores() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM campaign_assessmentperiod WHERE id = OLD.period_id AND status = 'published') THEN
        RAISE EXCEPTION '%（月度得分快照）', '__MSG__' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
        SELECT 1 FROM campaign_assessmentperiod WHERE id = NEW.period_id AND status = 'published') THEN
        RAISE EXCEPTION '%（月度得分快照）', '__MSG__' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cw_freeze_score_lines() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM reports_unitmonthscore s JOIN campaign_assessmentperiod p ON p.id = s.period_id
        WHERE s.id = OLD.score_id AND p.status = 'published') THEN
        RAISE EXCEPTION '%（得分明细快照）', '__MSG__' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
        SELECT 1 FROM reports_unitmonthscore s JOIN campaign_assessmentperiod p ON p.id = s.period_id
        WHERE s.id = NEW.score_id AND p.status = 'published') THEN
        RAISE EXCEPTION '%（得分明细快照）', '__MSG__' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

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

DROP TRIGGER IF EXISTS cw_freeze ON inspections_overduepenalty;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON inspections_overduepenalty
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_month_rows();
DROP TRIGGER IF EXISTS cw_freeze ON inspections_correction;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON inspections_correction
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_month_rows();
DROP TRIGGER IF EXISTS cw_freeze ON inspections_bonus;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON inspections_bonus
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_month_rows();
DROP TRIGGER IF EXISTS cw_freeze ON inspections_finding;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON inspections_finding
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_findings();
DROP TRIGGER IF EXISTS cw_freeze ON inspections_check;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON inspections_check
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_checks();
DROP TRIGGER IF EXISTS cw_freeze ON reports_unitmonthscore;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON reports_unitmonthscore
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_unit_scores();
DROP TRIGGER IF EXISTS cw_freeze ON reports_scorelinesnapshot;
CREATE TRIGGER cw_freeze BEFORE INSERT OR UPDATE OR DELETE ON reports_scorelinesnapshot
    FOR EACH ROW EXECUTE FUNCTION cw_freeze_score_lines();
DROP TRIGGER IF EXISTS cw_guard ON campaign_assessmentperiod;
CREATE TRIGGER cw_guard BEFORE UPDATE OR DELETE ON campaign_assessmentperiod
    FOR EACH ROW EXECUTE FUNCTION cw_guard_period();
""".replace("__MSG__", MSG)

SQL_REMOVE = """
DROP TRIGGER IF EXISTS cw_freeze ON inspections_overduepenalty;
DROP TRIGGER IF EXISTS cw_freeze ON inspections_correction;
DROP TRIGGER IF EXISTS cw_freeze ON inspections_bonus;
DROP TRIGGER IF EXISTS cw_freeze ON inspections_finding;
DROP TRIGGER IF EXISTS cw_freeze ON inspections_check;
DROP TRIGGER IF EXISTS cw_freeze ON reports_unitmonthscore;
DROP TRIGGER IF EXISTS cw_freeze ON reports_scorelinesnapshot;
DROP TRIGGER IF EXISTS cw_guard ON campaign_assessmentperiod;
DROP FUNCTION IF EXISTS cw_guard_period();
DROP FUNCTION IF EXISTS cw_freeze_score_lines();
DROP FUNCTION IF EXISTS cw_freeze_unit_scores();
DROP FUNCTION IF EXISTS cw_freeze_checks();
DROP FUNCTION IF EXISTS cw_freeze_findings();
DROP FUNCTION IF EXISTS cw_freeze_month_rows();
DROP FUNCTION IF EXISTS cw_month_published(bigint, date);
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
        ("reports", "0001_initial"),
        ("inspections", "0001_initial"),
        ("campaign", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, remove)]
