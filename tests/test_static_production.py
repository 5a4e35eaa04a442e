"""The production static storage collects every file (issue 11: a missing source map stopped collectstatic).

Runs ``collectstatic`` in a subprocess with the real settings (DEBUG off, so
``CompressedManifestStaticFilesStorage``) into a temporary directory, then reads the manifest.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The files, not the database (DATABASE_URL is emptied): .ci/run runs this on PostgreSQL only.
pytestmark = pytest.mark.engine_independent


def _collect(static_root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "STATIC_ROOT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="collect-" + "9c2e7a4b1f" * 6,
        ALLOWED_HOSTS="cw.example.gov.cn",
        DATABASE_URL="",  # collectstatic reads no rows
    )
    code = (
        "import django, sys; django.setup(); from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(static_root)!r}; "
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_collectstatic_with_the_production_storage_passes(tmp_path):
    done = _collect(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/bootstrap/bootstrap.bundle.min.js", "vendor/bootstrap/bootstrap.min.css", "vendor/htmx/htmx.min.js",
                 "css/app.css", "js/actions.js", "admin/css/base.css"):
        hashed = manifest[name]
        assert re.search(r"\.[0-9a-f]{12}\.", hashed), hashed
        assert (tmp_path / hashed).is_file()
        assert (tmp_path / (hashed + ".gz")).is_file()  # WhiteNoise's compressed copy
    # The icon font referenced from the CSS is rewritten to its hashed name.
    css = (tmp_path / manifest["vendor/bootstrap-icons/bootstrap-icons.min.css"]).read_text()
    assert manifest["vendor/bootstrap-icons/fonts/bootstrap-icons.woff2"].rsplit("/", 1)[-1] in css


def test_no_vendored_file_points_at_a_missing_source_map():
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for ref in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(errors="replace")):
            if not ref.startswith("data:") and not (path.parent / ref).is_file():
                missing.append(f"{path.relative_to(ROOT)} → {ref}")
    assert missing == []
