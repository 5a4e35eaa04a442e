"""Benchmark 随手拍 at the size of a busy year (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen_bench python manage.py bench_snaps

Builds (once per database; ``--rebuild`` to build again) a campaign ``bench-snaps`` with 20,000 reports
over 12 months, 8,000 of them filed as findings (half accepted), 1,000 declined and 1,000 merged, with
bulk inserts. Prints: the status page lookup for a right code and for a wrong one (median and p95 of 300,
and queries: the two must be of one timing class), the office's figures over all 20,000 reports, and the
EXIF strip and downscale of one 12-megapixel phone photo (the CPU each public upload costs). Figures go to
docs/benchmarks.md (section 随手拍).
"""
from __future__ import annotations

import datetime as dt
import io
import random
import statistics
import time
from decimal import Decimal
from typing import Any, Callable

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from campaign.models import Campaign, Indicator, InspectionPoint, PointType, SourceLevel, Unit, UnitType
from campaign.uploads import prepare_photo
from inspections.models import Finding, FindingStatus, Inspection, InspectionKind
from snaps import selectors
from snaps.models import Snap, SnapCategory, Triage, new_code

SLUG = "bench-snaps"
REPORTS, FILED, DECLINED, MERGED = 20_000, 8_000, 1_000, 1_000


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries of one run)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(ctx.captured_queries)


class Command(BaseCommand):
    help = "随手拍 at size: status lookups (right and wrong code), figures, EXIF strip."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(slug=SLUG).first()
        if campaign is None or options["rebuild"]:
            campaign = self._build()
        snaps = Snap.objects.filter(campaign=campaign)
        done = snaps.filter(triage=Triage.FILED, finding__status=FindingStatus.ACCEPTED).first()
        merged = snaps.filter(triage=Triage.MERGED).first()
        self.stdout.write(f"随手拍 {snaps.count()} 条（转为问题 {snaps.filter(triage=Triage.FILED).count()}）")

        def lookup(code: str) -> Callable[[], Any]:
            def run():
                snap = selectors.snap_by_code(code)
                return selectors.public_status(snap) if snap else None
            return run

        for label, code in (("right code (done)", done.code), ("right code (merged)", merged.code),
                            ("wrong code", "ABCDEFGHJKMN")):
            median, p95, queries = _timed(lookup(code), 300)
            self.stdout.write(f"status lookup, {label}: median {median:.2f} ms, p95 {p95:.2f} ms, {queries} queries")
        median, p95, queries = _timed(lambda: selectors.figures(campaign), 5)
        self.stdout.write(f"figures over {snaps.count()} reports: median {median:.0f} ms, {queries} queries")
        photo = io.BytesIO()
        rng = random.Random(6)
        img = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3)).resize((4000, 3000))
        exif = Image.Exif()
        exif[0x010F] = "HUAWEI"
        exif.get_ifd(0x8825).update({1: "N", 2: (26.0, 47.0, 17.0)})
        img.save(photo, format="JPEG", quality=90, exif=exif)
        data = photo.getvalue()
        median, p95, _q = _timed(lambda: prepare_photo(data, strip_metadata=True), 5)
        stored = prepare_photo(data, strip_metadata=True)
        self.stdout.write(f"public photo (EXIF strip, scaled down), 12 MP JPEG ({len(data) / 1e6:.1f} MB → "
                          f"{len(stored) / 1e6:.2f} MB): median {median:.0f} ms")

    @transaction.atomic
    def _build(self) -> Campaign:
        Snap.objects.filter(campaign__slug=SLUG, triage=Triage.MERGED).delete()
        Snap.objects.filter(campaign__slug=SLUG).delete()
        Finding.objects.filter(campaign__slug=SLUG).delete()
        Inspection.objects.filter(campaign__slug=SLUG).delete()
        SnapCategory.objects.filter(campaign__slug=SLUG).delete()
        Indicator.objects.filter(campaign__slug=SLUG).delete()
        Campaign.objects.filter(slug=SLUG).delete()
        rng = random.Random(20261129)
        user, _ = get_user_model().objects.get_or_create(username="bench-snaps")
        campaign = Campaign.objects.create(slug=SLUG, name="随手拍基准", kind="civilized_city", year=2025, city_name="基准市",
                                           start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
        units = [Unit.objects.get_or_create(name=f"基准街道{i}", defaults={"unit_type": UnitType.STREET})[0] for i in range(20)]
        ptype, _ = PointType.objects.get_or_create(name="基准点位类型")
        points = [InspectionPoint.objects.get_or_create(name=f"基准点位{i}", defaults={"point_type": ptype, "unit": units[i % 20]})[0]
                  for i in range(100)]
        indicator = Indicator.objects.create(campaign=campaign, code="9.9.9", name="基准指标", level=3, score=Decimal("100"))
        categories = [SnapCategory.objects.create(campaign=campaign, name=f"类别{i}", indicator=indicator, order=i) for i in range(8)]
        inspection = Inspection.objects.create(campaign=campaign, kind=InspectionKind.PATROL, source_level=SourceLevel.CITY,
                                               date=dt.date(2025, 1, 1), title="群众随手拍", created_by=user)
        tz = timezone.get_current_timezone()
        rows = []
        for i in range(REPORTS):
            day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
            rows.append(Snap(campaign=campaign, code=new_code(), category=categories[i % 8], description=f"基准举报{i}",
                             place="基准路", point=points[i % 100],
                             created_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=tz)))
        Snap.objects.bulk_create(rows, batch_size=2000)
        snaps = list(Snap.objects.filter(campaign=campaign).order_by("pk"))
        findings = []
        for snap in snaps[:FILED]:
            found = timezone.localtime(snap.created_at).date()
            accepted = snap.created_at + dt.timedelta(days=rng.randrange(1, 15)) if len(findings) % 2 == 0 else None
            findings.append(Finding(
                campaign=campaign, inspection=inspection, unit=units[snap.pk % 20],
                point=None, indicator=indicator, description=snap.description, points=Decimal("0.30"), found_on=found,
                month=found.replace(day=1), rectify_deadline=found + dt.timedelta(days=7), created_by=user,
                status=FindingStatus.ACCEPTED if accepted else FindingStatus.OPEN, accepted_at=accepted,
            ))
        Finding.objects.bulk_create(findings, batch_size=2000)
        for snap, finding in zip(snaps[:FILED], findings):
            snap.triage, snap.finding = Triage.FILED, finding
        for snap in snaps[FILED:FILED + DECLINED]:
            snap.triage, snap.decline_reason = Triage.DECLINED, "不属于公共区域"
        for n, snap in enumerate(snaps[FILED + DECLINED:FILED + DECLINED + MERGED]):
            snap.triage, snap.merged_into = Triage.MERGED, snaps[n]
        Snap.objects.bulk_update(snaps[:FILED + DECLINED + MERGED], ["triage", "finding", "decline_reason", "merged_into"],
                                 batch_size=2000)
        return campaign
