"""python manage.py bench_ledgers [--townships 200] [--villages 10] [--volunteers 60] [--keep] [--no-analyze]

(In dataload, the top of the import order: it times the ledgers and the tasks they feed, so it needs both.)

Builds a city of N townships with M villages each; every township keeps ``--volunteers`` volunteers
per village, a 宣传栏 in most villages, 文明家庭, trainings and 爱国卫生 rounds, and four tasks fed by
its ledgers. Then times what grows with the ledgers: the statistics table (every township and the
city, with its query count), one township's summary_figures (the 工作总结's call), and the task list's
progress query over every task (the ledger-fed ones computed in SQL). Runs in a transaction that is
rolled back unless --keep is given.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from campaign.models import Campaign, CampaignKind, Indicator, Unit, UnitType
from ledgers import selectors
from ledgers.models import Board, Family, HygieneActivity, Meeting, MeetingKind, Population, Volunteer
from tasks import selectors as task_selectors
from tasks.models import Task


class _Rollback(Exception):
    pass


def _timed(label: str, fn: Any, out: Any) -> Any:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    out.write(f"{label}: {elapsed * 1000:.0f} ms, {len(queries)} queries")
    return result


class Command(BaseCommand):
    help = "Time the ledger statistics, summary_figures and ledger-fed task progress at size."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--townships", type=int, default=200)
        parser.add_argument("--villages", type=int, default=10)
        parser.add_argument("--volunteers", type=int, default=60, help="per village")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--no-analyze", action="store_true", help="time with the planner's statistics stale")

    def handle(self, *args: Any, townships: int, villages: int, volunteers: int, keep: bool, no_analyze: bool, **options: Any) -> None:
        try:
            with transaction.atomic():
                self._run(townships, villages, volunteers, analyze=not no_analyze)
                if not keep:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("（已回滚，数据库未改变）")

    def _run(self, townships: int, villages: int, volunteers: int, *, analyze: bool) -> None:
        out = self.stdout
        campaign = Campaign.objects.create(
            slug="bench-ledgers", name="台账压测", kind=CampaignKind.CIVILIZED_CITY, year=2026, city_name="压测市",
            start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31),
        )
        indicator = Indicator.objects.create(campaign=campaign, code="9", name="台账压测", level=1, score=Decimal("1"))
        city = Unit.objects.create(name="台账压测市", unit_type=UnitType.CITY)
        start = time.perf_counter()
        town_units = []
        for t in range(townships):
            town = Unit.objects.create(name=f"台账压测乡{t:04d}", unit_type=UnitType.TOWNSHIP, parent=city)
            town_units.append(town)
            vs = [Unit.objects.create(name=f"台账压测乡{t:04d}村{v:02d}", unit_type=UnitType.VILLAGE, parent=town) for v in range(villages)]
            Population.objects.create(campaign=campaign, unit=town, residents=villages * volunteers * 70)
            Volunteer.objects.bulk_create([
                Volunteer(campaign=campaign, unit=v, name=f"志愿者{i:04d}", activity_count=i % 4, hours=Decimal(i % 4 * 2))
                for v in vs for i in range(volunteers)
            ], batch_size=2000)
            Board.objects.bulk_create([
                Board(campaign=campaign, unit=town, name=f"宣传栏{v.pk}", village=v) for v in vs[: max(villages - 1, 0)]
            ])
            Family.objects.bulk_create([Family(campaign=campaign, unit=town, household=f"家庭{i:04d}", year=2026) for i in range(villages * 8)])
            Meeting.objects.bulk_create([
                Meeting(campaign=campaign, unit=town, kind=MeetingKind.TRAINING, held_on=dt.date(2026, 5, 1) + dt.timedelta(days=i * 7),
                        topic=f"培训{i}", attendance=50) for i in range(12)
            ])
            HygieneActivity.objects.bulk_create([
                HygieneActivity(campaign=campaign, unit=town, held_on=dt.date(2026, m, 15), topic=f"六清{m}月", participants=800,
                                containers=120, tyres=30, blackspots=60) for m in (6, 7, 8, 9)
            ])
            for measure, target in (("boards", villages), ("volunteer_hours", villages * volunteers * 3), ("families", villages * 8), ("", None)):
                Task.objects.create(campaign=campaign, indicator=indicator, unit=town, title=f"压测任务{measure or '普通'}",
                                    target_value=Decimal(target) if target else None, ledger_measure=measure)
        if analyze and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum does to a real database after such a load
        rows = Volunteer.objects.filter(campaign=campaign).count()
        out.write(f"建数据：{townships} 个乡镇 × {villages} 个村，志愿者 {rows} 名，宣传栏 {Board.objects.filter(campaign=campaign).count()} 个，"
                  f"任务 {Task.objects.filter(campaign=campaign).count()} 项（{townships * 3} 项取自台账）；{time.perf_counter() - start:.1f} s")

        stats, _ = _timed("台账统计页（全市 + 每个乡镇一行）", lambda: selectors.statistics(campaign, town_units, with_city=True), out)
        city_row = stats[0].figures
        out.write(f"  全市：志愿者 {city_row['volunteers'].text}，占比 {city_row['volunteer_share'].text}，"
                  f"宣传栏覆盖率 {city_row['board_coverage'].text}")
        _timed("一个乡镇的 summary_figures（工作总结）", lambda: selectors.summary_figures(campaign, town_units[0]), out)
        _timed("全市 summary_figures", lambda: selectors.summary_figures(campaign), out)
        tasks = _timed(
            "任务进度（全部任务，台账任务在 SQL 中计算）",
            lambda: list(task_selectors.with_progress(Task.objects.filter(campaign=campaign)).values_list("ledger_measure", "progress_value")),
            out,
        )
        fed = [v for m, v in tasks if m == "boards"]
        out.write(f"  宣传栏任务 {len(fed)} 项，每项进度 {fed[0] if fed else '—'}（应为 {max(villages - 1, 0)}）")
