"""Benchmark the leaders' cockpit and the Word documents on the 1,000-unit bench city (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cw_bench python manage.py bench_cockpit

Uses the city ``manage.py bench_scoring`` builds (built here the same way when missing). The bench
city's campaign is 2025, so "today" is pinned to 2025-10-20 (October open, like a real month):
every month of 2025 up to October is unpublished there, so the trend scores ten open months (a real
city publishes monthly and has one or two). Prints, with the machine's load average:

- the cockpit page through the test client (session, template, map data), without the score
  cache, then with it cold (after a write) and warm; its query count;
- the bulletin .docx for every unit of October (figures, then layout) and its size;
- one unit's 工作总结 .docx for October and for the year.
Figures go to docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaign.models import Campaign, Unit
from reports import score_cache
from reports.data import report_data
from reports.management.commands import bench_scoring
from reports.summary import summary_data
from reports.word import render_bulletin_docx, render_summary_docx

_timed = bench_scoring._timed  # median wall time after a warm-up run

TODAY = dt.date(bench_scoring.YEAR, 10, 20)
MONTH = dt.date(bench_scoring.YEAR, 10, 1)


class Command(BaseCommand):
    help = "测试领导驾驶舱和 Word 文档在 1000 个单位的基准城市上的性能（需 PostgreSQL）"

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--allow-sqlite", action="store_true", help="允许在 SQLite 上运行（数字仅供参考）")
        parser.add_argument("--campaign", help="只测该创建活动（如演示数据 taihe-2026-demo）的驾驶舱页面，按今天的日期")

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql" and not opts["allow_sqlite"]:
            raise CommandError("基准测试需在 PostgreSQL 上运行，请设置 DATABASE_URL（或加 --allow-sqlite 仅作参考）。")
        call_command("migrate", verbosity=0)
        if opts["campaign"]:
            campaign = Campaign.objects.filter(slug=opts["campaign"]).first()
            if campaign is None:
                raise CommandError(f"没有创建活动 {opts['campaign']}。")
            self._cockpit(campaign, opts["repeat"], user=self._leader(campaign))
            return
        campaign = Campaign.objects.filter(slug=bench_scoring.SLUG).first()
        if campaign is None:
            builder = bench_scoring.Command()
            campaign = builder._build({"units": 1000, "leaves": 300, "points": 1500, "findings": 200_000})
        self.stdout.write(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
            self._cockpit(campaign, opts["repeat"])
            self._word(campaign, max(opts["repeat"] // 2, 1))
        self.stdout.write(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    @staticmethod
    def _leader(campaign: Campaign) -> Any:
        from campaign.models import Membership, Role

        membership = Membership.objects.filter(role__in=[Role.LEADER, Role.ADMIN]).select_related("user").order_by("role").first()
        if membership is None:
            raise CommandError("没有领导或管理员账号。")
        return membership.user

    def _cockpit(self, campaign: Campaign, repeat: int, user: Any = None) -> None:
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(user or get_user_model().objects.get(username="bench_admin"))
        url = f"/reports/cockpit/?campaign={campaign.slug}"

        def get() -> int:
            response = client.get(url, secure=settings.SECURE_SSL_REDIRECT)
            if response.status_code != 200:
                raise CommandError(f"{url} 返回 {response.status_code}")
            return len(response.content)

        off, cached = bench_scoring.cache_timings(get, repeat, max(repeat // 2, 1))
        self.stdout.write(f"cockpit page ({campaign.slug}), {off}")
        self.stdout.write(f"cockpit page ({campaign.slug}), {cached}")

    def _word(self, campaign: Campaign, repeat: int) -> None:
        start = time.perf_counter()
        data = report_data(campaign=campaign, month=MONTH, as_of=TODAY)
        t_data = time.perf_counter() - start
        t_docx, rendered = _timed(lambda: render_bulletin_docx(data), repeat)
        cpu = time.process_time()
        render_bulletin_docx(data)
        cpu = time.process_time() - cpu
        lines = sum(len(u.lines) for u in data.units)
        self.stdout.write(f"bulletin .docx ({len(data.units)} units, {lines} score lines in the appendix): figures "
                          f"{t_data * 1000:.0f} ms + layout {t_docx * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms) = "
                          f"{(t_data + t_docx):.1f} s, {len(rendered.content) / 1e6:.1f} MB")
        unit = Unit.objects.filter(name__startswith="基准单位").order_by("pk").first()
        seconds = score_cache.timeout()
        for scope, kwargs in (("month", {"month": MONTH}), ("year", {"year": bench_scoring.YEAR})):
            def summary(kwargs=kwargs, scope=scope):
                return render_summary_docx(summary_data(campaign=campaign, unit=unit, scope=scope, as_of=TODAY, **kwargs))

            settings.SCORE_CACHE_SECONDS = 0  # the worker's worst case: every open month scored
            t, rendered = _timed(summary, repeat)
            with CaptureQueriesContext(connection) as ctx:
                summary()
            self.stdout.write(f"工作总结 .docx for one unit ({scope}): {t * 1000:.0f} ms, {len(ctx)} queries, "
                              f"{len(rendered.content) / 1e3:.0f} kB")
        settings.SCORE_CACHE_SECONDS = seconds
