"""Sessions, cookies, production settings and error pages."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import timezone
from django.views.defaults import server_error

ROOT = Path(__file__).resolve().parent.parent
# Subprocesses that check settings and start-up only, connecting to no database: .ci/run runs them on PostgreSQL only.
ENGINE_INDEPENDENT = pytest.mark.engine_independent


def login(client: Client, world, username: str = "official_a"):
    return client.post("/login/", {"username": username, "password": world.password})


def test_an_idle_session_expires_after_thirty_minutes(world, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request pushes the expiry forward
    client = Client()
    login(client, world)
    assert client.get("/").status_code == 200
    # The user leaves the desk: the server-side expiry passes.
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_each_request_moves_the_server_side_expiry_forward(world):
    client = Client()
    login(client, world)
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    client.get("/")
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + dt.timedelta(minutes=20)


def test_login_gives_a_new_session_id(world):
    client = Client()
    client.get("/login/")
    session = client.session
    session["before_login"] = True
    session.save()
    old_key = session.session_key
    client.cookies["sessionid"] = old_key
    login(client, world)
    new_key = client.cookies["sessionid"].value
    assert new_key and new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


def test_the_old_session_cookie_is_useless_after_logout(world):
    client = Client()
    login(client, world)
    old_key = client.cookies["sessionid"].value
    assert client.post("/logout/").status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    replay = Client()
    replay.cookies["sessionid"] = old_key
    response = replay.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_logout_is_audited(world):
    from campaign.models import AuditLog

    client = Client()
    login(client, world)
    client.post("/logout/")
    assert AuditLog.objects.filter(action="auth.logout", actor=world.official_a).count() == 1


def test_session_and_csrf_cookies_are_httponly_and_samesite(world):
    client = Client()
    client.get("/login/")
    response = login(client, world)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_responses_forbid_framing_and_sniffing(world, client_for):
    response = client_for(world.official_a).get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# ------------------------------------------------------------------ production settings (subprocesses)


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="prod-" + "7f3a9c1e5b" * 6,
        ALLOWED_HOSTS="chuangwen.example.gov.cn",
    )
    env.update(extra)
    return env


@ENGINE_INDEPENDENT
def test_production_settings_pass_the_deploy_check():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@ENGINE_INDEPENDENT
def test_production_cookies_are_secure_and_hsts_is_on():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, s.SECURE_CONTENT_TYPE_NOSNIFF)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True", "True", "True", "DENY", "True"]


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@ENGINE_INDEPENDENT
@pytest.mark.parametrize(
    "key, expected",
    [
        ("abc", "SECRET_KEY 太弱"),  # the key issue 11 saw accepted
        ("x" * 60, "SECRET_KEY 太弱"),  # long but one character
        ("abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd1", "SECRET_KEY 太弱"),  # 49 characters
        ("dev-only-insecure-key-do-not-use-in-production", "公开的开发密钥"),
        ("django-insecure-" + "k3j5h6g7f8d9s0a1" * 3, "公开的开发密钥"),
    ],
)
def test_the_site_refuses_to_start_with_a_weak_secret_key(key, expected):
    done = _start(_production_env(SECRET_KEY=key))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and expected in done.stderr


@ENGINE_INDEPENDENT
def test_a_fifty_character_random_key_is_enough():
    assert _start(_production_env(SECRET_KEY="abcde" * 10)).returncode == 0


@ENGINE_INDEPENDENT
@pytest.mark.parametrize("hosts", ["", " , ", "*"])
def test_the_site_refuses_to_start_without_allowed_hosts(hosts):
    done = _start(_production_env(ALLOWED_HOSTS=hosts))
    assert done.returncode != 0
    assert "ALLOWED_HOSTS" in done.stderr and ("未设置" in done.stderr or "不能包含" in done.stderr)


@ENGINE_INDEPENDENT
def test_debug_mode_needs_neither_key_nor_hosts():
    env = _production_env(DEBUG="1")
    del env["SECRET_KEY"], env["ALLOWED_HOSTS"]
    assert _start(env).returncode == 0, _start(env).stderr


def _proxy_header(**extra: str) -> str:
    code = "import django; django.setup(); from django.conf import settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_production_env(**extra), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@ENGINE_INDEPENDENT
def test_the_forwarded_proto_header_is_trusted_only_behind_a_declared_proxy():
    assert _proxy_header() == "None"
    assert _proxy_header(TRUSTED_PROXY="0") == "None"
    assert _proxy_header(TRUSTED_PROXY="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


@ENGINE_INDEPENDENT
def test_the_site_refuses_to_start_without_a_secret_key():
    env = _production_env()
    del env["SECRET_KEY"]
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "SECRET_KEY 未设置" in done.stderr


# ------------------------------------------------------------------ error pages reveal nothing


def test_a_missing_page_shows_the_chinese_404_page_and_nothing_else(world, client_for, settings):
    assert settings.DEBUG is False
    response = client_for(world.official_a).get("/no-such-page/../etc/passwd")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    for leak in ("URLconf", "Traceback", "urlpatterns", "config.urls", "Django"):
        assert leak not in body


def test_the_500_page_is_chinese_and_reveals_nothing(db):
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统暂时出错" in body
    assert "Traceback" not in body and "Server Error" not in body


def _broken_view(request):
    raise RuntimeError("secret detail 42")


# This module doubles as a tiny URLconf for the 500 test below.
urlpatterns = [path("broken/", _broken_view)]


@pytest.mark.urls(__name__)
def test_an_unhandled_error_shows_the_500_page(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.official_a)
    response = client.get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "系统暂时出错" in body
    assert "secret detail 42" not in body and "RuntimeError" not in body


def _bare_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}


@ENGINE_INDEPENDENT
def test_static_checks_run_on_a_bare_checkout_without_a_secret_key():
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=_bare_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@ENGINE_INDEPENDENT
def test_makemigrations_check_runs_on_a_bare_checkout_too():
    done = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT, env={**_bare_env(), "DATABASE_URL": ""}, capture_output=True, text=True, timeout=120,
    )
    assert "SECRET_KEY" not in done.stderr and "ALLOWED_HOSTS" not in done.stderr, done.stderr


@ENGINE_INDEPENDENT
def test_the_deploy_check_gets_no_throwaway_key():
    # Issue 11: manage.py injected a key, so `check --deploy` passed on a bare checkout.
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=_bare_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "SECRET_KEY 未设置" in done.stderr


@ENGINE_INDEPENDENT
def test_the_deploy_check_refuses_a_weak_key_even_with_hosts():
    env = {**_bare_env(), "SECRET_KEY": "abc", "ALLOWED_HOSTS": "cw.example.gov.cn"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "SECRET_KEY 太弱" in done.stderr


@ENGINE_INDEPENDENT
def test_commands_that_touch_data_still_refuse_without_a_secret_key():
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--plan"], cwd=ROOT, env=_bare_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "SECRET_KEY 未设置" in done.stderr


# ------------------------------------------------------------------ config/hardening.py, directly


@pytest.mark.parametrize(
    "key, problem",
    [
        ("", "未设置"),
        ("abc", "太弱"),
        ("ab" * 30, "太弱"),  # 60 characters, 2 different
        ("dev-only-insecure-key-do-not-use-in-production", "公开的开发密钥"),
        ("Zq8-Lw3_pV9xK2mN7rT4yB6cD1fG5hJ0sA8eU3iO7kW2nQ9zX4vR", None),
    ],
)
def test_secret_key_problem(key, problem):
    from config.hardening import secret_key_problem

    found = secret_key_problem(key)
    assert (found is None) if problem is None else (problem in found)


def test_production_problems_lists_every_reason():
    from config.hardening import production_problems

    problems = production_problems(secret_key="abc", allowed_hosts=[])
    assert len(problems) == 2
    assert "SECRET_KEY" in problems[0] and "ALLOWED_HOSTS" in problems[1]
    assert production_problems(secret_key="Zq8-Lw3_pV9xK2mN7rT4yB6cD1fG5hJ0sA8eU3iO7kW2nQ9zX4vR", allowed_hosts=["cw.example.gov.cn"]) == []


def test_manage_py_gives_throwaway_settings_only_to_static_checks_without_deploy():
    import importlib.util

    spec = importlib.util.spec_from_file_location("manage_module", ROOT / "manage.py")
    manage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manage)
    assert set(manage.static_check_defaults(["manage.py", "check"])) == {"SECRET_KEY", "ALLOWED_HOSTS"}
    assert set(manage.static_check_defaults(["manage.py", "makemigrations", "--check", "--dry-run"])) == {"SECRET_KEY", "ALLOWED_HOSTS"}
    assert manage.static_check_defaults(["manage.py", "check", "--deploy"]) == {}
    assert manage.static_check_defaults(["manage.py", "migrate"]) == {}
    assert manage.static_check_defaults(["manage.py", "runserver"]) == {}


@ENGINE_INDEPENDENT
@pytest.mark.parametrize("missing, message", [("ALLOWED_HOSTS", "ALLOWED_HOSTS 未设置"), ("SECRET_KEY", "SECRET_KEY 未设置")])
def test_gunicorn_as_the_readme_starts_it_refuses_to_serve(missing, message):
    # Issue 11: gunicorn served without ALLOWED_HOSTS although the README said it refuses.
    env = _production_env()
    env[missing] = ""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", "127.0.0.1:0", "-w", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "Worker failed to boot" in done.stderr
