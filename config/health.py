"""``/healthz`` for load balancers: is this web process able to serve (database, Redis)?

No login, no session, no template: a JSON body and 200 when every configured dependency answers,
503 otherwise. Errors are named by their class only (no connection strings, no hosts).
"""
from __future__ import annotations

import time
from typing import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

REDIS_TIMEOUT_SECONDS = 2


def check_database(alias: str = "default") -> None:
    """Raise unless the database answers ``SELECT 1``."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer")


def check_redis(url: str) -> None:
    """Raise unless Redis at ``url`` answers PING within a couple of seconds."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        if not client.ping():
            raise RuntimeError("no PONG")
    finally:
        client.close()


def run_checks(checks: dict[str, Callable[[], None]]) -> tuple[bool, dict[str, dict]]:
    """Run each check, timing it; returns (all passed, per-check results)."""
    results: dict[str, dict] = {}
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure of a dependency means "not healthy", never a 500
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return all(r["ok"] for r in results.values()), results


def configured_checks() -> dict[str, Callable[[], None]]:
    """The dependencies this installation uses: the database always, Redis when REDIS_URL is set."""
    checks: dict[str, Callable[[], None]] = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = lambda: check_redis(settings.REDIS_URL)
    return checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, results = run_checks(configured_checks())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)
