#!/usr/bin/env python3
"""The public survey page's numbers (issue 16): its weight, a slow 3G phone, and 200 residents at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen_bench .venv/bin/python scripts/bench_surveys.py

What it does, with production-like settings (DEBUG=0, gunicorn on 127.0.0.1, the same environment as
``scripts/bench_load.py``, whose helpers it reuses):

1. migrates, then builds a fresh bench survey (5 questions like the demo's: 知晓, 支持, a rating, a
   multiple choice, a short text; quotas of 40 in 5 communities) in campaign ``bench-surveys``;
2. **weight**: fetches the public page and every stylesheet/script it loads with ``Accept-Encoding:
   gzip`` (static files are served pre-compressed by WhiteNoise; the HTML is gzipped here as the
   reverse proxy would), target < 100 KB in all;
3. **slow 3G**: headless Chromium at 375 px with CDP ``Network.emulateNetworkConditions`` set to
   DevTools' "Slow 3G" (2,000 ms latency, 50 KB/s down and up), time until the form's submit button is
   visible (target < 3 s); ``--screenshot DIR`` saves what the phone shows;
4. **load** (gunicorn as README's production command: 4 gthread workers × 4 threads, ``DB_POOL=1``;
   ``--threads 1`` for sync workers): ``--clients`` (200) residents, each with their own cookie jar (device) and address
   (``X-Real-IP`` behind ``TRUSTED_PROXY=1``, as nginx sets it), each GETs the form, then they POST
   their answers ``--concurrency`` (20) at a time (``--burst``: all 200 in the same instant); then
   counts the stored responses (none lost, none twice: exactly one per client) and reports p50/p95 of
   the POSTs (target p95 < 1 s, no errors).

gunicorn is stopped on exit, whatever happens. Client side: standard library (urllib, threads).
"""
from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import os
import re
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench_load  # noqa: E402  (the shared gunicorn/environment helpers)

SLUG = "bench-surveys"
TITLE = "基准问卷：创建全国文明城市群众知晓率调查"
WEIGHT_TARGET_KB = 100
SLOW3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
SLOW3G_TARGET_S = 3.0
P95_TARGET_S = 1.0


def prepare() -> dict:
    """A fresh bench survey (in this process, with the environment already set); returns its token and ids."""
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from campaign.models import Campaign, CampaignKind, Unit, UnitType
    from surveys import services
    from surveys.models import QuestionKind, Survey, SurveyStatus

    campaign, _ = Campaign.objects.get_or_create(slug=SLUG, defaults=dict(
        name="基准问卷活动", kind=CampaignKind.CIVILIZED_CITY, year=2026, city_name="基准市",
        start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)))
    Survey.objects.filter(campaign=campaign).delete()
    areas = []
    for i in range(1, 6):
        unit, _ = Unit.objects.get_or_create(name=f"基准问卷社区{i}", defaults={"unit_type": UnitType.COMMUNITY})
        areas.append(unit)
    survey = Survey.objects.create(campaign=campaign, title=TITLE, intro="为了解群众对创建工作的知晓和满意程度，请花两分钟填写。")
    qs = [
        services.question_add(survey=survey, kind=QuestionKind.SINGLE, text="您是否知道我市正在创建全国文明城市？",
                              measure="aware", options_text="*知道\n不知道"),
        services.question_add(survey=survey, kind=QuestionKind.SINGLE, text="您是否支持创建全国文明城市工作？",
                              measure="support", options_text="*支持\n无所谓\n不支持"),
        services.question_add(survey=survey, kind=QuestionKind.RATING, text="您对所在社区的环境卫生满意吗？", measure="satisfied"),
        services.question_add(survey=survey, kind=QuestionKind.MULTIPLE, text="您通过哪些渠道了解创建工作？",
                              options_text="宣传栏、公益广告\n社区宣传活动\n电视、广播\n微信、网络\n其他"),
        services.question_add(survey=survey, kind=QuestionKind.TEXT, text="您的意见和建议", required=False),
    ]
    for unit in areas:
        services.quota_set(survey=survey, unit=unit, target=40)
    services.survey_set_status(survey=survey, status=SurveyStatus.OPEN)
    info = {
        "token": survey.token, "survey": survey.pk, "areas": [u.pk for u in areas],
        "questions": [(q.pk, q.kind, [o.pk for o in q.options.all()]) for q in qs],
    }
    connection.close()
    return info


def stored_responses(survey_id: int) -> tuple[int, int]:
    """(responses, distinct submission keys) of the bench survey, read after the load."""
    from django.db import connection

    from surveys.models import Response

    total = Response.objects.filter(survey_id=survey_id).count()
    keys = Response.objects.filter(survey_id=survey_id).values("submission_key").distinct().count()
    connection.close()
    return total, keys


class Resident:
    """One phone: its own cookies (the device cookie) and its own address."""

    def __init__(self, base: str, ip: str) -> None:
        self.base, self.ip = base, ip
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, float]:
        req = urllib.request.Request(self.base + path, data=data, headers={"X-Real-IP": self.ip, **(headers or {})})
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as resp:
                body, status = resp.read(), resp.status
        except urllib.error.HTTPError as err:
            body, status = err.read(), err.code
        return status, body, time.perf_counter() - start


def answer_form(html: str, info: dict, n: int) -> bytes:
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    data: list[tuple[str, str]] = [("csrfmiddlewaretoken", csrf), ("key", key), ("area", str(info["areas"][n % 5]))]
    for pk, kind, options in info["questions"]:
        if kind == "single":
            data.append((f"q{pk}", str(options[0 if n % 10 else -1])))
        elif kind == "multiple":
            data += [(f"q{pk}", str(o)) for o in options[: 1 + n % 3]]
        elif kind == "rating":
            data.append((f"q{pk}", str(3 + n % 3)))
        else:
            data.append((f"q{pk}", f"第{n}位居民的建议：背街小巷保洁要加强。"))
    return urllib.parse.urlencode(data).encode()


def weight(base: str, path: str) -> list[tuple[str, int, int]]:
    """(what, bytes as sent, bytes raw) of the page and each stylesheet/script it loads."""
    client = Resident(base, "10.0.0.1")
    status, body, _ = client.request(path)
    if status != 200:
        raise SystemExit(f"问卷页面返回 {status}")
    rows = [("HTML（gzip 后）", len(gzip.compress(body, 6)), len(body))]
    for ref in re.findall(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', body.decode()):
        if ref.startswith("/static/"):
            _, gz, _ = client.request(ref, headers={"Accept-Encoding": "gzip"})
            _, raw, _ = client.request(ref)
            rows.append((ref, len(gz), len(raw)))
    return rows


def slow_3g(base: str, path: str, screenshot: str | None) -> float:
    """Seconds until the submit button is visible on a 375 px phone over emulated Slow 3G."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW3G)
            start = time.perf_counter()
            page.goto(base + path, wait_until="commit")
            page.get_by_role("button", name="提交").wait_for(state="visible", timeout=30_000)
            seconds = time.perf_counter() - start
            page.wait_for_load_state("load")
            if screenshot:
                Path(screenshot).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(screenshot) / "survey-public-375.png"), full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
            if wide:
                print("警告：375 px 下出现横向滚动")
            return seconds
        finally:
            browser.close()


def load(base: str, path: str, info: dict, clients: int, concurrency: int) -> tuple[list[float], int, float]:
    """``clients`` residents, ``concurrency`` of them at a time (all of them at once with ``--burst``):
    each GETs the form, then POSTs one answer; returns (POST seconds, errors, wall seconds)."""
    residents = [Resident(base, f"10.{1 + i // 250}.{i % 250}.{7 + i % 200}") for i in range(clients)]
    forms: list[bytes | None] = [None] * clients
    for n, resident in enumerate(residents):  # the forms first: the measured part is the submissions
        status, body, _ = resident.request(path)
        forms[n] = answer_form(body.decode(), info, n) if status == 200 else None
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = list(range(clients))

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                if not queue:
                    return
                n = queue.pop()
            ok, seconds = False, 0.0
            if forms[n] is not None:
                status, body, seconds = residents[n].request(path, data=forms[n], headers={"Referer": base + path})
                ok = status == 200 and "提交成功" in body.decode()
            with lock:
                if ok:
                    times.append(seconds)
                else:
                    errors += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(min(concurrency, clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors, time.perf_counter() - start


def login_baseline(base: str, requests: int, concurrency: int) -> list[float]:
    """``requests`` GETs of /login/, ``concurrency`` at a time: the reference for this machine and run."""
    times: list[float] = []
    lock = threading.Lock()
    left = list(range(requests))

    def worker() -> None:
        client = Resident(base, "10.250.0.1")
        while True:
            with lock:
                if not left:
                    return
                left.pop()
            _, _, seconds = client.request("/login/")
            with lock:
                times.append(seconds)

    threads = [threading.Thread(target=worker) for _ in range(min(concurrency, requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def run(args: argparse.Namespace) -> int:
    env = bench_load.environment(args)
    env["TRUSTED_PROXY"] = "1"  # gunicorn on 127.0.0.1 behind a proxy that sets X-Real-IP (campaign/public.py)
    env.setdefault("DB_POOL", "1")  # as README recommends for gunicorn
    os.environ.update(env)
    info = prepare()
    bench_load.collectstatic(env)
    port = bench_load.free_port()
    base = f"http://127.0.0.1:{port}"
    path = f"/surveys/s/{info['token']}/"
    proc = bench_load.start_gunicorn(env, port, args.workers, args.threads)
    try:
        rows = weight(base, path)
        seconds_3g = 0.0 if args.load_only else slow_3g(base, path, args.screenshot)
        load_before = os.getloadavg()
        # The same concurrency on the sign-in page (no database write): how busy the machine is in this run.
        baseline = login_baseline(base, args.clients, args.burst and args.clients or args.concurrency)
        times, errors, wall = load(base, path, info, args.clients, args.clients if args.burst else args.concurrency)
        load_after = os.getloadavg()
    finally:
        bench_load.stop(proc)
    total, keys = stored_responses(info["survey"])
    sent_kb = sum(r[1] for r in rows) / 1024
    print(f"公开问卷页面（{path[:20]}…）的传输量：")
    for what, sent, raw in rows:
        print(f"  {bench_load.pad(what, 44)} {sent / 1024:>6.1f} KB（未压缩 {raw / 1024:.1f} KB）")
    print(f"  合计 {sent_kb:.1f} KB，目标 < {WEIGHT_TARGET_KB} KB：{'达标' if sent_kb < WEIGHT_TARGET_KB else '未达标'}")
    if not args.load_only:
        print(f"Slow 3G（2000 ms 延迟、50 KB/s）375 px 手机上提交按钮可见：{seconds_3g:.2f} s，目标 < {SLOW3G_TARGET_S:.0f} s："
              f"{'达标' if seconds_3g < SLOW3G_TARGET_S else '未达标'}")
    p50 = bench_load.percentile(times, 50) if times else float("nan")
    p95 = bench_load.percentile(times, 95) if times else float("nan")
    ok = errors == 0 and total == args.clients and keys == total and p95 < P95_TARGET_S
    how = "全部同时" if args.burst else f"{args.concurrency} 个并发"
    server = f"gunicorn {args.workers} 个 worker" + (f" × {args.threads} 线程" if args.threads > 1 else "")
    print(f"{args.clients} 位居民提交（{how}，{server}，DB_POOL={env.get('DB_POOL')}）：成功 {len(times)}，错误 {errors}，"
          f"库中答卷 {total} 份（不同提交键 {keys}），提交 p50 {p50 * 1000:.0f} ms，p95 {p95 * 1000:.0f} ms，用时 {wall:.1f} s")
    base_p95 = bench_load.percentile(baseline, 95)
    print(f"同样并发下 /login/ 页面（不写库）：p50 {bench_load.percentile(baseline, 50) * 1000:.0f} ms，"
          f"p95 {base_p95 * 1000:.0f} ms；提交 p95 ÷ 登录页 p95 = {p95 / base_p95:.1f}×")
    print(f"load average 开始 {load_before[0]:.2f} / 结束 {load_after[0]:.2f}（1 分钟），CPU {os.cpu_count()} 核")
    print("全部达标" if ok and sent_kb < WEIGHT_TARGET_KB and seconds_3g < SLOW3G_TARGET_S else "有指标未达标")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="公开问卷页面：页面大小、Slow 3G、200 人同时提交")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20, help="同时提交的居民数")
    parser.add_argument("--burst", action="store_true", help="200 人同一时刻提交（最坏情况）")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="每个 worker 的线程数（>1 即 gthread worker，README 的生产命令用 4；1 为同步 worker）")
    parser.add_argument("--screenshot", default="", help="保存 375 px 截图的目录")
    parser.add_argument("--load-only", action="store_true", help="不测 Slow 3G（前后对比时反复运行负载部分）")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
