#!/usr/bin/env bash
# The two database roles end to end (docs/security.md §9). Called by .ci/run; safe to run by hand:
#
#   scripts/db_roles_check.sh        # needs PostgreSQL on 127.0.0.1:5432 with a superuser "postgres"
#
# A fresh database (ROLES_DB, dropped and recreated) is set up by scripts/db_roles.sql, migrated as
# chuangwen_owner (DATABASE_MIGRATE_URL, picked by `manage.py migrate`), loaded with the demo (October
# published) as the owner, then used as chuangwen_app (DATABASE_URL): the digest chain verifies, the
# site's checks pass, and the app role is refused TRUNCATE, DISABLE/DROP TRIGGER, DDL, rewriting the
# audit log and reopening a published month by hand. Prints PASS:/FAIL: lines; exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(pwd)/.venv/bin/python"
ROLES_DB=${ROLES_DB:-chuangwen_roles_ci}
HOST=127.0.0.1
PORT=5432

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

cleanup() {
  local status=$?
  if [ "${ROLES_KEEP:-0}" != "1" ]; then
    dropdb -h "$HOST" -p "$PORT" -U postgres --if-exists "$ROLES_DB" >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT

dropdb -h "$HOST" -p "$PORT" -U postgres --if-exists "$ROLES_DB" >/dev/null 2>&1
createdb -h "$HOST" -p "$PORT" -U postgres "$ROLES_DB" || fail "createdb $ROLES_DB"
psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d "$ROLES_DB" -f scripts/db_roles.sql \
  || fail "scripts/db_roles.sql"
pass "roles chuangwen_owner and chuangwen_app set up on $ROLES_DB"

export DEBUG=1 SECRET_KEY="roles-check-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DATABASE_URL="postgres://chuangwen_app@$HOST:$PORT/$ROLES_DB"
export DATABASE_MIGRATE_URL="postgres://chuangwen_owner@$HOST:$PORT/$ROLES_DB"
unset DATABASE_ROLE REDIS_URL || true
export MEDIA_ROOT
MEDIA_ROOT=$(mktemp -d -t chuangwen-roles-XXXXXX)

"$PY" manage.py migrate --noinput >/dev/null || fail "migrate as chuangwen_owner"
owners=$(psql -X -tA -h "$HOST" -p "$PORT" -U postgres -d "$ROLES_DB" \
  -c "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")
[ "$owners" = "chuangwen_owner" ] || fail "tables owned by: $owners (expected chuangwen_owner)"
pass "migrate ran as chuangwen_owner, which owns every table"

DATABASE_ROLE=owner "$PY" manage.py load_demo >/dev/null || fail "load_demo as the owner"
pass "demo loaded (October published)"

"$PY" manage.py check >/dev/null || fail "manage.py check as chuangwen_app"
"$PY" manage.py verify_published || fail "verify_published as chuangwen_app"
pass "verify_published: the digest chain holds"

app_sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U chuangwen_app -d "$ROLES_DB" -c "$1" >/dev/null 2>&1; }
must_refuse() {
  if app_sql "$1"; then fail "chuangwen_app was allowed: $1"; fi
  pass "refused to chuangwen_app: $1"
}
app_sql "SELECT count(*) FROM reports_unitmonthscore" || fail "chuangwen_app cannot read"
must_refuse "TRUNCATE inspections_bonus"
must_refuse "TRUNCATE reports_unitmonthscore CASCADE"
must_refuse "ALTER TABLE inspections_finding DISABLE TRIGGER cw_freeze"
must_refuse "DROP TRIGGER cw_freeze ON reports_unitmonthscore"
must_refuse "CREATE TABLE cw_scratch (id int)"
must_refuse "UPDATE campaign_auditlog SET message = ''"
must_refuse "DELETE FROM campaign_auditlog"
must_refuse "UPDATE reports_unitmonthscore SET score = score + 1"
must_refuse "INSERT INTO campaign_periodevent (period_id, action, actor_id, at, reason) SELECT id, 'revoke', published_by_id, now(), 'x' FROM campaign_assessmentperiod WHERE status = 'published'"
must_refuse "UPDATE campaign_assessmentperiod SET status = 'open' WHERE status = 'published'"
"$PY" manage.py verify_published >/dev/null || fail "verify_published after the attempts"
pass "the published month is unchanged"

# The site's own revoke and publish, as the app role: cw_revoke_publication runs as the (non-superuser)
# owner, records the event and reopens the month; publishing seals it again and the chain still holds.
"$PY" manage.py shell -c "
from django.contrib.auth import get_user_model
from campaign.models import AssessmentPeriod, PeriodEvent, PeriodStatus
from reports.services import period_publish, period_revoke
p = AssessmentPeriod.objects.filter(status=PeriodStatus.PUBLISHED).order_by('-month').first()
admin = get_user_model().objects.get(username='chuangjianban')
period_revoke(campaign=p.campaign, month=p.month, actor=admin, reason='CI：以应用角色撤销并重新发布')
assert AssessmentPeriod.objects.get(pk=p.pk).status == PeriodStatus.OPEN
assert PeriodEvent.objects.filter(period=p, action='revoke', actor=admin).exists()
period_publish(campaign=p.campaign, month=p.month, actor=admin, confirm_empty=True, confirm_open_appeals=True)
" >/dev/null || fail "revoke and publish through the services as chuangwen_app"
"$PY" manage.py verify_published >/dev/null || fail "verify_published after re-publishing"
pass "revoked (cw_revoke_publication) and published again as chuangwen_app; the chain holds"
rm -rf "$MEDIA_ROOT"
