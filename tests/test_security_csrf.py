"""CSRF everywhere: every URL pattern refuses a POST without a token, and nothing is exempt.

The walker reads the live URL resolver, so pages added later are covered
without editing this file. Django's CSRF check runs in the middleware before
any view code (before the object is even fetched), so path arguments only need
to match their converter: sample values suffice, and every refusal is checked
to be the CSRF page rather than some other 403.
"""
from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = {"int": "1", "slug": "sample", "str": "sample", "path": "sample/file", "uuid": str(uuid.uuid4())}
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")


def _regex_sample(body: str) -> str:
    """A value for a regex group: the first literal alternative, else a number or a word."""
    first = body.split("|")[0]
    if re.fullmatch(r"[\w\-]+", first):
        return first
    if "\\d" in body or "0-9" in body:
        return "1"
    return "sample"


def _fill(pattern_text: str, is_route: bool) -> str:
    if is_route:
        return _ROUTE_PARAM.sub(lambda m: SAMPLES.get(m.group("conv") or "str", "1"), pattern_text)
    text = _REGEX_GROUP.sub(lambda m: _regex_sample(m.group("body")), pattern_text)
    text = text.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".").replace("\\", "")
    return re.sub(r"[?*+]", "", text)


def walk(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """(path, description) for every URL pattern, with its arguments filled in."""
    found: list[tuple[str, str]] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = entry.pattern
        is_route = hasattr(pattern, "_route")
        text = _fill(pattern._route if is_route else pattern.regex.pattern, is_route)
        if isinstance(entry, URLResolver):
            found += walk(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            found.append(("/" + prefix + text, entry.name or entry.lookup_str))
    return found


@pytest.fixture
def admin_client(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    return client


def test_the_walker_reaches_every_page_of_the_site(world):
    paths = walk()
    unresolved = []
    for path, name in paths:
        try:
            resolve(path)
        except Resolver404:
            unresolved.append((path, name))
    # Catch-all admin patterns and the like must still resolve to something.
    assert not unresolved, unresolved
    names = {name for _, name in paths}
    assert {"login", "logout", "campaign-audit", "campaign-password-change"} <= names
    assert len(paths) > 50  # the admin alone has dozens


def test_every_url_refuses_a_post_without_a_csrf_token(admin_client):
    answered = {}
    for path, name in walk():
        response = admin_client.post(path, {"anything": "1"})
        if response.status_code != 403 or "请求已失效" not in response.content.decode():
            answered[f"{name} {path}"] = response.status_code
    assert answered == {}, "这些地址接受了没有 CSRF 令牌的 POST：%s" % answered


def test_the_csrf_refusal_page_is_chinese_and_reveals_nothing(admin_client):
    response = admin_client.post("/campaign/notifications/read/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "请求已失效" in body
    assert "CSRF" not in body and "Referer" not in body


def test_login_is_csrf_protected_too(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "official_a", "password": world.password})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_post_with_the_token_still_works(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/login/", {"username": "official_a", "password": world.password, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_no_view_is_exempt_from_csrf():
    done = subprocess.run(
        # Uses, not mentions: the decorator, a call, an import, or the attribute set by hand.
        ["grep", "-rnE", r"@csrf_exempt|csrf_exempt\(|import .*csrf_exempt|\.csrf_exempt\s*=", "--include=*.py",
         "campaign", "tasks", "inspections", "reports", "config", "templates"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.stdout == "", done.stdout
    # And at run time: no resolved view carries Django's exemption flag.
    exempt = [name for path, name in walk() if getattr(resolve(path).func, "csrf_exempt", False)]
    assert exempt == []
