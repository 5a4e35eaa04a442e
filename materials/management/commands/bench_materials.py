"""Benchmark the 迎检 archive and the completeness matrix at size.

    python manage.py bench_materials                       # 120 standards × 40 units × 5 files ≈ 2 GB
    python manage.py bench_materials --standards 12 --units 8 --kb 20   # a quick run

Builds a throwaway campaign (``bench-materials``) with its rows written directly (bulk_create)
and its files generated on disk under MEDIA_ROOT/bench-materials/ (JPEG- and PDF-headed payloads:
the bench skips the upload checks, the archive only copies bytes). Then, each in a forked child
process so every figure is that run's own wall time and peak resident memory (RSS):

- floor: a bare ``zipfile`` loop writing the same files (ZIP_STORED, ZIP64) with ``zf.write``;
- archive without covers: ``materials.archive.build_archive(covers=False)`` (files and 目录.xlsx);
- archive: the full build, with one WeasyPrint cover PDF per standard.

and the matrix page (``/materials/``) for the office: median of 5 requests and its query count.
Targets (issue 15): worker peak < 300 MB; archive ≤ 1.5× the floor; matrix < 0.5 s, constant queries.
``--keep`` leaves the rows and files for a second run, which reuses them (``--keep`` again to keep
them once more); otherwise they are removed at the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaign.models import Campaign, CampaignKind, Indicator, Membership, Role, Unit, UnitType
from materials import archive
from materials.models import Requirement, RequirementItem, ReviewStatus, Submission, SubmissionFile

SLUG = "bench-materials"
FOLDER = "bench-materials"
ITEMS = ["工作方案", "会议记录", "活动照片", "工作台账", "统计表"]
STREETS = ["城东", "城西", "城南", "城北", "口岸", "刁铺", "野徐", "永安洲", "白马", "许庄", "胡庄", "大泗", "泰东", "海陵"]


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(mode: str, out_dir: str) -> dict:
    """Run one measurement in a fresh process (``--child``): its own wall time and peak RSS."""
    done = subprocess.run([sys.executable, "manage.py", "bench_materials", "--child", mode, "--out", out_dir],
                          capture_output=True, text=True, cwd=settings.BASE_DIR)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (done.stderr or done.stdout)[-500:]}


class Command(BaseCommand):
    help = "Benchmark the 迎检 archive (zip) and the materials matrix page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--standards", type=int, default=120)
        parser.add_argument("--units", type=int, default=40)
        parser.add_argument("--files", type=int, default=5, help="files per standard and unit (one per item)")
        parser.add_argument("--kb", type=int, default=87, help="average file size in KB (87 KB × 24,000 ≈ 2 GB)")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--skip-zip", action="store_true", help="only the matrix page")
        parser.add_argument("--child", choices=["floor", "archive", "covers"], help=argparse.SUPPRESS)
        parser.add_argument("--out", help=argparse.SUPPRESS)

    def handle(self, *args, **opts) -> None:
        if opts["child"]:
            self._child(opts["child"], opts["out"])
            return
        started = time.perf_counter()
        reused = self._reuse(opts["standards"] * opts["units"] * opts["files"])
        if reused:
            campaign, admin, count, total = reused
            self.stdout.write(f"setup: reusing the kept campaign, {count} files, {total / 1e9:.2f} GB")
        else:
            self._wipe()
            campaign, admin, count, total = self._build(opts)
            self.stdout.write(f"setup: {opts['standards']} standards × {opts['units']} units × {opts['files']} files = "
                              f"{count} files, {total / 1e9:.2f} GB, in {time.perf_counter() - started:.0f} s")
        try:
            if not opts["skip_zip"]:
                self._bench_zip(campaign)
            self._bench_matrix(campaign, admin, opts)
            self._bench_matrix_queries(campaign, admin)
        finally:
            if not opts["keep"]:
                self._wipe()
        load = os.getloadavg()
        self.stdout.write(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    # ------------------------------------------------------------ data

    def _wipe(self) -> None:
        campaign = Campaign.objects.filter(slug=SLUG).first()
        if campaign is not None:
            Submission.objects.filter(item__requirement__campaign=campaign).delete()
            Requirement.objects.filter(campaign=campaign).delete()
            Indicator.objects.filter(campaign=campaign).delete()
            campaign.delete()
        Campaign.objects.filter(slug=f"{SLUG}-parked").delete()  # left by a run stopped in the query count
        Membership.objects.filter(user__username="bench_materials_admin").delete()
        get_user_model().objects.filter(username="bench_materials_admin").delete()
        Unit.objects.filter(name__startswith="材料基准", depth__gt=0).delete()
        Unit.objects.filter(name__startswith="材料基准").delete()
        shutil.rmtree(Path(settings.MEDIA_ROOT) / FOLDER, ignore_errors=True)

    def _reuse(self, wanted: int) -> tuple[Campaign, object, int, int] | None:
        """The campaign a ``--keep`` run left, with its counts, if it has the ``wanted`` number of
        files (None: build one)."""
        campaign = Campaign.objects.filter(slug=SLUG).first()
        admin = get_user_model().objects.filter(username="bench_materials_admin").first()
        if campaign is None or admin is None:
            return None
        sizes = list(SubmissionFile.objects.filter(submission__item__requirement__campaign=campaign).values_list("size", flat=True))
        return (campaign, admin, len(sizes), sum(sizes)) if len(sizes) == wanted else None

    def _build(self, opts: dict) -> tuple[Campaign, object, int, int]:
        rng = random.Random(15)
        today = dt.date.today()
        campaign = Campaign.objects.create(
            slug=SLUG, name="材料审核基准测试", kind=CampaignKind.CIVILIZED_CITY, year=today.year, city_name="泰和市",
            start_date=today.replace(month=1, day=1), end_date=today.replace(month=12, day=31), is_active=False,
        )
        root = Unit.objects.create(name="材料基准市创建办", unit_type=UnitType.OFFICE)
        units = [Unit.objects.create(name=f"材料基准{STREETS[n % len(STREETS)]}街道{n:02d}", unit_type=UnitType.STREET, parent=root)
                 for n in range(opts["units"])]
        admin = get_user_model().objects.create_user("bench_materials_admin", password=None)
        Membership.objects.create(user=admin, unit=root, role=Role.ADMIN)
        indicators = Indicator.objects.bulk_create([
            Indicator(campaign=campaign, level=3, code=f"{n // 10 + 1}.{n % 10 + 1}.1", name=f"材料审核标准{n + 1}",
                      method="material", score=2, order=n)
            for n in range(opts["standards"])
        ])
        reqs = Requirement.objects.bulk_create([
            Requirement(campaign=campaign, indicator=ind, deadline=today - dt.timedelta(days=(n % 3) * 10 - 10))
            for n, ind in enumerate(indicators)
        ])
        Requirement.units.through.objects.bulk_create([
            Requirement.units.through(requirement=r, unit=u) for r in reqs for u in units
        ])
        items = RequirementItem.objects.bulk_create([
            RequirementItem(requirement=r, order=k, name=ITEMS[k % len(ITEMS)] + ("" if k < len(ITEMS) else str(k)), min_files=1)
            for r in reqs for k in range(opts["files"])
        ])
        folder = Path(settings.MEDIA_ROOT) / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        size = opts["kb"] * 1024
        pool = []
        for n in range(32):  # distinct payloads of varied size; the archive copies bytes, so content is immaterial
            body = os.urandom(int(size * (0.5 + n / 32)))
            pool.append(("jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + body + b"\xff\xd9") if n % 2 == 0
                        else ("pdf", "application/pdf", b"%PDF-1.4\n" + body + b"\n%%EOF\n"))
        subs, files, total = [], [], 0
        statuses = [ReviewStatus.ACCEPTED, ReviewStatus.ACCEPTED, ReviewStatus.PENDING, ReviewStatus.SUPPLEMENT]
        for item in items:
            for unit in units:
                subs.append(Submission(item=item, unit=unit, round=1, submitted_by=admin, status=rng.choice(statuses),
                                       review_comment="请补充"))
        subs = Submission.objects.bulk_create(subs, batch_size=2000)
        for n, sub in enumerate(subs):
            ext, ctype, data = pool[n % len(pool)]
            name = f"{FOLDER}/{n // 1000:03d}/{n:06d}.{ext}"
            path = Path(settings.MEDIA_ROOT) / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            total += len(data)
            files.append(SubmissionFile(submission=sub, file=name, original_name=f"{ITEMS[n % len(ITEMS)]}{n}.{ext}",
                                        content_type=ctype, size=len(data), sha256="0" * 64, uploaded_by=admin))
        SubmissionFile.objects.bulk_create(files, batch_size=2000)
        return campaign, admin, len(files), total

    # ------------------------------------------------------------ the archive

    def _bench_zip(self, campaign: Campaign) -> None:
        out_dir = tempfile.mkdtemp(prefix="bench-materials-")
        try:
            base = _in_child("floor", out_dir)
            self._line("floor (bare zipfile loop, stored)", base)
            self._line("archive without covers", _in_child("archive", out_dir), base)
            self._line(f"archive with {Requirement.objects.filter(campaign=campaign).count()} cover PDFs", _in_child("covers", out_dir), base)
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)

    def _child(self, mode: str, out_dir: str) -> None:
        campaign = Campaign.objects.get(slug=SLUG)
        started = time.perf_counter()
        if mode == "floor":
            names = list(SubmissionFile.objects.filter(submission__item__requirement__campaign=campaign)
                         .order_by("pk").values_list("file", flat=True))
            media = Path(settings.MEDIA_ROOT)
            out = os.path.join(out_dir, "floor.zip")
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for n, name in enumerate(names):
                    zf.write(media / name, f"{n // 200:03d}/{n:06d}_{os.path.basename(name)}")
            result = {"files": len(names)}
        else:
            out = os.path.join(out_dir, f"{mode}.zip")
            stats = archive.build_archive(campaign, out, covers=mode == "covers")
            result = {"files": stats.files, "missing": len(stats.missing)}
        result.update(seconds=time.perf_counter() - started, peak_mb=_peak_mb(), bytes=os.path.getsize(out),
                      # the forked children (cover processes, their batches, 目录.xlsx): the largest of them
                      children_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        os.unlink(out)
        self.stdout.write(json.dumps(result))

    def _line(self, label: str, r: dict, base: dict | None = None) -> None:
        if "error" in r:
            self.stdout.write(f"{label}: FAILED {r['error']}")
            return
        ratio = f", {r['seconds'] / base['seconds']:.2f}× floor" if base else ""
        files = f", {r['files']} files" if "files" in r else ""
        if r.get("children_peak_mb") and "cover" in label:
            files += f", cover children peak RSS {r['children_peak_mb']:.0f} MB"
        self.stdout.write(f"{label}: {r['seconds']:.1f} s, peak RSS {r['peak_mb']:.0f} MB, zip {r['bytes'] / 1e9:.2f} GB{files}{ratio}")

    # ------------------------------------------------------------ the matrix

    def _client(self, admin) -> Client:
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        return client

    def _bench_matrix(self, campaign: Campaign, admin, opts: dict) -> None:
        client = self._client(admin)
        url = f"/materials/?campaign={SLUG}"
        client.get(url, secure=True)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, secure=True)
        self.stdout.write(f"matrix page {opts['standards']}×{opts['units']}: median {statistics.median(times) * 1000:.0f} ms "
                          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {len(queries)} queries, "
                          f"status {response.status_code}, {len(response.content) / 1024:.0f} KB")

    def _bench_matrix_queries(self, campaign: Campaign, admin) -> None:
        """The same page with a tenth of the standards: the query count must not move."""
        keep = list(Requirement.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)[:12])
        phase_less = Requirement.objects.filter(campaign=campaign).exclude(pk__in=keep)
        moved = list(phase_less.values_list("pk", "campaign_id"))
        other = Campaign.objects.create(slug=f"{SLUG}-parked", name="parked", kind=CampaignKind.CIVILIZED_CITY, year=campaign.year,
                                        city_name="x", start_date=campaign.start_date, end_date=campaign.end_date, is_active=False)
        phase_less.update(campaign=other)
        try:
            client = self._client(admin)
            client.get(f"/materials/?campaign={SLUG}", secure=True)
            with CaptureQueriesContext(connection) as queries:
                client.get(f"/materials/?campaign={SLUG}", secure=True)
            self.stdout.write(f"matrix page 12×{Unit.objects.filter(name__startswith='材料基准', unit_type=UnitType.STREET).count()}: "
                              f"{len(queries)} queries")
        finally:
            Requirement.objects.filter(pk__in=[pk for pk, _ in moved]).update(campaign=campaign)
            other.delete()
