#!/usr/bin/env bash
# Production smoke test: install and run the site the way README's "生产部署" section tells an
# operator, then use it over HTTP. Called by .ci/run on every CI run; safe to run by hand:
#
#   scripts/prod_smoke.sh            # needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 6379
#
# What it does: DEBUG=0 with a fresh random SECRET_KEY and ALLOWED_HOSTS; a fresh PostgreSQL database
# (SMOKE_DB, dropped and recreated) with the two roles of scripts/db_roles.sql (README step 3: migrate
# connects as chuangwen_owner through DATABASE_MIGRATE_URL, everything else as chuangwen_app); migrate; collectstatic into a temporary STATIC_ROOT; check --deploy
# on the real (HTTPS) settings; demo data and a superuser; gunicorn on 127.0.0.1 (a free port); a Celery
# worker (-Q celery,pdf) and beat on a Redis database of their own (SMOKE_REDIS_DB); then
# scripts/prod_smoke_http.py: login page, a hashed static file, login, a logged-in page, a report job
# through the worker to its download. Serving uses plain HTTP, so SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0
# SECURE_HSTS_SECONDS=0, as README documents for intranets. Everything it starts is stopped on exit.
# Prints PASS:/FAIL: lines; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
BIN="$ROOT/.venv/bin"

SMOKE_DB=${SMOKE_DB:-chuangwen_smoke}
SMOKE_REDIS_DB=${SMOKE_REDIS_DB:-12}
PG=${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}
REDIS_BASE=${SMOKE_REDIS:-redis://127.0.0.1:6379}
WORK=$(mktemp -d -t chuangwen-smoke-XXXXXX)
PIDS=()

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  for log in "$WORK"/*.log; do
    [ -f "$log" ] || continue
    echo "----- last lines of $(basename "$log") -----"
    tail -n 40 "$log"
  done
  exit 1
}

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${SMOKE_KEEP:-0}" != "1" ]; then
    dropdb -h 127.0.0.1 -U postgres --if-exists "$SMOKE_DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    echo "kept: database $SMOKE_DB, files in $WORK"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the environment README's step 4 writes to /etc/chuangwen.env
export DJANGO_SETTINGS_MODULE=config.settings
export DEBUG=0
SECRET_KEY=$("$PY" -c "import secrets; print(secrets.token_urlsafe(50))")
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
PG_HOSTPORT=${PG#postgres://*@}
export DATABASE_URL="postgres://chuangwen_app@$PG_HOSTPORT/$SMOKE_DB"
export DATABASE_MIGRATE_URL="postgres://chuangwen_owner@$PG_HOSTPORT/$SMOKE_DB"
unset DATABASE_ROLE || true
export REDIS_URL="$REDIS_BASE/$SMOKE_REDIS_DB"
export MEDIA_ROOT="$WORK/media"
export STATIC_ROOT="$WORK/static"
# The sweeper's schedule comes round quickly, so beat is seen sending a task to the worker.
export REPORT_SWEEP_SECONDS=${REPORT_SWEEP_SECONDS:-5}
unset SECURE_SSL_REDIRECT SECURE_COOKIES SECURE_HSTS_SECONDS TRUSTED_PROXY REDIS_URL_FOR_TESTS || true
mkdir -p "$MEDIA_ROOT"

redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || fail "Redis $REDIS_URL 不可用"
redis-cli -u "$REDIS_URL" flushdb >/dev/null
pass "Redis database $SMOKE_REDIS_DB emptied"

dropdb -h 127.0.0.1 -U postgres --if-exists "$SMOKE_DB" >/dev/null 2>&1
createdb -h 127.0.0.1 -U postgres "$SMOKE_DB" || fail "createdb $SMOKE_DB"
psql -X -q -v ON_ERROR_STOP=1 "$PG/$SMOKE_DB" -f scripts/db_roles.sql >"$WORK/db_roles.log" 2>&1 || fail "scripts/db_roles.sql"
pass "fresh PostgreSQL database $SMOKE_DB with roles chuangwen_owner and chuangwen_app"

# ---- README step 5: migrate, collectstatic, check --deploy
"$PY" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 || fail "migrate"
pass "migrate (as chuangwen_owner)"
"$PY" manage.py collectstatic --noinput >"$WORK/collectstatic.log" 2>&1 || fail "collectstatic (production manifest storage)"
[ -f "$STATIC_ROOT/staticfiles.json" ] || fail "collectstatic wrote no manifest"
pass "collectstatic into $STATIC_ROOT ($(find "$STATIC_ROOT" -type f | wc -l) files)"
"$PY" manage.py check --deploy --fail-level WARNING >"$WORK/check.log" 2>&1 || fail "check --deploy on the production settings"
pass "check --deploy --fail-level WARNING (HTTPS settings as shipped)"

# Demo data gives the report something to render; a superuser made by the management command logs in.
# load_demo rebuilds demo rows the app role may not delete (audit rows), so it runs as the owner.
DATABASE_ROLE=owner "$PY" manage.py load_demo >"$WORK/load_demo.log" 2>&1 || fail "load_demo"
SMOKE_USER=smoke-admin
SMOKE_PASSWORD="Smoke#$("$PY" -c "import secrets; print(secrets.token_urlsafe(12))")"
DJANGO_SUPERUSER_PASSWORD="$SMOKE_PASSWORD" "$PY" manage.py createsuperuser --noinput --username "$SMOKE_USER" \
  --email smoke@example.gov.cn >"$WORK/createsuperuser.log" 2>&1 || fail "createsuperuser"
pass "demo data and superuser $SMOKE_USER (created as chuangwen_app)"

# ---- README step 6: the three kinds of process (plain HTTP for the smoke, as on an intranet)
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0
PORT=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
"$BIN/gunicorn" config.wsgi -b "127.0.0.1:$PORT" -w 2 --threads 4 --preload --access-logfile - >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
"$BIN/celery" -A config worker -Q celery,pdf -l info --concurrency 1 -n "smoke-$$@%h" >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
"$BIN/celery" -A config beat -l info -s "$WORK/celerybeat-schedule" --pidfile "$WORK/beat.pid" >"$WORK/beat.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login/" 2>/dev/null && break
  sleep 1
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login/" || fail "gunicorn did not answer on 127.0.0.1:$PORT"
pass "gunicorn listening on 127.0.0.1:$PORT"
for _ in $(seq 1 60); do
  grep -q "ready\." "$WORK/worker.log" && break
  sleep 1
done
grep -q "ready\." "$WORK/worker.log" || fail "Celery worker did not start"
pass "Celery worker ready (queues celery, pdf)"

"$PY" scripts/prod_smoke_http.py --base "http://127.0.0.1:$PORT" --username "$SMOKE_USER" --password "$SMOKE_PASSWORD" \
  --timeout "${SMOKE_JOB_TIMEOUT:-240}" || fail "HTTP smoke test"
grep -qE "Task reports\.jobs\.[a-z_]+\[[^]]+\] succeeded" "$WORK/worker.log" || fail "the report was not rendered by the Celery worker"
pass "the report was rendered by the Celery worker, not in the web process"

for _ in $(seq 1 30); do
  grep -q "Sending due task" "$WORK/beat.log" && break
  sleep 1
done
grep -q "Sending due task" "$WORK/beat.log" || fail "Celery beat sent no scheduled task"
pass "Celery beat sends scheduled tasks ($(grep -o 'Sending due task [^ ]*' "$WORK/beat.log" | head -1 | cut -d' ' -f4))"
if grep -q " 500 " "$WORK/gunicorn.log"; then
  fail "gunicorn answered HTTP 500: $(grep ' 500 ' "$WORK/gunicorn.log" | head -3)"
fi
pass "no HTTP 500 in the access log"
echo "PASS: production smoke test (${SECONDS} s)"
