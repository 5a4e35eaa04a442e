#!/usr/bin/env python3
"""Bounded load test of the bench city (issue 14): gunicorn on 127.0.0.1, 10 logged-in clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen_bench .venv/bin/python scripts/bench_load.py

(``make bench`` runs it after ``bench_scoring``, which builds the 1,000-unit city.) What it does:

1. production-like settings (DEBUG=0, a generated key unless SECRET_KEY is set, plain HTTP on
   127.0.0.1 only), ``collectstatic`` into STATIC_ROOT when it has no manifest yet;
2. bench users with a generated password: ``bench_admin``, ``bench_leader``, ``bench_inspector`` on
   the city unit and ``bench_liaison`` on the first unit (created when missing);
3. gunicorn with 4 workers on a free port (``--preload``, as README's command);
4. single user: ``--single`` sequential requests per page, p50;
5. load: ``--clients`` threads (each one logged-in session, users taken in turn), ``--requests``
   requests per page shared among the clients allowed to see it, all pages mixed; p50 / p95 per page;
6. a table of each page's p95 ÷ the ``/login/`` page's p95 in the same run (target ≤ 5×) and the
   single-user p50 (target < 150 ms); gunicorn is stopped on exit, whatever happens.

Standard library only on the client side (urllib); it talks to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-city"
P95_TARGET = 5.0
SINGLE_P50_TARGET_MS = 150.0


# ---------------------------------------------------------------- pure parts (unit-tested)

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass
class PageResult:
    label: str
    single: list[float] = field(default_factory=list)  # seconds, one user alone
    load: list[float] = field(default_factory=list)  # seconds, under concurrent load
    errors: int = 0
    size: int = 0  # bytes of the last answer


def pad(text: str, width: int) -> str:
    """Left-justify to ``width`` terminal columns (a CJK character takes two)."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(width - shown, 0)


def result_table(results: list[PageResult], baseline: str = "/login/") -> tuple[list[str], bool]:
    """Text table lines (milliseconds) and whether every page met both targets.

    Each page's load p95 is divided by the baseline page's load p95 measured in the same run.
    """
    base = next(r for r in results if r.label == baseline)
    base_p95 = percentile(base.load, 95)
    head = f"{pad('page', 22)} {'single p50':>10} {'load p50':>9} {'load p95':>9} {'p95 ÷ login':>11} {'errors':>6} {'KB':>6}  ok"
    lines = [head, "-" * len(head)]
    all_ok = True
    for r in results:
        single = percentile(r.single, 50) * 1000
        p50 = percentile(r.load, 50) * 1000
        p95 = percentile(r.load, 95) * 1000
        ratio = percentile(r.load, 95) / base_p95 if base_p95 > 0 else float("inf")
        ok = ratio <= P95_TARGET and single < SINGLE_P50_TARGET_MS and r.errors == 0
        all_ok = all_ok and ok
        lines.append(
            f"{pad(r.label, 22)} {single:>10.0f} {p50:>9.0f} {p95:>9.0f} {ratio:>10.1f}× {r.errors:>6} "
            f"{r.size / 1000:>6.0f}  {'是' if ok else '否'}"
        )
    return lines, all_ok


def share_requests(count: int, eligible: list[int]) -> dict[int, int]:
    """``count`` requests of one page shared as evenly as possible among the eligible client indexes."""
    if not eligible:
        return {}
    per, extra = divmod(count, len(eligible))
    return {c: per + (1 if i < extra else 0) for i, c in enumerate(eligible)}


# ---------------------------------------------------------------- HTTP client

class Client:
    """A cookie-keeping urllib client for one logged-in user."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, int, float]:
        start = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=180) as resp:
                body = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            body, status = err.read(), err.code
        return status, len(body), time.perf_counter() - start

    def login(self, password: str) -> None:
        with self.opener.open(self.base + "/login/", timeout=60) as resp:
            html = resp.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode({"username": self.username, "password": password, "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"})
        with self.opener.open(req, timeout=60) as resp:
            if resp.url.rstrip("/").endswith("/login"):
                raise RuntimeError(f"{self.username} 登录失败")


# ---------------------------------------------------------------- set-up (Django) and gunicorn

def environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chuangwen_bench")
    env.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    env.setdefault("STATIC_ROOT", str(ROOT / ".bench-static"))
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["DEBUG"] = "0"
    # Plain HTTP on 127.0.0.1 (README's intranet settings): no HTTPS redirect, cookies without Secure.
    env.update(SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


def prepare(password: str) -> dict:
    """Bench users and the URLs' ids (in this process, with the environment already set)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from campaign.models import Campaign, Membership, Role, Unit
    from inspections.models import Finding

    campaign = Campaign.objects.filter(slug=SLUG).first()
    if campaign is None:
        raise SystemExit("没有基准城市：请先运行 python manage.py bench_scoring（make bench 会先运行它）。")
    city = Unit.objects.get(name="基准市")
    unit = Unit.objects.filter(name__startswith="基准单位").order_by("pk").first()
    busiest = (Finding.objects.filter(inspection__campaign=campaign).values("month")
               .annotate(n=Count("pk")).order_by("-n").first())
    users = {"bench_admin": (city, Role.ADMIN), "bench_leader": (city, Role.LEADER),
             "bench_inspector": (city, Role.INSPECTOR), "bench_liaison": (unit, Role.OFFICIAL)}
    for username, (where, role) in users.items():
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        Membership.objects.get_or_create(user=user, unit=where, role=role)
    connection.close()
    return {"users": list(users), "unit": unit.pk, "month": busiest["month"]}


def collectstatic(env: dict[str, str]) -> None:
    if not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:``port``; ``threads`` > 1 makes them gthread workers (README's production command)."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "config.wsgi:application", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "180", "--log-level", "warning", "--preload",  # as README's command: the app loaded once
         *(["--threads", str(threads)] if threads > 1 else [])],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn 启动失败")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn 60 秒内没有响应")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- the run

def pages(info: dict) -> dict[str, str]:
    month = info["month"]
    m = f"{month:%Y-%m}" if hasattr(month, "strftime") else str(month)[:7]
    q = f"campaign={SLUG}"
    return {
        "/login/": "/login/",
        "首页": f"/?{q}",
        "排名（月份页）": f"/reports/months/{m}/?view=overall&{q}",
        "得分说明（一个单位）": f"/reports/months/{m}/units/{info['unit']}/?{q}",
        "任务看板": f"/tasks/dashboard/?{q}",
        "任务时间线": f"/tasks/timeline/?{q}",
        "整改跟踪": f"/inspections/rectifications/?{q}",
        "检查列表": f"/inspections/?{q}",
        "问题清单": f"/inspections/findings/?{q}",
    }


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    os.environ.update(env)
    password = secrets.token_urlsafe(16)
    info = prepare(password)
    collectstatic(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_gunicorn(env, port, args.workers)
    try:
        urls = pages(info)
        clients = [Client(base, info["users"][i % len(info["users"])]) for i in range(args.clients)]
        for c in clients:
            c.login(password)
        results = {label: PageResult(label) for label in urls}
        # Who may see what: one request per (page, user); a refused page is left out for that user.
        by_user = {c.username: c for c in clients}
        allowed: dict[str, set[str]] = {}
        for label, path in urls.items():
            allowed[label] = {u for u, c in by_user.items() if c.get(path)[0] == 200}
            if not allowed[label]:
                raise SystemExit(f"{label} ({path})：没有一个基准用户能打开")
            if len(allowed[label]) < len(by_user):
                print(f"{label}：{', '.join(sorted(set(by_user) - allowed[label]))} 无权打开，不参与该页")
        # Single user, sequential.
        for label, path in urls.items():
            client = by_user["bench_admin"] if "bench_admin" in allowed[label] else by_user[sorted(allowed[label])[0]]
            for _ in range(args.single):
                status, size, seconds = client.get(path)
                results[label].single.append(seconds)
                results[label].size = size
        # Concurrent, all pages mixed, a bounded number of requests per page.
        plan: list[list[str]] = [[] for _ in clients]
        for label in urls:
            eligible = [i for i, c in enumerate(clients) if c.username in allowed[label]]
            for i, n in share_requests(args.requests, eligible).items():
                plan[i].extend([label] * n)
        rnd = random.Random(20261130)
        for jobs in plan:
            rnd.shuffle(jobs)
        lock = threading.Lock()

        def worker(i: int) -> None:
            for label in plan[i]:
                status, size, seconds = clients[i].get(urls[label])
                with lock:
                    results[label].load.append(seconds)
                    if status != 200:
                        results[label].errors += 1

        load_before = os.getloadavg()
        start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        load_after = os.getloadavg()
    finally:
        stop(proc)
    lines, ok = result_table(list(results.values()))
    print(f"基准城市负载测试：gunicorn {args.workers} 个 worker，{args.clients} 个并发用户，每页 {args.requests} 次请求"
          f"（单用户每页 {args.single} 次），共 {sum(len(r.load) for r in results.values())} 次，用时 {wall:.1f} s")
    print(f"load average 开始 {load_before[0]:.2f} / 结束 {load_after[0]:.2f}（1 分钟），CPU {os.cpu_count()} 核")
    print(f"目标：p95 ÷ /login/ 的 p95 ≤ {P95_TARGET:.0f}×；单用户 p50 < {SINGLE_P50_TARGET_MS:.0f} ms（时间单位 ms）")
    print("\n".join(lines))
    print("全部达标" if ok else "有页面未达标")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="基准城市的有界负载测试（gunicorn，127.0.0.1）")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30, help="每页在并发阶段的请求数")
    parser.add_argument("--single", type=int, default=10, help="每页在单用户阶段的请求数")
    parser.add_argument("--workers", type=int, default=4)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
