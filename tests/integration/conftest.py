"""Integration tests: a real Celery worker over a real Redis, against the PostgreSQL test database.

They need ``DATABASE_URL`` pointing at PostgreSQL and ``REDIS_URL_FOR_TESTS`` (e.g.
``redis://127.0.0.1:6379/6``; only that Redis database is flushed). Without them the tests are
skipped, unless ``CHUANGWEN_REQUIRE_SERVICES=1`` (CI) where a missing service is a failure.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
# Short broker visibility timeout so a killed worker's message comes back within the test;
# the report time limits stay below it, as config/settings.py requires.
VISIBILITY_TIMEOUT = 15


def _missing_services() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "集成测试需要 PostgreSQL：请设置 DATABASE_URL=postgres://…"
    url = os.environ.get("REDIS_URL_FOR_TESTS", "")
    if not url:
        return "集成测试需要 Redis：请设置 REDIS_URL_FOR_TESTS（如 redis://127.0.0.1:6379/6）"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"无法连接 REDIS_URL_FOR_TESTS={url}：{exc}"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    reason = _missing_services()
    if reason:
        if os.environ.get("CHUANGWEN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"CHUANGWEN_REQUIRE_SERVICES=1，但{reason}")
        pytest.skip(reason)
    return os.environ["REDIS_URL_FOR_TESTS"]


def _database_url(settings) -> str:
    db = settings.DATABASES["default"]  # NAME is the pytest test database here
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_over_redis(redis_url, settings, tmp_path, transactional_db) -> Iterator[Callable[..., subprocess.Popen]]:
    """Point this process's Celery app at Redis and give a ``start_worker(**env)`` that starts real workers.

    Every worker started is killed (SIGKILL to its process group) at the end; the Redis database is
    flushed before and after.
    """
    import redis

    from config.celery import app

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    visibility = VISIBILITY_TIMEOUT
    # The app reads Django settings with the CELERY_ namespace, so the keys carry the prefix here.
    keys = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_TRANSPORT_OPTIONS")
    old = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        CELERY_BROKER_URL=redis_url, CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": visibility},
    )
    assert app.conf.broker_url == redis_url and not app.conf.task_always_eager
    _reset_pools(app)
    workers: list[subprocess.Popen] = []

    def start_worker(name: str, *, beat: bool = False, concurrency: int = 1, **extra_env: str) -> subprocess.Popen:
        """A real worker (or, with ``beat=True``, the beat scheduler) in its own process group."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": _database_url(settings),
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media),
            "CELERY_VISIBILITY_TIMEOUT": str(visibility),
            "REPORT_SOFT_TIME_LIMIT": "10",
            "REPORT_TIME_LIMIT": "12",
            # Short liveness intervals (production: 15 s / 120 s / 120 s), so the sweeper acts within the test.
            "REPORT_HEARTBEAT_SECONDS": "1",
            "REPORT_STALE_SECONDS": "6",
            "REPORT_SWEEP_SECONDS": "2",
            **extra_env,
        }
        log = open(tmp_path / f"{name}.log", "wb")
        if beat:
            argv = [CELERY, "-A", "config", "beat", "-s", str(tmp_path / f"{name}-schedule"), "--loglevel=INFO"]
        else:
            argv = [CELERY, "-A", "config", "worker", "-Q", "celery,pdf", "-c", str(concurrency), "--without-gossip",
                    "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h", "--loglevel=INFO"]
        worker = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        worker.log_path = tmp_path / f"{name}.log"  # type: ignore[attr-defined]
        worker.log_handle = log  # type: ignore[attr-defined]
        workers.append(worker)
        return worker

    yield start_worker

    for worker in workers:
        kill_worker(worker)
        worker.log_handle.close()  # type: ignore[attr-defined]
    app.conf.update(**old)
    _reset_pools(app)
    client.flushdb()


def point_broker(url: str) -> None:
    """Send this (web) process's Celery messages to ``url`` from now on (e.g. a Redis that is down)."""
    from config.celery import app

    app.conf.update(CELERY_BROKER_URL=url)
    assert app.conf.broker_url == url
    _reset_pools(app)


def _reset_pools(app) -> None:
    """Drop the broker connection pools so the next message uses the broker now configured."""
    from kombu import pools

    pools.reset()  # closes and forgets kombu's registries of connection/producer pools
    app._pool = None
    app.amqp._producer_pool = None


def kill_worker(worker: subprocess.Popen) -> None:
    """kill -9 the worker and its pool children (its own process group)."""
    if worker.poll() is None:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=10)


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, worker: subprocess.Popen | None = None) -> object:
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    log = ""
    if worker is not None:
        log = Path(worker.log_path).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]
    pytest.fail(f"等待超时（{timeout} 秒）：{what}\n{log}")


class OwnRedis:
    """A redis-server of the test's own, on a free port, persisting like production: AOF, fsync every second."""

    def __init__(self, folder: Path) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"],
            stdout=open(self.folder / "redis.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        import redis

        wait_for(lambda: _pings(redis.Redis.from_url(self.url, socket_connect_timeout=1)), timeout=20, what="Redis 启动")

    def kill(self) -> None:
        """kill -9: no shutdown save, only what the append-only file already holds survives."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def own_redis(redis_url, tmp_path) -> Iterator[OwnRedis]:
    folder = tmp_path / "own-redis"
    folder.mkdir()
    server = OwnRedis(folder)
    server.start()
    yield server
    server.kill()
