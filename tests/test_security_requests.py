"""Bad requests get a Chinese 4xx page, never a 500; pages carry a Content-Security-Policy with no inline script.

Issue 11: NUL bytes in ``q``/``campaign`` and non-numeric ids on ``suggest``, ``search/indicators`` and
``accountability/new`` answered 500 on PostgreSQL; a 600-character file name got Django's English
"Bad Request (400)"; there was no CSP.
"""
from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from tasks.models import Evidence, ProgressEntry
from tests import factories as f
from tests.test_security_csrf import walk

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def office_client(world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    return client


def assert_chinese_400(response) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert "请求有误" in body
    assert "Bad Request" not in body


# ------------------------------------------------------------------ NUL bytes


@pytest.mark.parametrize("query", ["q=%00", "q=%E5%9F%8E%00x", "campaign=%00", "campaign=taihe-2026%00", "page=1&x%00=1"])
def test_a_nul_byte_in_the_query_string_gets_the_chinese_400_page(world, office_client, query):
    assert_chinese_400(office_client.get(f"/inspections/findings/?{query}"))


def test_every_page_answers_a_nul_byte_with_400_not_500(office_client):
    answered = {}
    for path, name in walk():
        response = office_client.get(path, {"q": "城东\x00", "campaign": "\x00"})
        if response.status_code != 400:
            answered[f"{name} {path}"] = response.status_code
    assert answered == {}


def test_a_query_without_nul_still_reaches_the_page(world, office_client):
    response = office_client.get("/inspections/findings/", {"q": "城东"})
    assert response.status_code == 200


# ------------------------------------------------------------------ ids that are not numbers


@pytest.fixture
def inspection(world):
    from tests.inspections_support import inspection as make_inspection

    return make_inspection(world)


@pytest.mark.parametrize("value", ["abc", "1e3", "1 OR 1=1", "１２", "-1", "9" * 30])
def test_a_non_numeric_id_on_the_point_suggestion_is_404(world, office_client, inspection, value):
    response = office_client.get(f"/inspections/{inspection.pk}/suggest/", {"indicator": value, "point": world.point_a.pk})
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    response = office_client.get(f"/inspections/{inspection.pk}/suggest/", {"indicator": world.leaf_clean.pk, "point": value})
    assert response.status_code == 404


def test_the_point_suggestion_still_answers_real_ids(world, office_client, inspection):
    response = office_client.get(
        f"/inspections/{inspection.pk}/suggest/", {"indicator": world.leaf_clean.pk, "point": world.point_a.pk}
    )
    assert response.status_code == 200


def test_a_non_numeric_inspection_on_the_indicator_search_is_404(world, office_client):
    assert office_client.get("/inspections/search/indicators/", {"inspection": "abc", "q": "干道"}).status_code == 404
    found = office_client.get("/inspections/search/indicators/", {"q": "干道"})
    assert found.status_code == 200
    assert "主次干道整洁" in found.content.decode()


def test_a_non_numeric_finding_on_the_new_accountability_is_404(world, office_client):
    assert office_client.get("/inspections/accountability/new/", {"finding": "abc"}).status_code == 404
    assert office_client.get("/inspections/accountability/new/").status_code == 200


def test_junk_in_every_id_parameter_never_gives_a_500(office_client):
    junk = {name: "abc'" for name in ("inspection", "indicator", "point", "finding", "unit", "type", "task", "month", "group", "phase", "action", "status")}
    failed = {}
    # The admin is left out: Django's own add pages take initial values from the query string and
    # fail on a bad foreign key (staff only; noted for a later issue).
    for path, name in (entry for entry in walk() if not entry[0].startswith("/admin/")):
        response = office_client.get(path, {"campaign": "no-such", "page": "x", **junk})
        if response.status_code >= 500:
            failed[f"{name} {path}"] = response.status_code
    assert failed == {}, "\n".join(sorted(failed))


# ------------------------------------------------------------------ a 600-character file name


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_600_character_file_name_gets_the_chinese_400_page_and_stores_nothing(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    # Built by hand: the test client would cut a file name to 255 characters, a browser does not.
    boundary = "----cw600"
    name = "照" * 596 + ".png"
    fields = {"text": "新建宣传栏", "value": "1", "client_token": str(uuid.uuid4())}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode() for key, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png_bytes() + f"\r\n--{boundary}--\r\n".encode()
    client = client_for(world.official_a)
    response = client.post(f"/tasks/{task.pk}/progress/", body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bad Request" not in body
    assert re.search("文件名|请求有误", body)
    assert not ProgressEntry.objects.exists()
    assert not Evidence.objects.exists()


def test_the_400_page_is_chinese_and_stands_alone(db):
    from django.views.defaults import bad_request
    from django.test import RequestFactory
    from django.core.exceptions import SuspiciousOperation

    response = bad_request(RequestFactory().get("/"), SuspiciousOperation("secret detail 42"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "400 · 请求有误" in body
    assert "secret detail 42" not in body


# ------------------------------------------------------------------ Content-Security-Policy


def test_pages_carry_a_content_security_policy_without_inline_scripts(world, client_for):
    for path in ("/", "/login/", "/inspections/findings/"):
        response = client_for(world.admin).get(path)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'", path
        assert directives["default-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]


def test_the_login_page_has_the_policy_too():
    response = Client().get("/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_an_image_shown_inline_keeps_its_own_stricter_policy(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads)
    client = client_for(world.official_a)
    upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    client.post(f"/tasks/{task.pk}/progress/", {"text": "新建宣传栏", "value": "1", "client_token": str(uuid.uuid4()), "files": [upload]})
    evidence = Evidence.objects.get()
    response = client.get(evidence.get_absolute_url() + "?inline=1")
    assert response.status_code == 200
    # The view's own "default-src 'none' … sandbox" is left alone by the site-wide middleware.
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def template_files() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


def test_no_template_holds_an_inline_script_or_handler():
    offenders = []
    for path in template_files():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JS_URL):
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert offenders == []


def test_the_inline_checks_would_catch_offenders():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert INLINE_HANDLER.search('<button onclick="x()">')
    assert not INLINE_HANDLER.search('<button data-confirm="确定？">')
    assert JS_URL.search('<a href="javascript:void(0)">')


def test_confirmations_and_print_buttons_are_data_attributes_handled_by_a_static_script(world, client_for):
    page = client_for(world.admin).get("/").content.decode()
    assert "/static/js/actions.js" in page
    script = (ROOT / "static/js/actions.js").read_text()
    assert "data-confirm" in script and "window.confirm" in script and "window.print" in script
