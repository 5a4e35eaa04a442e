"""The findings list as .xlsx: streamed in the request when small, written by a report job when large.

The list's filters travel as the same plain strings the page's query string holds
(:func:`filters_from`), so a job written minutes later in a worker exports exactly the rows
the person saw, cut to what *they* may see (``selectors.findings_for(user, …)``). Whether a
request is "large" is ``settings.EXPORT_STREAM_MAX_ROWS``; the job side (queue, progress,
audited download) is ``reports.job_services``, which calls :func:`findings_xlsx`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from campaign.excel import SCORE_FORMAT, STREAM_CHUNK_ROWS, table_file, with_progress
from campaign.models import Campaign
from campaign.periods import file_name, parse_month

from . import renderers, selectors
from .models import FindingStatus

# The query-string keys of the findings list's filters (also what a findings-xlsx job keeps as params).
FILTER_KEYS = ("month", "unit", "indicator", "point", "status", "inspector", "overdue", "q")
# How often a job reports its progress, in rows.
PROGRESS_ROWS = 10_000

Progress = Callable[[int, str], None]


def filters_from(data: Mapping[str, Any], *, today: dt.date | None = None) -> tuple[selectors.FindingFilters, dict[str, str]]:
    """The list's filters from query-string values (bad values are ignored, as on the page), and the
    raw strings kept (for links and for a job's params)."""

    def _int(name: str) -> int | None:
        value = str(data.get(name) or "")
        return int(value) if value.isdigit() else None

    month = None
    if data.get("month"):
        try:
            month = parse_month(str(data["month"]))
        except ValueError:
            month = None
    status = str(data.get("status") or "")
    status = status if status in FindingStatus.values else ""
    overdue = (today or timezone.localdate()) if str(data.get("overdue") or "") == "1" else None
    filters = selectors.FindingFilters(
        month=month, unit_id=_int("unit"), indicator_id=_int("indicator"), point_id=_int("point"), status=status,
        inspector_id=_int("inspector"), overdue_on=overdue, q=str(data.get("q") or "").strip()[:50],
    )
    raw = {key: str(data.get(key) or "") for key in FILTER_KEYS}
    return filters, raw


def export_filename(day: dt.date) -> str:
    return file_name("问题清单", "xlsx", day=day)


def findings_xlsx(*, user: Any, campaign: Campaign, params: Mapping[str, Any], progress: Progress | None = None) -> tuple[str, bytes]:
    """The findings ``user`` may see with the list's filters ``params``, as (file name, .xlsx bytes).

    Same cells as the streamed download (``renderers.finding_export_rows``), written by a
    write-only sheet into a temporary file."""
    filters, _ = filters_from(params)
    qs = selectors.findings_for(user, campaign, filters)
    total = qs.count()
    if progress:
        progress(10, f"共 {total:,} 条问题，正在写入")
    rows = with_progress(renderers.finding_export_rows(qs, chunk_size=STREAM_CHUNK_ROWS), total, progress, every=PROGRESS_ROWS)
    with table_file("问题清单", renderers.FINDING_HEADERS, rows, number_formats={9: SCORE_FORMAT}) as handle:
        content = handle.read()
    return export_filename(timezone.localdate()), content
