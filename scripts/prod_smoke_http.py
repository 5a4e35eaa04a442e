#!/usr/bin/env python3
"""HTTP half of the production smoke test (scripts/prod_smoke.sh): talks to a running gunicorn.

Standard library only (it checks the server, not Django). Prints one ``PASS:``/``FAIL:`` line per
step and exits non-zero at the first failure.

    prod_smoke_http.py --base http://127.0.0.1:8123 --username smoke-admin --password … [--timeout 240]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


class SmokeFailure(Exception):
    pass


@dataclass
class Answer:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep 3xx visible to the caller
        return None


class Browser:
    """A cookie-keeping client that does not follow redirects (we check where they point)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None, referer: str | None = None) -> Answer:
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method="POST" if data is not None else "GET")
        if referer:
            req.add_header("Referer", self.base + referer)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return Answer(resp.status, url, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, url, {k.lower(): v for k, v in err.headers.items()}, err.read())

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def csrf_token(page: Answer) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise SmokeFailure(f"{page.url} 没有 CSRF 令牌")
    return match.group(1)


def step(name: str, ok: bool, detail: str = "") -> None:
    if not ok:
        raise SmokeFailure(f"{name}{(': ' + detail) if detail else ''}")
    print(f"PASS: {name}{(' — ' + detail) if detail else ''}", flush=True)


def run(base: str, username: str, password: str, timeout: float) -> None:
    b = Browser(base)

    health = b.request("/healthz")
    step("GET /healthz 200 (database and Redis answer)",
         health.status == 200 and b'"database": {"ok": true' in health.body and b'"redis": {"ok": true' in health.body,
         f"HTTP {health.status} {health.text[:160]}")

    login = b.request("/login/")
    step("GET /login/ 200", login.status == 200, f"HTTP {login.status}")
    step("login page is the Chinese one", "登录" in login.text)
    step("Content-Security-Policy on the login page", "script-src 'self'" in login.headers.get("content-security-policy", ""))

    css = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', login.text)
    step("page links the hashed (manifest) static name", css is not None, css.group(1) if css else "no hashed bootstrap.min.css link")
    static = b.request(css.group(1))
    step("hashed static file 200", static.status == 200 and b"Bootstrap" in static.body[:400], f"HTTP {static.status}, {len(static.body)} bytes")
    step("static file cached for a year", "max-age=315360000" in static.headers.get("cache-control", ""), static.headers.get("cache-control", ""))

    wrong = b.request("/login/", {"username": username, "password": password + "x", "csrfmiddlewaretoken": csrf_token(login)}, "/login/")
    step("a wrong password is refused", wrong.status == 200 and "请输入一个正确的" in wrong.text, f"HTTP {wrong.status}")

    login = b.request("/login/")
    signed = b.request("/login/", {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(login)}, "/login/")
    step("POST /login/ signs in (302)", signed.status == 302 and b.cookie("sessionid") is not None,
         f"HTTP {signed.status} → {signed.headers.get('location')}")

    home = b.request("/")
    step("logged-in home page 200", home.status == 200 and "退出" in home.text, f"HTTP {home.status}")

    jobs = b.request("/reports/jobs/")
    step("报表导出 page 200", jobs.status == 200, f"HTTP {jobs.status}")
    months = re.findall(r'<option value="(\d{4}-\d{2})"', jobs.text)
    step("the report form offers months", bool(months), ", ".join(months[:3]))
    report(b, jobs, "workbook-xlsx", months[0], b"PK", timeout)
    # A PDF goes to the worker's `pdf` queue and needs the Chinese fonts of README step 1.
    published = re.findall(r'<option value="(\d{4}-\d{2})">[^<]*（已发布）', jobs.text)
    report(b, b.request("/reports/jobs/"), "bulletin-pdf", (published or months)[0], b"%PDF", timeout)

    bad = b.request("/inspections/findings/?q=%00")
    step("NUL byte answers the Chinese 400 page", bad.status == 400 and "请求有误" in bad.text, f"HTTP {bad.status}")
    missing = b.request("/no-such-page/")
    step("missing page answers the Chinese 404 page", missing.status == 404 and "页面不存在" in missing.text, f"HTTP {missing.status}")


def report(b: Browser, jobs: Answer, kind: str, month: str, magic: bytes, timeout: float) -> None:
    """Ask for one report on the 报表导出 page, poll its job page until done, download it."""
    asked = b.request(
        "/reports/jobs/", {"kind": kind, "month": month, "csrfmiddlewaretoken": csrf_token(jobs)}, "/reports/jobs/"
    )
    location = asked.headers.get("location", "")
    job = re.search(r"/reports/jobs/(\d+)/", location)
    step(f"{kind} {month} requested (302 to the job page)", asked.status == 302 and job is not None, f"HTTP {asked.status} → {location}")

    detail_path = f"/reports/jobs/{job.group(1)}/"
    started = time.monotonic()
    deadline = started + timeout
    status_text = ""
    while True:
        page = b.request(detail_path)
        if page.status != 200:
            raise SmokeFailure(f"job page {detail_path}: HTTP {page.status}")
        if 'data-testid="job-error"' in page.text:
            error = re.search(r'data-testid="job-error">(.*?)</div>', page.text, re.S)
            raise SmokeFailure(f"report job failed: {re.sub(r'<[^>]+>', ' ', error.group(1) if error else page.text[-600:]).strip()}")
        if 'data-testid="job-download"' in page.text:
            break
        status_text = next((s for s in ("排队中", "生成中") if s in page.text), "?")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"report job not done after {timeout:.0f} s (last status {status_text})")
        time.sleep(2)
    step(f"the Celery worker finished the {kind} job", True, f"job {job.group(1)}, {time.monotonic() - started:.0f} s")

    download = b.request(f"{detail_path}download/")
    disposition = download.headers.get("content-disposition", "")
    step(f"{kind} downloads", download.status == 200 and download.body.startswith(magic) and "attachment" in disposition,
         f"HTTP {download.status}, {len(download.body)} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args()
    try:
        run(args.base, args.username, args.password, args.timeout)
    except SmokeFailure as failure:
        print(f"FAIL: {failure}", flush=True)
        return 1
    except Exception as exc:  # a crash of the checker is a failure too, never a silent pass
        print(f"FAIL: {type(exc).__name__}: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
