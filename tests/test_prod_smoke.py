"""The production smoke checker fails loudly: a FAIL line and a non-zero exit, never a silent pass."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "scripts" / "prod_smoke_http.py"


def _run(base: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECKER), "--base", base, "--username", "u", "--password", "p", "--timeout", "5"],
        capture_output=True, text=True, timeout=60,
    )


def test_nothing_listening_is_a_failure():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _run(f"http://127.0.0.1:{port}")
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1].startswith("FAIL:")
    assert "PASS:" not in done.stdout


class _LoginWithoutPolicy(BaseHTTPRequestHandler):
    def do_GET(self):  # a healthy /healthz, then a login page without Content-Security-Policy
        if self.path == "/healthz":
            body, kind = b'{"status": "ok", "checks": {"database": {"ok": true}, "redis": {"ok": true}}}', "application/json"
        else:
            body, kind = "<title>登录</title><form>登录</form>".encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_missing_check_stops_at_its_own_fail_line():
    server = HTTPServer(("127.0.0.1", 0), _LoginWithoutPolicy)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # shutdown() waits a poll
    thread.start()
    try:
        done = _run(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 1
    assert lines[1:3] == ["PASS: GET /login/ 200 — HTTP 200", "PASS: login page is the Chinese one"]
    assert lines[0].startswith("PASS: GET /healthz 200")
    assert lines[-1] == "FAIL: Content-Security-Policy on the login page"


def test_ci_runs_the_production_smoke_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/prod_smoke.sh" in ci
    script = (ROOT / "scripts" / "prod_smoke.sh").read_text()
    for step in ("migrate --noinput", "collectstatic --noinput", "check --deploy --fail-level WARNING", "gunicorn", "worker -Q celery,pdf", "beat", "trap cleanup EXIT"):
        assert step in script, step


def test_the_smoke_script_stops_with_a_fail_line_when_a_service_is_missing():
    # Redis is checked first, so a closed port fails before any database is touched.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "prod_smoke.sh")], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "SMOKE_REDIS": f"redis://127.0.0.1:{port}"},
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == f"FAIL: Redis redis://127.0.0.1:{port}/12 不可用"
