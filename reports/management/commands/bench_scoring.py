"""Benchmark the scoring engine on a synthetic city (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cw_bench python manage.py bench_scoring

Builds (once per database; drop the database to build again) 1,000 units, 300 indicator leaves,
1,500 inspection points and 200,000 findings over 12 months with bulk inserts,
then prints for the busiest month: the engine's time, one hand-written SQL
``GROUP BY`` over the same month (the floor), their ratio, the number of
queries, peak Python memory (tracemalloc), and the rankings page for all units.
Figures go to docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import time
import tracemalloc
from decimal import Decimal
from typing import Any, Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaign.models import (
    Campaign,
    Indicator,
    InspectionPoint,
    Membership,
    PointType,
    RankingGroup,
    Role,
    SourceLevel,
    Unit,
    UnitType,
)
from inspections.models import Bonus, BonusStatus, Finding, Inspection, InspectionKind, OverduePenalty
from reports.scoring import score_month
from tasks.models import Task

SLUG = "bench-city"
YEAR = 2025


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in seconds over ``repeat`` runs (after one warm-up run)."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cache_timings(get: Callable[[], int], repeat: int, runs: int) -> tuple[str, str]:
    """A page (``get`` loads it, returns its size) without the score cache (the engine on every
    load), then with it: the first load after a write (cold) and the loads after that (warm)."""
    from reports import score_cache

    seconds = score_cache.timeout()
    settings.SCORE_CACHE_SECONDS = 0
    t, size = _timed(get, runs)
    with CaptureQueriesContext(connection) as ctx:
        get()
    off = f"no score cache: {t * 1000:.0f} ms, {len(ctx)} queries, {size / 1e3:.0f} kB"
    settings.SCORE_CACHE_SECONDS = seconds or 3600
    colds = []
    for _ in range(runs):
        score_cache.bump_now()
        start = time.perf_counter()
        get()
        colds.append(time.perf_counter() - start)
    t, size = _timed(get, repeat)
    with CaptureQueriesContext(connection) as ctx:
        get()
    settings.SCORE_CACHE_SECONDS = seconds
    return off, (f"score cache: cold {statistics.median(colds) * 1000:.0f} ms, warm {t * 1000:.0f} ms, "
                 f"{len(ctx)} queries, {size / 1e3:.0f} kB")


class Command(BaseCommand):
    help = "在合成城市数据上测试月度计分引擎的性能（需 PostgreSQL）"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=1000)
        parser.add_argument("--leaves", type=int, default=300)
        parser.add_argument("--points", type=int, default=1500)
        parser.add_argument("--findings", type=int, default=200_000)
        parser.add_argument("--repeat", type=int, default=9)
        parser.add_argument("--allow-sqlite", action="store_true", help="允许在 SQLite 上运行（数字仅供参考）")

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            if not opts["allow_sqlite"]:
                raise CommandError(
                    "基准测试需在 PostgreSQL 上运行，请设置 DATABASE_URL，例如 "
                    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/cw_bench（或加 --allow-sqlite 仅作参考）。"
                )
            self.stderr.write("警告：当前为 SQLite，结果不代表生产环境。")
        call_command("migrate", verbosity=0)
        campaign = Campaign.objects.filter(slug=SLUG).first()
        if campaign is None:
            start = time.perf_counter()
            campaign = self._build(opts)
            self.stdout.write(f"build: {time.perf_counter() - start:.1f} s")
        if connection.vendor == "postgresql":
            # A production server's autovacuum sets the visibility map that index-only scans rely on;
            # this machine's PostgreSQL runs with autovacuum off, so the bench does it (outside the
            # build's transaction; cheap when nothing changed since the last run).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self._measure(campaign, opts["repeat"])

    # ------------------------------------------------------------------ data

    @transaction.atomic
    def _build(self, opts: dict) -> Campaign:
        rnd = random.Random(20261129)
        user, _ = get_user_model().objects.get_or_create(username="bench_admin", defaults={"first_name": "基准管理员", "is_staff": True})
        campaign = Campaign.objects.create(
            slug=SLUG, name=f"基准市{YEAR}年创建全国文明城市", kind="civilized_city", year=YEAR, city_name="基准市",
            start_date=dt.date(YEAR, 1, 1), end_date=dt.date(YEAR, 12, 31),
        )
        groups = [RankingGroup.objects.get_or_create(name=name, defaults={"order": i})[0]
                  for i, name in enumerate(["基准乡镇街道组", "基准社区组", "基准市直部门组", "基准窗口单位组"], 1)]
        city = Unit.objects.create(name="基准市", unit_type=UnitType.CITY)
        Membership.objects.get_or_create(user=user, unit=city, role=Role.ADMIN)
        types = [UnitType.STREET, UnitType.COMMUNITY, UnitType.DEPARTMENT, UnitType.HOSPITAL]
        units = Unit.objects.bulk_create([
            Unit(name=f"基准单位{i:04d}", parent=city, unit_type=types[i % 4], ranking_group=groups[i % 4], order=i, path="", depth=1)
            for i in range(opts["units"])
        ], batch_size=1000)
        for unit in units:
            unit.path = f"{city.path}{unit.pk}/"
        Unit.objects.bulk_update(units, ["path"], batch_size=1000)

        level1 = Indicator.objects.bulk_create([
            Indicator(campaign=campaign, level=1, code=str(i + 1), name=f"测评项目{i + 1}", score=Decimal("10"), order=i)
            for i in range(10)
        ])
        level2 = Indicator.objects.bulk_create([
            Indicator(campaign=campaign, level=2, code=f"{p.code}.{j + 1}", name=f"测评内容{p.code}.{j + 1}", parent=p,
                      score=Decimal("3"), order=j)
            for p in level1 for j in range(3)
        ])
        per = max(opts["leaves"] // len(level2), 1)
        leaves = Indicator.objects.bulk_create([
            Indicator(campaign=campaign, level=3, code=f"{p.code}.{k + 1}", name=f"测评标准{p.code}.{k + 1}", parent=p,
                      score=Decimal(rnd.choice(["0.50", "1.00", "1.50", "2.00"])), order=k,
                      applicable_unit_types=[] if k % 5 else [UnitType.STREET, UnitType.COMMUNITY])
            for p in level2 for k in range(per)
        ])
        ptypes = [PointType.objects.get_or_create(name=f"基准点位类型{i}", defaults={"order": i})[0] for i in range(40)]
        points = InspectionPoint.objects.bulk_create([
            InspectionPoint(name=f"基准点位{i:04d}", point_type=ptypes[i % 40], unit=units[rnd.randrange(len(units))])
            for i in range(opts["points"])
        ], batch_size=1000)
        inspections = Inspection.objects.bulk_create([
            Inspection(campaign=campaign, kind=InspectionKind.ON_SITE, source_level=SourceLevel.CITY,
                       date=dt.date(YEAR, m, d), title=f"{m}月第{d}次检查", created_by=user)
            for m in range(1, 13) for d in range(1, 29, 2)
        ])
        by_month: dict[int, list[Inspection]] = {}
        for ins in inspections:
            by_month.setdefault(ins.date.month, []).append(ins)
        batch: list[Finding] = []
        prices = [Decimal(x) for x in ("0.10", "0.20", "0.30", "0.50", "1.00")]
        for n in range(opts["findings"]):
            month = 1 + n % 12
            ins = rnd.choice(by_month[month])
            point = points[rnd.randrange(len(points))]
            batch.append(Finding(
                campaign=campaign, inspection=ins, unit_id=point.unit_id, point=point, indicator=leaves[rnd.randrange(len(leaves))],
                description="主干道两侧垃圾未及时清运", points=rnd.choice(prices), found_on=ins.date, month=ins.date.replace(day=1),
                rectify_deadline=ins.date + dt.timedelta(days=7), status="accepted" if n % 3 else "open", created_by=user,
            ))
            if len(batch) == 10_000:
                Finding.objects.bulk_create(batch)
                batch = []
        Finding.objects.bulk_create(batch)
        some = list(Finding.objects.filter(campaign=campaign, status="open").values_list("pk", "unit_id", "points", "rectify_deadline")[:5000])
        OverduePenalty.objects.bulk_create([
            OverduePenalty(finding_id=pk, unit_id=uid, campaign=campaign, month=(dl + dt.timedelta(days=1)).replace(day=1), points=pts)
            for pk, uid, pts, dl in some if dl.year == YEAR and (dl + dt.timedelta(days=1)).year == YEAR
        ], batch_size=5000)
        Bonus.objects.bulk_create([
            Bonus(campaign=campaign, unit=units[rnd.randrange(len(units))], month=dt.date(YEAR, 1 + i % 12, 1),
                  points=Decimal(rnd.choice(["1.00", "2.00", "3.00"])), reason="获评省级文明单位",
                  status=BonusStatus.APPROVED, created_by=user)
            for i in range(1200)
        ])
        Task.objects.bulk_create([
            Task(campaign=campaign, title=f"基准任务{i}", indicator=leaves[i % len(leaves)], unit=units[i % len(units)],
                 deadline=dt.date(YEAR, 1 + i % 12, 10 + i % 15))
            for i in range(3000)
        ])
        return campaign

    # ------------------------------------------------------------------ measurements

    def _measure(self, campaign: Campaign, repeat: int) -> None:
        counts = Finding.objects.filter(campaign=campaign)
        month = dt.date(YEAR, 10, 1)
        today = dt.date(YEAR + 1, 1, 15)
        self.stdout.write(
            f"data: {Unit.objects.filter(name__startswith='基准单位').count()} units, "
            f"{Indicator.objects.filter(campaign=campaign, level=3).count()} leaves, "
            f"{InspectionPoint.objects.filter(name__startswith='基准点位').count()} points, "
            f"{counts.count()} findings, {counts.filter(month=month).count()} in {month:%Y-%m}"
        )
        floor_sql = (
            "SELECT unit_id, indicator_id, SUM(points), COUNT(*) FROM inspections_finding "
            "WHERE campaign_id = %s AND month = %s AND status <> 'withdrawn' GROUP BY unit_id, indicator_id"
        )

        def floor() -> int:
            with connection.cursor() as cursor:
                cursor.execute(floor_sql, [campaign.pk, month])
                return len(cursor.fetchall())

        runs = {
            "engine, one month (no lines, no change)": dict(with_lines=False, with_change=False),
            "engine, one month + change vs previous": dict(with_lines=False, with_change=True),
            "engine, one month with every line": dict(with_lines=True, with_change=False),
        }
        groups = floor()
        self.stdout.write(f"floor query: {floor_sql}  ({groups} unit×indicator groups)")
        for label, kwargs in runs.items():
            def engine(kwargs=kwargs):
                return score_month(campaign=campaign, month=month, today=today, **kwargs)

            # Interleaved, so load from other processes on the machine hits both sides alike.
            engine()
            floor_times, engine_times = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                floor()
                t1 = time.perf_counter()
                scores = engine()
                t2 = time.perf_counter()
                floor_times.append(t1 - t0)
                engine_times.append(t2 - t1)
            t_floor, t = statistics.median(floor_times), statistics.median(engine_times)
            with CaptureQueriesContext(connection) as ctx:
                engine()
            tracemalloc.start()
            engine()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.stdout.write(
                f"{label}: {t * 1000:.1f} ms vs floor {t_floor * 1000:.1f} ms = {t / t_floor:.1f}×, "
                f"{len(ctx)} queries, peak {peak / 1e6:.1f} MB, {len(scores.units)} units"
            )
        self._snapshot(campaign, month, today)
        self._page(campaign, month, repeat)

    def _snapshot(self, campaign: Campaign, month: dt.date, today: dt.date) -> None:
        """What publishing costs besides the overdue-penalty job: compute with lines + bulk-insert the snapshot.

        Inside a transaction that is rolled back, so the bench month stays open.
        """
        from campaign.models import AssessmentPeriod
        from reports.services import snapshot_write

        with transaction.atomic():
            start = time.perf_counter()
            period, _ = AssessmentPeriod.objects.get_or_create(campaign=campaign, month=month)
            scores = score_month(campaign=campaign, month=month, today=today)
            t_score = time.perf_counter() - start
            with CaptureQueriesContext(connection) as ctx:
                units = snapshot_write(period=period, scores=scores)
            total = time.perf_counter() - start
            lines = sum(len(u.lines) for u in scores.units)
            transaction.set_rollback(True)
        self.stdout.write(
            f"publishing snapshot: {total * 1000:.0f} ms ({t_score * 1000:.0f} ms scoring with lines and change, "
            f"{(total - t_score) * 1000:.0f} ms inserting {units} score rows + {lines} lines in {len(ctx)} queries)"
        )

    def _page(self, campaign: Campaign, month: dt.date, repeat: int) -> None:
        """The rankings page for every unit, through the test client (sessions and templates included)."""
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        admin = Client()
        admin.force_login(get_user_model().objects.get(username="bench_admin"))
        unit = Unit.objects.filter(name__startswith="基准单位").order_by("pk").first()
        liaison_user, _ = get_user_model().objects.get_or_create(username="bench_liaison", defaults={"first_name": "基准联络员"})
        Membership.objects.get_or_create(user=liaison_user, unit=unit, role=Role.OFFICIAL)
        liaison = Client()
        liaison.force_login(liaison_user)
        pages = {
            "rankings page (all units, overall)": (admin, f"/reports/months/{month:%Y-%m}/?view=overall&campaign={SLUG}"),
            "explanation page (one unit, with its trend)": (admin, f"/reports/months/{month:%Y-%m}/units/{unit.pk}/?campaign={SLUG}"),
            "liaison's rankings page (own row)": (liaison, f"/reports/months/{month:%Y-%m}/?campaign={SLUG}"),
            "liaison's explanation page": (liaison, f"/reports/months/{month:%Y-%m}/units/{unit.pk}/?campaign={SLUG}"),
        }
        for label, (client, url) in pages.items():
            def get(url=url, client=client) -> int:
                response = client.get(url, secure=settings.SECURE_SSL_REDIRECT)
                if response.status_code != 200:
                    raise CommandError(f"{url} 返回 {response.status_code}")
                return len(response.content)

            off, cached = cache_timings(get, repeat, max(repeat // 3, 1))
            self.stdout.write(f"{label}, {off}")
            self.stdout.write(f"{label}, {cached}")
