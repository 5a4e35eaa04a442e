"""gunicorn --preload (README's command) imports config.wsgi once in the master and forks the workers
from it: whatever the import opened would be shared by every worker. It must open no database or Redis
connection, and it should leave the workers nothing to import (docs/benchmarks.md, gunicorn cold start)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, os, sys
sockets_before = None
import config.wsgi  # what the gunicorn master runs with --preload
from django.core.cache import caches
from django.db import connections
from django.urls import get_resolver
from django.utils.translation import get_language

def sockets():
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.append(target)
    return found

resolver = get_resolver()
print(json.dumps({
    "sockets": sockets(),
    "open_db": [c.alias for c in connections.all(initialized_only=True) if c.connection is not None],
    "redis_pools": [alias for alias in caches.settings if getattr(getattr(caches[alias], "_cache", None), "_pools", None)],
    "engine": connections["default"].vendor,
    "cache": caches.settings["default"]["BACKEND"],
    "views_imported": sorted(m for m in ("tasks.views", "snaps.views", "reports.views", "inspections.views") if m in sys.modules),
    "reverse_ready": resolver._populated and get_language() in resolver._reverse_dict,
    "frozen": __import__("gc").get_freeze_count(),
}))
"""


@pytest.mark.engine_independent
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_importing_the_wsgi_application_opens_no_connection_and_leaves_nothing_to_import():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY="prod-" + "7f3a9c1e5b" * 6,
               ALLOWED_HOSTS="chuangwen.example.gov.cn", DB_POOL="1")
    if os.environ.get("REDIS_URL_FOR_TESTS"):
        env["REDIS_URL"] = os.environ["REDIS_URL_FOR_TESTS"]  # the production cache: django's Redis backend
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["sockets"] == [] and facts["open_db"] == [] and facts["redis_pools"] == [], facts
    assert facts["views_imported"] == ["inspections.views", "reports.views", "snaps.views", "tasks.views"]
    assert facts["reverse_ready"] is True
    assert facts["frozen"] > 10_000  # the start-up objects are out of the garbage collector's full collections


def test_the_readme_and_the_smoke_start_gunicorn_with_preload():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith(".venv/bin/gunicorn config.wsgi"))
    assert re.search(r"\s--preload\b", command), command
    assert re.search(r'gunicorn" config\.wsgi .*--preload', (ROOT / "scripts" / "prod_smoke.sh").read_text(encoding="utf-8"))
    assert '"--preload"' in (ROOT / "scripts" / "bench_load.py").read_text(encoding="utf-8")
