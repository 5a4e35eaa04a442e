"""The task list as .xlsx: streamed in the request when small, written by a report job when large.

The list's filters travel as the plain strings of its query string (:data:`FILTER_KEYS`), so
a job written later in a worker exports the rows the person saw, cut to what *they* may see
(``selectors.visible_tasks(user, …)``). "Large" is ``settings.EXPORT_STREAM_MAX_ROWS``; the job
side is ``reports.job_services``, which calls :func:`tasks_xlsx`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from campaign import access, excel
from campaign.models import Campaign
from campaign.periods import file_name
from campaign.workdays import WorkCalendar

from . import selectors
from .forms import TaskFilterForm
from .models import Task

FILTER_KEYS = ("q", "unit", "unit_name", "group", "phase", "indicator", "special_action", "category", "status", "person", "flag")
PROGRESS_ROWS = 2_000
HEADERS = [
    "序号", "任务名称", "测评指标", "专项行动", "工作阶段", "责任单位", "责任领导", "责任人", "完成时限", "状态",
    "完成日期", "是否按时", "量化目标", "目标单位", "当前进展", "完成比例(%)", "逾期天数",
]
NUMBER_FORMATS = {12: "0.00", 14: "0.00", 15: "0.0"}

Progress = Callable[[int, str], None]


def filter_form(data: Mapping[str, Any] | None, *, user: Any, campaign: Campaign, base: QuerySet[Task]) -> tuple[TaskFilterForm, selectors.TaskFilters]:
    """The task list's filter form bound to ``data`` (a query string, or a job's params) and the
    filters it yields; choices are limited to what ``user`` may see, invalid values are ignored."""
    form = TaskFilterForm(
        data or None,
        campaign=campaign,
        units=access.visible_units(user).filter(is_active=True).order_by("path"),
        persons=selectors.person_names(base),
        show_unit=True,
    )
    filters = selectors.TaskFilters()
    if form.is_bound and form.is_valid():
        cleaned = form.cleaned_data
        filters = selectors.TaskFilters(
            unit=cleaned.get("unit"),
            group=cleaned.get("group"),
            unit_name=(cleaned.get("unit_name") or "").strip(),
            phase=cleaned.get("phase"),
            indicator=cleaned.get("indicator"),
            special_action=cleaned.get("special_action"),
            category=cleaned.get("category") or "",
            status=cleaned.get("status") or "",
            person=cleaned.get("person") or "",
            flag=cleaned.get("flag") or "",
            q=(cleaned.get("q") or "").strip(),
        )
    return form, filters


def export_queryset(*, user: Any, campaign: Campaign, params: Mapping[str, Any], today: dt.date, calendar: WorkCalendar) -> QuerySet[Task]:
    """The tasks the export holds: the list's rows for ``user`` with the filters ``params``."""
    base = selectors.visible_tasks(user, campaign)
    _, filters = filter_form(params, user=user, campaign=campaign, base=base)
    return selectors.task_rows(selectors.apply_filters(base, filters, today=today, calendar=calendar), filters.status)


def export_rows(queryset: QuerySet[Task], *, today: dt.date, calendar: WorkCalendar) -> Iterator[list[Any]]:
    """One row per task, read in chunks (the columns of :data:`HEADERS`)."""
    tasks = selectors.mark_each(queryset.iterator(chunk_size=excel.STREAM_CHUNK_ROWS), today=today, calendar=calendar)
    for t in tasks:
        yield [
            t.code, t.title, str(t.indicator) if t.indicator else "", t.special_action.name if t.special_action else "",
            t.phase.name if t.phase else "", t.unit.name, t.leader_name, t.person_name,
            t.deadline or (t.deadline_text or ("长期坚持" if t.is_ongoing else "")), t.get_status_display(), t.completed_on,
            {True: "按时", False: "逾期完成", None: ""}[t.on_time], t.target_value, t.target_unit, t.progress_value,
            t.percent, t.days_overdue or None,
        ]


def export_filename(campaign: Campaign, day: dt.date) -> str:
    return file_name(f"{campaign.name}任务清单", "xlsx", day=day)


def tasks_xlsx(*, user: Any, campaign: Campaign, params: Mapping[str, Any], progress: Progress | None = None) -> tuple[str, bytes]:
    """The tasks ``user`` may see with the list's filters ``params``, as (file name, .xlsx bytes)."""
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    queryset = export_queryset(user=user, campaign=campaign, params=params, today=today, calendar=calendar)
    total = queryset.count()
    if progress:
        progress(10, f"共 {total:,} 项任务，正在写入")
    rows = excel.with_progress(export_rows(queryset, today=today, calendar=calendar), total, progress, every=PROGRESS_ROWS)
    with excel.table_file("任务清单", HEADERS, rows, number_formats=NUMBER_FORMATS) as handle:
        content = handle.read()
    return export_filename(campaign, today), content
