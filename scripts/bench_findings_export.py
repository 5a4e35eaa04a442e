#!/usr/bin/env python3
"""The findings export at size on the bench city (issue 14 item 2): the export's own path vs the floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen_bench .venv/bin/python scripts/bench_findings_export.py export|before|floor

``export``: what ``inspections.views.finding_export_xlsx`` does for an admin without filters
(``findings_for`` → ``finding_export_rows``, tuples in chunks of STREAM_CHUNK_ROWS → ``excel.table_file``).
``before``: the same with ``finding_rows`` over model instances (five ``select_related`` joins), as
the view streamed before ``finding_export_rows``. ``floor``: one ``values_list`` over the same rows and columns (joins in SQL) appended to a bare
openpyxl write-only sheet in a temporary file. Run each mode in its own process: it prints rows,
seconds, peak RSS growth over the process after Django set-up, and the file size.
"""
from __future__ import annotations

import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chuangwen_bench")
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from campaign import excel  # noqa: E402
from campaign.models import Campaign  # noqa: E402
from inspections import renderers, selectors  # noqa: E402
from inspections.models import Finding  # noqa: E402

FLOOR_COLUMNS = (
    "pk", "found_on", "month", "inspection__title", "unit__name", "point__name", "indicator__code", "indicator__name",
    "description", "points", "is_repeat", "rectify_deadline", "status", "created_by__username", "withdrawn_reason",
)


def export(campaign: Campaign):
    user = get_user_model().objects.get(username="bench_admin")
    qs = selectors.findings_for(user, campaign)
    rows = renderers.finding_export_rows(qs, chunk_size=excel.STREAM_CHUNK_ROWS)
    return excel.table_file("问题清单", renderers.FINDING_HEADERS, rows, number_formats={9: excel.SCORE_FORMAT})


def before(campaign: Campaign):
    """The export as it was: model instances with five select_related joins through ``finding_rows``."""
    user = get_user_model().objects.get(username="bench_admin")
    qs = selectors.findings_for(user, campaign)
    rows = renderers.finding_rows(qs.iterator(chunk_size=excel.STREAM_CHUNK_ROWS))
    return excel.table_file("问题清单", renderers.FINDING_HEADERS, rows, number_formats={9: excel.SCORE_FORMAT})


def floor(campaign: Campaign):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    ws.append(renderers.FINDING_HEADERS)
    qs = Finding.objects.filter(campaign=campaign).order_by("-found_on", "-pk").values_list(*FLOOR_COLUMNS)
    for row in qs.iterator(chunk_size=excel.STREAM_CHUNK_ROWS):
        ws.append(row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(handle)
    return handle


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "export"
    campaign = Campaign.objects.get(slug="bench-city")
    count = Finding.objects.filter(campaign=campaign).count()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    handle = {"export": export, "before": before, "floor": floor}[mode](campaign)
    seconds = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    size = handle.seek(0, 2)
    handle.close()
    load = os.getloadavg()[0]
    print(f"{mode}: {count} rows, {seconds:.1f} s, peak RSS growth {peak:.0f} MiB, file {size / 1e6:.1f} MB, load average {load:.2f}")


if __name__ == "__main__":
    main()
