"""Which database URL a process uses (config/settings.py ``database_url``; docs/security.md §9)."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import database_url

APP = "postgres://chuangwen_app@127.0.0.1:5432/chuangwen"
OWNER = "postgres://chuangwen_owner@127.0.0.1:5432/chuangwen"
BOTH = {"DATABASE_URL": APP, "DATABASE_MIGRATE_URL": OWNER}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["manage.py", "migrate"], BOTH, OWNER),
        (["/srv/chuangwen/manage.py", "migrate", "reports"], BOTH, OWNER),
        (["manage.py", "runserver"], BOTH, APP),
        (["manage.py", "load_demo"], BOTH, APP),
        (["manage.py", "load_demo"], {**BOTH, "DATABASE_ROLE": "owner"}, OWNER),
        (["manage.py", "migrate"], {**BOTH, "DATABASE_ROLE": "app"}, APP),
        (["/srv/.venv/bin/gunicorn", "config.wsgi"], BOTH, APP),
        (["/srv/.venv/bin/celery", "-A", "config", "worker"], BOTH, APP),
        (["pytest", "migrate"], BOTH, APP),  # only manage.py's command counts
        (["manage.py", "migrate"], {"DATABASE_URL": APP}, APP),  # one role: everything uses it
    ],
)
def test_migrate_runs_as_the_owner_and_everything_else_as_the_app_role(argv, env, expected):
    assert database_url(argv, env) == expected


def test_without_database_url_the_embedded_sqlite_is_used():
    assert database_url(["manage.py", "migrate"], {}).startswith("sqlite:///")


def test_a_bad_role_setting_refuses_to_start_with_a_chinese_reason():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_ROLE 只能是 app 或 owner"):
        database_url(["manage.py", "shell"], {**BOTH, "DATABASE_ROLE": "root"})
    with pytest.raises(ImproperlyConfigured, match="需要同时设置 DATABASE_MIGRATE_URL"):
        database_url(["manage.py", "shell"], {"DATABASE_URL": APP, "DATABASE_ROLE": "owner"})
