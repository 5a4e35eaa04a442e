# chuangwen — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
PORT ?= 8000
DEBIAN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
TEST_DEBIAN_PACKAGES := chromium
.PHONY: run test venv system-deps test-system-deps migrate demo bench check clean

# Development and CI: the site's requirements plus the test tools (production installs requirements.txt only).
.venv/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-test.txt
	touch $@

venv: .venv/.installed

# Debian packages the reports need (Chinese font, HarfBuzz subsetting for WeasyPrint).
system-deps:
	@bash scripts/ensure-debian-packages.sh $(DEBIAN_PACKAGES)

test-system-deps:
	@bash scripts/ensure-debian-packages.sh $(DEBIAN_PACKAGES) $(TEST_DEBIAN_PACKAGES)

migrate: venv
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py load_demo

run: venv system-deps demo
	@echo "创文工作平台: http://127.0.0.1:$(PORT)  (演示账号见 README.md)"
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite. DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/chuangwen) selects PostgreSQL;
# integration tests need REDIS_URL_FOR_TESTS (Redis) and are skipped without it.
test: venv test-system-deps
	$(PY) manage.py makemigrations --check --dry-run --settings=config.test_settings
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks run with production settings (DEBUG off: SECRET_KEY required); they serve 127.0.0.1 only.
bench: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
bench: export SECRET_KEY ?= $(shell python3 -c "import secrets; print('bench-' + secrets.token_urlsafe(48))")
bench: export STATIC_ROOT ?= $(CURDIR)/.bench-static
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chuangwen_bench
bench: venv
	@psql "$${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$${DATABASE_URL##*/}'" | grep -q 1 \
	  || createdb --maintenance-db="$${DATABASE_URL%/*}/postgres" "$${DATABASE_URL##*/}"
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py bench_scoring
	$(PY) manage.py bench_reports
	$(PY) manage.py bench_reports --campaign bench-city --month 2025-10 --chunked --processes 2 --repeat 1 --no-baseline
	$(PY) manage.py bench_cockpit
	$(PY) manage.py bench_import
	$(PY) manage.py bench_notices
	$(PY) manage.py bench_snaps
	$(PY) manage.py bench_materials
	$(PY) manage.py bench_ledgers
	$(PY) scripts/bench_findings_export.py floor
	$(PY) scripts/bench_findings_export.py export
	$(PY) scripts/bench_load.py
	$(PY) scripts/bench_surveys.py
	$(PY) scripts/bench_tables.py

check: venv
	DEBUG=1 $(PY) manage.py check

clean:
	rm -rf .venv db.sqlite3 media staticfiles .bench-static
