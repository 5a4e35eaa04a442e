-- Database roles for chuangwen (docs/security.md, "Database roles"). Run as a PostgreSQL superuser,
-- connected to the site's database, BEFORE the first migrate and again after restoring a dump:
--
--     psql -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d chuangwen -f scripts/db_roles.sql
--
-- It is idempotent and plain SQL (no psql commands), so a test can run it in a transaction.
--
--   chuangwen_owner  owns the database, the schema, every table, trigger and function; used only
--                    by `manage.py migrate` (DATABASE_MIGRATE_URL) and by maintenance done by hand.
--   chuangwen_app    what the site, the Celery workers and beat connect as (DATABASE_URL): SELECT,
--                    INSERT, UPDATE, DELETE on tables and USAGE on sequences, nothing else — no
--                    ownership, so no ALTER/DROP TABLE, no DISABLE/DROP TRIGGER, no TRUNCATE, no
--                    CREATE in the schema. UPDATE/DELETE on the audit log and the publication
--                    history are withheld (append-only); reopening a published month goes through
--                    the SECURITY DEFINER function cw_revoke_publication (migration reports 0006).
--
-- Passwords are not set here: give each login role one (ALTER ROLE … PASSWORD …) where the
-- server does not use local trust/peer authentication.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chuangwen_owner') THEN
        CREATE ROLE chuangwen_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chuangwen_app') THEN
        CREATE ROLE chuangwen_app LOGIN;
    END IF;
END $$;

ALTER ROLE chuangwen_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE chuangwen_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;

-- The owner owns the database and the schema; nobody else creates objects in it.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO chuangwen_owner', current_database());
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO chuangwen_app', current_database());
END $$;
ALTER SCHEMA public OWNER TO chuangwen_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO chuangwen_app;

-- Tables made before these roles existed (e.g. migrated as postgres) pass to the owner, so that
-- the owner's migrations can alter them and the app role never owns anything.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND pg_get_userbyid(c.relowner) <> 'chuangwen_owner'
    LOOP
        EXECUTE format('ALTER TABLE %I OWNER TO chuangwen_owner', r.relname);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proname LIKE 'cw\_%' AND pg_get_userbyid(p.proowner) <> 'chuangwen_owner'
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO chuangwen_owner', r.sig);
    END LOOP;
END $$;

-- Rows only, on what exists now and on whatever the owner's migrations create later.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO chuangwen_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO chuangwen_app;
ALTER DEFAULT PRIVILEGES FOR ROLE chuangwen_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chuangwen_app;
ALTER DEFAULT PRIVILEGES FOR ROLE chuangwen_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO chuangwen_app;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM chuangwen_app;

-- Append-only for the app role (migration reports 0006 withholds the same after a fresh migrate,
-- and its triggers refuse these for any role but the owner).
DO $$
BEGIN
    IF to_regclass('public.campaign_auditlog') IS NOT NULL THEN
        REVOKE UPDATE, DELETE ON campaign_auditlog FROM chuangwen_app;
        -- Only to unlink a deleted account or unit (the trigger of reports 0009 allows nothing else).
        GRANT UPDATE (actor_id, unit_id) ON campaign_auditlog TO chuangwen_app;
    END IF;
    IF to_regclass('public.campaign_periodevent') IS NOT NULL THEN
        REVOKE UPDATE, DELETE ON campaign_periodevent FROM chuangwen_app;
    END IF;
END $$;
