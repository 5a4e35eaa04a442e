"""Views of the tasks app: thin — access-checked fetch, form, service, redirect.

Officials see their unit and the units below it; anything else is a 404.
Leaders and inspectors read everything; a user who may read a task but not
write it gets a 403 on POST.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaign import access, excel, sorting, uploads
from campaign.models import RankingGroup
from campaign.periods import file_name
from campaign.selectors import current_campaign, current_phase
from campaign.workdays import WorkCalendar

from . import deadlines, exports, selectors, services
from .forms import CompleteForm, DeadlineForm, ProgressForm, ReturnForm, TaskFilterForm
from .models import Evidence, ProgressEntry, Task, TaskStatus

PAGE_SIZE = 30


def _campaign_or_404(request: HttpRequest) -> Any:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _require(user: Any, perm: str, obj: Any = None) -> None:
    if not access.can(user, perm, obj):
        raise PermissionDenied("您没有执行此操作的权限。")


def _filters(request: HttpRequest, campaign: Any, base: Any) -> tuple[TaskFilterForm, selectors.TaskFilters]:
    return exports.filter_form(request.GET, user=request.user, campaign=campaign, base=base)


# ---------------------------------------------------------------------------
# The list


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """我的任务: the unit's tasks (office roles: every unit, with a unit filter)."""
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    base = selectors.visible_tasks(request.user, campaign)
    form, filters = _filters(request, campaign, base)
    filtered = selectors.apply_filters(base, filters, today=today, calendar=calendar)
    counts = selectors.status_counts(filtered)
    page = Paginator(selectors.task_rows(filtered, filters.status), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.mark(page.object_list, today=today, calendar=calendar)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("status", None)
    return render(
        request,
        "tasks/list.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "status_tabs": [(value, label, counts[value]) for value, label in TaskStatus.choices],
            "total": sum(counts.values()),
            "current_status": filters.status,
            "query": query.urlencode(),
            "today": today,
            "sees_all": access.sees_all_units(request.user),
            "phase": current_phase(campaign, today),
        },
    )


@login_required
@require_GET
def task_list_export(request: HttpRequest) -> HttpResponse:
    """The filtered task list as .xlsx."""
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    queryset = exports.export_queryset(user=request.user, campaign=campaign, params=request.GET, today=today, calendar=calendar)
    total = queryset.count()
    if total > settings.EXPORT_STREAM_MAX_ROWS:
        # Too large for a web request: offer a report job (written by a worker, downloaded when ready).
        return render(request, "reports/export_large.html", {
            "kind": "tasks-xlsx", "what": "任务清单", "total": total, "limit": settings.EXPORT_STREAM_MAX_ROWS,
            "params": [(key, request.GET[key]) for key in exports.FILTER_KEYS if request.GET.get(key)],
            "back": reverse("tasks-list"),
        })
    # Streamed: the rows are read in chunks and written straight into a write-only workbook.
    return excel.stream_table(
        request, title="任务清单", headers=exports.HEADERS, rows=exports.export_rows(queryset, today=today, calendar=calendar),
        number_formats=exports.NUMBER_FORMATS, filename=exports.export_filename(campaign, today), what="导出任务清单",
    )


# ---------------------------------------------------------------------------
# One task


def _detail_context(request: HttpRequest, task: Task, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    entries = selectors.task_entries(task)
    task.progress_value = selectors.entries_progress(task, entries)
    selectors.mark([task], today=today, calendar=calendar)
    user = request.user
    can_report = access.can(user, "tasks.report_progress", task) and task.status != TaskStatus.ACCEPTED
    can_complete = access.can(user, "tasks.mark_complete", task) and deadlines.is_open(task.status)
    can_accept = access.can(user, "tasks.accept", task) and task.status == TaskStatus.COMPLETED
    can_manage = access.can(user, "tasks.manage", task)
    return {
        "task": task,
        "entries": entries,
        "history": selectors.task_history(task),
        "today": today,
        "can_report": can_report,
        "can_complete": can_complete,
        "can_accept": can_accept,
        "can_manage": can_manage,
        "progress_form": forms.get("progress_form") or (ProgressForm(task=task) if can_report else None),
        "complete_form": forms.get("complete_form") or (CompleteForm(short=task.target_short) if can_complete else None),
        "return_form": forms.get("return_form") or (ReturnForm() if can_accept else None),
        "deadline_form": forms.get("deadline_form") or (DeadlineForm(initial={"start": today}) if can_manage else None),
    }


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for_page(request.user, pk)
    return render(request, "tasks/detail.html", _detail_context(request, task))


@login_required
@require_POST
def progress_add(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for_page(request.user, pk)
    _require(request.user, "tasks.report_progress", task)
    form = ProgressForm(request.POST, request.FILES, task=task)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry, created = services.progress_add(
                task=task, author=request.user, text=data["text"], value=data["value"], files=data["files"],
                client_token=data["client_token"], request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, "进展已保存。")
            else:
                messages.info(request, "该进展此前已提交，未重复保存。")
            return redirect(f"{task.get_absolute_url()}#entry-{entry.pk}")
    return render(request, "tasks/detail.html", _detail_context(request, task, progress_form=form), status=400)


@login_required
@require_GET
def progress_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A progress entry's own address: checks access, then shows it on its task's page."""
    entry = access.get_visible_or_404(request.user, ProgressEntry.objects.select_related("task"), field="task__unit", pk=pk)
    return redirect(f"{entry.task.get_absolute_url()}#entry-{entry.pk}")


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve an evidence file after checking the user may see its task's unit (404 otherwise)."""
    evidence = access.get_visible_or_404(request.user, Evidence.objects.all(), field="entry__task__unit", pk=pk)
    inline = request.GET.get("inline") == "1" and evidence.is_image
    return uploads.file_response(evidence, request=request, inline=inline)


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for_page(request.user, pk)
    _require(request.user, "tasks.mark_complete", task)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.task_complete(task=task, user=request.user, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "任务已标记为完成，等待创建办验收。")
            return redirect(task)
    return render(request, "tasks/detail.html", _detail_context(request, task, complete_form=form), status=400)


@login_required
@require_POST
def task_accept(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for_page(request.user, pk)
    _require(request.user, "tasks.accept", task)
    try:
        services.task_accept(task=task, user=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "任务已验收。")
    return redirect(task)


@login_required
@require_POST
def task_return(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for_page(request.user, pk)
    _require(request.user, "tasks.accept", task)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.task_return(task=task, user=request.user, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "任务已退回责任单位。")
        return redirect(task)
    return render(request, "tasks/detail.html", _detail_context(request, task, return_form=form), status=400)


@login_required
@require_POST
def task_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the deadline as N 工作日 from a date (office only)."""
    task = selectors.task_for_page(request.user, pk)
    _require(request.user, "tasks.manage", task)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        services.task_set_deadline(
            task=task, user=request.user, start=form.cleaned_data["start"], working_days=form.cleaned_data["working_days"],
            request=request,
        )
        messages.success(request, f"完成时限已设为 {task.deadline:%Y年%m月%d日}（{task.deadline_text}）。")
        return redirect(task)
    return render(request, "tasks/detail.html", _detail_context(request, task, deadline_form=form), status=400)


# ---------------------------------------------------------------------------
# Timeline and dashboards


@login_required
@require_GET
def task_timeline(request: HttpRequest) -> HttpResponse:
    """阶段进度: phases and the tasks' deadlines on one axis, today marked, grouped by phase and unit,
    20 units a page, filterable by unit and phase."""
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    units = access.visible_units(request.user).filter(is_active=True).order_by("path")
    phases = list(campaign.phases.all())
    qs = selectors.visible_tasks(request.user, campaign)
    unit = phase = None
    unit_id = request.GET.get("unit")
    if unit_id and unit_id.isdigit():
        unit = units.filter(pk=int(unit_id)).first()
        if unit is not None:
            qs = qs.filter(unit__path__startswith=unit.path)
    phase_id = request.GET.get("phase")
    if phase_id and phase_id.isdigit():
        phase = next((p for p in phases if p.pk == int(phase_id)), None)
        if phase is not None:
            qs = qs.filter(phase=phase)
    # Paged by unit (20 a page) so the chart stays small however many tasks the city has.
    page = Paginator(selectors.timeline_units(qs), selectors.TIMELINE_UNITS_PER_PAGE).get_page(request.GET.get("page"))
    page_tasks = selectors.timeline_tasks(qs.filter(unit__in=[u.pk for u in page.object_list]))
    tasks = selectors.mark(page_tasks[: selectors.TIMELINE_MAX_TASKS + 1], today=today, calendar=calendar)
    truncated = len(tasks) > selectors.TIMELINE_MAX_TASKS
    tasks = tasks[: selectors.TIMELINE_MAX_TASKS]
    chart = selectors.timeline(campaign, tasks, today=today)
    return render(
        request, "tasks/timeline.html",
        {
            "campaign": campaign, "chart": chart, "units": units, "unit": unit, "phases": phases, "phase": phase,
            "today": today, "task_count": qs.count(), "page": page, "truncated": truncated,
            "max_tasks": selectors.TIMELINE_MAX_TASKS,
        },
    )


DASHBOARD_HEADERS = ["分组", "任务数", "已完成", "完成率(%)", "应完成", "按时完成", "按时完成率(%)", "逾期未完成", "目标未达"]


DASHBOARD_ROWS = 20  # rows of any one dashboard table; the rest is paged, in the filtered task list and in the export


RATE_COLUMNS = (
    ("name", ""), ("total", "任务数"), ("done", "已完成"), ("rate", "完成率"), ("on_time", "按时完成率"),
    ("overdue", "逾期"), ("short", "目标未达"),
)
OVERDUE_COLUMNS = (
    sorting.Column("序号", "code"), sorting.Column("任务"), sorting.Column("责任单位", "unit"), sorting.Column("责任领导"),
    sorting.Column("责任人"), sorting.Column("完成时限", "deadline"), sorting.Column("状态", "status"),
    sorting.Column("逾期天数", "days", number=True, first="desc"),
)
TARGET_COLUMNS = (
    sorting.Column("任务"), sorting.Column("责任单位", "unit"), sorting.Column("目标", number=True),
    sorting.Column("实际", number=True), sorting.Column("完成比例", "percent", number=True), sorting.Column("计算方式"),
    sorting.Column("状态", "status"), sorting.Column("目标未达原因"),
)


def list_suffix(unit_name: str, group: str) -> str:
    """What a link from 任务统计 to the task list adds so the list holds the rows the dashboard counted:
    the dashboard's 单位名称 (``?q=`` there, ``unit_name`` on the list, whose ``q`` searches the tasks'
    text) and 考核组别; empty when neither is set."""
    kept = QueryDict(mutable=True)
    kept.update({k: v for k, v in (("unit_name", unit_name), ("group", group)) if v})
    return f"&{kept.urlencode()}" if kept else ""


def _dashboard_filter(request: HttpRequest, qs: Any) -> tuple[Any, dict[str, Any]]:
    """任务统计 narrowed to units whose name contains ``?q=`` and to one ranking group ``?group=``.

    The page and every export it offers go through here, so an export holds the rows the page shows;
    ``filter_query`` is the query string the export links carry; ``list_suffix`` is what the links to
    the task list add (``&unit_name=…&group=…``: the list's names for the same two filters)."""
    q = request.GET.get("q", "").strip()[:50]
    groups = list(RankingGroup.objects.order_by("order", "name"))
    group = request.GET.get("group", "")
    if q:
        qs = qs.filter(unit__name__icontains=q)
    if group.isdigit() and any(g.pk == int(group) for g in groups):
        qs = qs.filter(unit__ranking_group_id=int(group))
    else:
        group = ""
    kept = QueryDict(mutable=True)
    kept.update({k: v for k, v in (("q", q), ("group", group)) if v})
    return qs, {
        "q": q, "group": group, "groups": groups, "filtered": bool(q or group), "filter_query": kept.urlencode(),
        "list_suffix": list_suffix(q, group),
    }


def _dashboard_data(request: HttpRequest, campaign: Any, today: dt.date) -> dict[str, Any]:
    qs, filters = _dashboard_filter(request, selectors.visible_tasks(request.user, campaign))
    # Progress (so 目标未达 and the target rows) only matters for tasks with a quantitative target: when
    # none has one, the three queries that compute it (ledger measures, short tasks, target rows) are skipped.
    targets_total = selectors.with_target(qs).count()
    fed = selectors.fed_measures(qs) if targets_total else frozenset()  # only those ledger measures in the progress SQL
    rates = []
    tables = selectors.rate_tables(qs, today=today, fed=fed, with_short=bool(targets_total))
    for key, (title, _) in selectors.DIMENSIONS.items():
        rows = tables[key]
        if key == "unit":
            rows = selectors.worst_first(rows)
        param = f"{key}_sort"
        sort = sorting.chosen(request.GET, [*selectors.RATE_SORTS, "default"], "default", param=param)
        rows = selectors.sort_dashboard_rows(rows, sort, selectors.RATE_SORTS)
        columns = [
            sorting.Column(label or title[1:], column, number=column != "name", first="asc" if column in ("name", "rate", "on_time") else "desc")
            for column, label in RATE_COLUMNS
        ]
        headers = sorting.headers(columns, sort, request.GET, param=param, page_param=f"{key}_page", anchor=f"rates-{key}")
        page = None
        if len(rows) > DASHBOARD_ROWS:
            page = Paginator(rows, DASHBOARD_ROWS).get_page(request.GET.get(f"{key}_page"))
            rows = page.object_list
        rates.append((key, title, rows, page, headers, sort.key == "default"))
    overdue_sort = sorting.chosen(request.GET, [*selectors.OVERDUE_SORTS, "default"], "default", param="overdue_sort")
    target_sort = sorting.chosen(request.GET, [*selectors.TARGET_SORTS, "default"], "default", param="targets_sort")
    return {
        "rates": rates,
        "overdue": selectors.sort_dashboard_rows(
            selectors.overdue_tasks(qs, today=today, limit=DASHBOARD_ROWS), overdue_sort, selectors.OVERDUE_SORTS),
        "overdue_headers": sorting.headers(OVERDUE_COLUMNS, overdue_sort, request.GET, param="overdue_sort", anchor="overdue"),
        "overdue_total": selectors.overdue_query(qs, today=today).count(),
        "targets": selectors.sort_dashboard_rows(
            selectors.target_rows(qs, limit=DASHBOARD_ROWS, fed=fed), target_sort, selectors.TARGET_SORTS) if targets_total else [],
        "target_headers": sorting.headers(TARGET_COLUMNS, target_sort, request.GET, param="targets_sort", anchor="targets"),
        "targets_total": targets_total,
        # Every task is in one category: the category table's 目标未达 add up to all of them (no second count).
        "short_total": sum(row.short for row in tables["category"]),
        **filters,
    }


@login_required
@require_GET
def task_dashboard(request: HttpRequest) -> HttpResponse:
    """任务统计: completion and on-time rates, the overdue list, targets against actuals."""
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    data = _dashboard_data(request, campaign, today)
    return render(request, "tasks/dashboard.html", {"campaign": campaign, "today": today, **data})


EXPORT_TABLES = {**{k: v[0] for k, v in selectors.DIMENSIONS.items()}, "overdue": "逾期任务清单", "targets": "量化目标完成情况"}


@login_required
@require_GET
def task_dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    """One dashboard table as .xlsx, narrowed by the page's filter (``?q=``, ``?group=``)."""
    if table not in EXPORT_TABLES:
        raise Http404("没有这个统计表。")
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    qs, _ = _dashboard_filter(request, selectors.visible_tasks(request.user, campaign))
    title = EXPORT_TABLES[table]
    if table in selectors.DIMENSIONS:
        headers = DASHBOARD_HEADERS
        rows = [
            [r.label, r.total, r.done, r.completion_rate, r.judged, r.on_time, r.on_time_rate, r.overdue, r.short]
            for r in selectors.rates_by(qs, table, today=today)
        ]
        formats = {3: "0.0", 6: "0.0"}
    elif table == "overdue":
        headers = ["序号", "任务名称", "责任单位", "责任领导", "责任人", "完成时限", "状态", "逾期天数"]
        rows = [
            [t.code, t.title, t.unit.name, t.leader_name, t.person_name, t.deadline, t.get_status_display(), t.days_overdue]
            for t in selectors.overdue_tasks(qs, today=today)
        ]
        formats = {}
    else:
        headers = [
            "序号", "任务名称", "责任单位", "测评指标", "量化目标", "目标单位", "实际完成", "完成比例(%)", "计算方式", "状态",
            "目标未达", "目标未达原因",
        ]
        rows = [
            [
                t.code, t.title, t.unit.name, str(t.indicator) if t.indicator else "", t.target_value, t.target_unit,
                t.progress_value, t.percent, t.get_target_aggregation_display(), t.get_status_display(),
                "是" if t.short_done else "", t.shortfall_reason,
            ]
            for t in selectors.target_rows(qs)
        ]
        formats = {4: "0.00", 6: "0.00", 7: "0.0"}
    return excel.stream_table(
        request, title=title, headers=headers, rows=rows, number_formats=formats,
        filename=file_name(f"{campaign.name}{title}", "xlsx", day=today), what=f"导出{title}",
    )
