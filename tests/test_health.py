"""/healthz for load balancers, and the optional psycopg connection pool (issue 14, item 5)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

from config import health

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@override_settings(REDIS_URL="")
def test_healthz_answers_200_without_login_when_the_database_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database"}  # no Redis configured, none checked
    assert body["checks"]["database"]["ok"] is True


def test_healthz_answers_503_when_redis_is_down(db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError", "ms": body["checks"]["redis"]["ms"]}
    assert "127.0.0.1" not in response.content.decode()  # no addresses leak


@pytest.mark.skipif(not os.environ.get("REDIS_URL_FOR_TESTS"), reason="needs REDIS_URL_FOR_TESTS")
def test_healthz_checks_a_live_redis(db, settings):
    settings.REDIS_URL = os.environ["REDIS_URL_FOR_TESTS"]
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["redis"]["ok"] is True


@override_settings(REDIS_URL="")
def test_healthz_answers_503_when_the_database_fails(db, monkeypatch):
    def broken(alias: str = "default") -> None:
        raise OperationalError("connection refused to secret-host")

    monkeypatch.setattr(health, "check_database", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"]["error"] == "OperationalError"
    assert "secret-host" not in response.content.decode()


def test_run_checks_reports_each_dependency():
    def bad() -> None:
        raise TimeoutError

    healthy, results = health.run_checks({"a": lambda: None, "b": bad})
    assert healthy is False
    assert results["a"]["ok"] is True and results["b"] == {"ok": False, "error": "TimeoutError", "ms": results["b"]["ms"]}
    assert health.run_checks({"a": lambda: None}) [0] is True


@override_settings(REDIS_URL="", SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_redirected_to_https_but_other_pages_are(db):
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/login/").status_code == 301


def test_healthz_takes_head_but_not_post(db, settings):
    settings.REDIS_URL = ""
    assert Client().head("/healthz").status_code == 200
    assert Client(enforce_csrf_checks=False).post("/healthz").status_code == 405


# ------------------------------------------------------------------ connection pool


def _settings_probe(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DB_POOL"}}
    full.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY="pool-" + "4d7e9a1c3b" * 6,
                ALLOWED_HOSTS="cw.example.gov.cn", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60)


@pytest.mark.engine_independent  # a settings subprocess with its own DATABASE_URL
def test_the_pool_is_off_by_default():
    done = _settings_probe(
        "import django; django.setup(); from django.conf import settings as s; print('pool' in s.DATABASES['default'].get('OPTIONS', {}))",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/chuangwen",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.engine_independent  # a settings subprocess with its own DATABASE_URL
def test_the_pool_is_never_asked_of_sqlite():
    done = _settings_probe(
        "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default'].get('OPTIONS', {}))",
        DATABASE_URL="", DB_POOL="1",
    )
    assert done.returncode == 0, done.stderr
    assert "pool" not in done.stdout


@pytest.mark.skipif("postgres" not in os.environ.get("DATABASE_URL", ""), reason="the pool is PostgreSQL's")
def test_db_pool_gives_each_process_a_psycopg_pool():
    code = (
        "import django; django.setup(); from django.db import connection; "
        "[connection.cursor().execute('SELECT 1') or connection.close() for _ in range(3)]; "
        "connection.ensure_connection(); pool = connection.pool; "
        "print(type(pool).__name__, pool.min_size, pool.max_size, connection.settings_dict['CONN_MAX_AGE'])"
    )
    # The same server and role, on its maintenance database: the one DATABASE_URL names need not exist
    # (pytest-django creates only test_<name>), and a fresh machine's `make test` would fail on it.
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    done = _settings_probe(code, DATABASE_URL=url, DB_POOL="1", DB_POOL_MAX="4", DB_CONN_MAX_AGE="60")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ConnectionPool", "2", "4", "0"]
