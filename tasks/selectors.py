"""Reads for the tasks app: lists, the task page, dashboards and the timeline.

Every selector knows its ``select_related``/``prefetch_related`` and
annotations, so pages take a fixed number of queries however many tasks there
are. Numbers are computed here; templates and Excel exports only lay them out.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from django.db.models import (
    Case, Count, DecimalField, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse

from campaign import access, sorting
from campaign.models import Campaign, Indicator, Phase, RankingGroup, SpecialAction, Unit
from campaign.workdays import WorkCalendar
from ledgers import measures as ledger_measures
from ledgers import selectors as ledgers_selectors

from . import deadlines
from .models import Evidence, ProgressEntry, TargetAggregation, Task, TaskCategory, TaskStatus

VALUE_FIELD = DecimalField(max_digits=14, decimal_places=2)


# ---------------------------------------------------------------------------
# Derived progress


def plain_number(value: Decimal) -> str:
    """A quantity without trailing zeros and never in exponent form: 18.50 → "18.5", 100.00 → "100"."""
    return format(value.normalize(), "f")


def derived_progress(aggregation: str, values: Iterable[Decimal | None]) -> Decimal | None:
    """A task's progress toward its target, from its entries' values (newest first).

    ``sum``: the values added up; ``latest``: the newest entry that has a value.
    Entries without a value do not count. ``None`` when no entry has a value.
    """
    present = [v for v in values if v is not None]
    if not present:
        return None
    if aggregation == TargetAggregation.LATEST:
        return present[0]
    return sum(present, Decimal("0"))


def progress_percent(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """Progress as a percentage of the target, one decimal place, capped at nothing (over 100 is shown)."""
    if target is None or target <= 0:
        return None
    return ((value or Decimal("0")) * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def is_target_short(target: Decimal | None, progress: Decimal | None) -> bool:
    """目标未达: the task has a quantitative target and its derived progress is below it.

    The one definition (its database twin is :func:`target_short_q`). No progress
    reported counts as 0. Used when a task is marked complete (a reason is then
    required) and by the dashboards, which count completed tasks that are short.
    """
    if target is None:
        return False
    return (progress or Decimal("0")) < target


def target_short_q(progress: str = "progress_value") -> Q:
    """Filter twin of :func:`is_target_short`; needs the ``progress_value`` of :func:`with_progress`
    (or the annotation named by ``progress``)."""
    return Q(target_value__isnull=False) & (
        Q(**{f"{progress}__isnull": True}) | Q(**{f"{progress}__lt": F("target_value")})
    )


def short_done_q(progress: str = "progress_value") -> Q:
    """Completed (已完成/已验收) tasks whose target was not reached — the dashboards' 目标未达."""
    return deadlines.done_q() & target_short_q(progress)


def short_done(qs: QuerySet[Task], fed: Collection[str] | None = None) -> QuerySet[Task]:
    """Only the 目标未达 tasks of ``qs`` (see :func:`short_done_q`; ``fed``: see :func:`_progress_expr`)."""
    return qs.alias(short_progress=_progress_expr(fed)).filter(short_done_q("short_progress"))


def task_progress(task: Task) -> Decimal | None:
    """The derived progress of one task, read from its entries (one query), or — for a task fed by
    a ledger (``ledger_measure``) — the measure over its unit and the units below, now."""
    if task.ledger_measure in ledger_measures.MEASURES:
        return ledgers_selectors.measure_value(task.ledger_measure, campaign=task.campaign_id, unit=task.unit)
    values = task.progress_entries.order_by("-created_at", "-pk").values_list("value", flat=True)
    return derived_progress(task.target_aggregation, values)


def entries_progress(task: Task, entries: Sequence[ProgressEntry]) -> Decimal | None:
    """The task page's progress: from the entries it already read, or from the ledger it is fed by."""
    if task.ledger_measure in ledger_measures.MEASURES:
        return task_progress(task)
    return derived_progress(task.target_aggregation, [e.value for e in entries])


def fed_measures(qs: QuerySet[Task]) -> frozenset[str]:
    """The ledger measures some task of ``qs`` takes its progress from (one small query)."""
    return frozenset(qs.order_by().exclude(ledger_measure="").values_list("ledger_measure", flat=True).distinct())


def _progress_expr(fed: Collection[str] | None = None) -> Case:
    """The derived progress of each task as SQL. ``fed`` (:func:`fed_measures`): only those ledger
    measures get a branch; None: every measure. The dashboard passes it: with every measure's
    subquery in each of its aggregates, Django spent ~1.2 s compiling its SQL on the bench city,
    which has no ledger-fed task. The values are the same (a branch no task takes never matches)."""
    entries = ProgressEntry.objects.filter(task=OuterRef("pk"), value__isnull=False)
    total = Subquery(
        entries.order_by().values("task").annotate(s=Sum("value")).values("s")[:1], output_field=VALUE_FIELD
    )
    latest = Subquery(entries.order_by("-created_at", "-pk").values("value")[:1], output_field=VALUE_FIELD)
    # Ledger-fed tasks take the measure (ledgers.measures), computed in the same query.
    branches = [When(ledger_measure=key, then=ledger_measures.task_value_subquery(key)) for key in ledger_measures.MEASURES
                if fed is None or key in fed]
    return Case(
        *branches, When(target_aggregation=TargetAggregation.LATEST, then=latest), default=total, output_field=VALUE_FIELD
    )


def with_progress(qs: QuerySet[Task], fed: Collection[str] | None = None) -> QuerySet[Task]:
    """Annotate ``progress_value`` (the derived progress, see :func:`derived_progress`) in SQL
    (``fed``: see :func:`_progress_expr`)."""
    return qs.annotate(
        progress_value=_progress_expr(fed),
        entry_count=Subquery(
            ProgressEntry.objects.filter(task=OuterRef("pk")).order_by().values("task").annotate(n=Count("pk")).values("n")[:1]
        ),
    )


# ---------------------------------------------------------------------------
# Lists


@dataclass
class TaskFilters:
    """What the task list is filtered by (all optional)."""

    unit: Unit | None = None
    group: RankingGroup | None = None  # 考核组别 of the responsible unit (the dashboard's ?group=)
    unit_name: str = ""  # the responsible unit's name contains it (the dashboard's 单位名称, ?q= there)
    phase: Phase | None = None
    indicator: Indicator | None = None
    special_action: SpecialAction | None = None
    category: str = ""
    status: str = ""
    person: str = ""
    flag: str = ""  # "overdue" | "due_soon" | "short" (目标未达) | "target" (有量化目标)
    q: str = ""


def visible_tasks(user: Any, campaign: Campaign) -> QuerySet[Task]:
    """The campaign's tasks the user may see (officials: their unit and below)."""
    return access.filter_visible(user, Task.objects.filter(campaign=campaign))


def apply_filters(qs: QuerySet[Task], filters: TaskFilters, *, today: dt.date, calendar: WorkCalendar) -> QuerySet[Task]:
    if filters.unit is not None:
        qs = qs.filter(unit__path__startswith=filters.unit.path)
    if filters.group is not None:
        qs = qs.filter(unit__ranking_group=filters.group)
    if filters.unit_name:
        qs = qs.filter(unit__name__icontains=filters.unit_name)
    if filters.phase is not None:
        qs = qs.filter(phase=filters.phase)
    if filters.indicator is not None:
        # A level-1/2 indicator selects everything below it.
        qs = qs.filter(Q(indicator=filters.indicator) | Q(indicator__code__startswith=f"{filters.indicator.code}."))
    if filters.special_action is not None:
        qs = qs.filter(special_action=filters.special_action)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.person:
        qs = qs.filter(person_name=filters.person)
    if filters.flag == "overdue":
        qs = qs.filter(deadlines.overdue_q(today))
    elif filters.flag == "short":
        qs = short_done(qs)
    elif filters.flag == "due_soon":
        qs = qs.filter(deadlines.due_soon_q(today, calendar))
    elif filters.flag == "target":
        qs = with_target(qs)
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q)
            | Q(code__icontains=filters.q)
            | Q(standard__icontains=filters.q)
            | Q(indicator__name__icontains=filters.q)
            | Q(indicator__code__startswith=filters.q)
        )
    return qs


def task_rows(qs: QuerySet[Task], status: str = "") -> QuerySet[Task]:
    """Tasks ready for a list page: related rows joined, progress annotated, grouped by phase."""
    if status:
        qs = qs.filter(status=status)
    return (
        with_progress(qs)
        .select_related("unit", "indicator", "special_action", "phase")
        .order_by("phase__order", "phase__start_date", "phase_id", "deadline", "code", "pk")
    )


def status_counts(qs: QuerySet[Task]) -> dict[str, int]:
    """Tasks per status in one query (for the status tabs)."""
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    return {value: counts.get(value, 0) for value, _ in TaskStatus.choices}


def person_names(qs: QuerySet[Task]) -> list[str]:
    return list(qs.exclude(person_name="").order_by("person_name").values_list("person_name", flat=True).distinct())


def mark(tasks: Iterable[Task], *, today: dt.date, calendar: WorkCalendar) -> list[Task]:
    """Attach the deadline flags and the progress percentage to each task (no queries)."""
    return list(mark_each(tasks, today=today, calendar=calendar))


def mark_each(tasks: Iterable[Task], *, today: dt.date, calendar: WorkCalendar) -> Iterator[Task]:
    """:func:`mark`, one task at a time (for streamed exports)."""
    for task in tasks:
        task.is_overdue = deadlines.is_overdue(deadline=task.deadline, status=task.status, today=today)
        task.is_due_soon = deadlines.is_due_soon(deadline=task.deadline, status=task.status, today=today, calendar=calendar)
        task.on_time = deadlines.is_on_time(deadline=task.deadline, completed_on=task.completed_on)
        task.days_overdue = deadlines.days_overdue(deadline=task.deadline, status=task.status, today=today)
        value = getattr(task, "progress_value", None)
        task.percent = progress_percent(value, task.target_value)
        task.target_short = is_target_short(task.target_value, value)
        task.short_done = task.target_short and task.status in deadlines.DONE_STATUSES
        task.ledger_source = (
            ledgers_selectors.measure_source(task.ledger_measure, task.unit) if task.ledger_measure else None
        )
        yield task


# ---------------------------------------------------------------------------
# The task page


def task_for_page(user: Any, pk: int) -> Task:
    """One task the user may see (404 otherwise), with what its page shows."""
    qs = Task.objects.select_related(
        "campaign", "unit", "indicator", "indicator__parent", "special_action", "phase", "person", "accepted_by"
    ).prefetch_related("co_units")
    return access.get_visible_or_404(user, qs, pk=pk)


def task_entries(task: Task) -> list[ProgressEntry]:
    return list(
        task.progress_entries.select_related("author").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("pk"))
        )
    )


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryRow:
    when: dt.datetime
    who: str
    what: str  # "任务" or "进展"
    kind: str  # 新建 / 修改 / 删除
    changes: list[Change] = field(default_factory=list)


_HISTORY_KINDS = {"+": "新建", "~": "修改", "-": "删除"}
_SKIP_FIELDS = {"id", "created_at", "updated_at", "client_token", "task", "author", "campaign"}


def _display(model_field: Any, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value is None or value == "":
        return "（空）"
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    lookup = names.get(model_field.attname)
    if lookup is not None:
        return lookup.get(value, f"#{value}")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _history_rows(records: Sequence[Any], model: type, what: str, names: dict[str, dict[Any, str]]) -> list[HistoryRow]:
    fields = [f for f in model._meta.concrete_fields if f.name not in _SKIP_FIELDS]
    rows: list[HistoryRow] = []
    previous: dict[int, Any] = {}
    for rec in records:  # oldest first
        before = previous.get(rec.id)
        changes = []
        for f in fields:
            new = getattr(rec, f.attname)
            if rec.history_type == "+":
                if new in (None, "") or f.name in {"status", "target_aggregation", "is_ongoing"}:
                    continue
                changes.append(Change(str(f.verbose_name), "", _display(f, new, names)))
            elif before is not None:
                old = getattr(before, f.attname)
                if old != new:
                    changes.append(Change(str(f.verbose_name), _display(f, old, names), _display(f, new, names)))
        previous[rec.id] = rec
        if rec.history_type == "~" and not changes:
            continue  # a save that changed nothing visible
        user = rec.history_user
        rows.append(
            HistoryRow(
                when=rec.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "系统",
                what=what,
                kind=_HISTORY_KINDS.get(rec.history_type, rec.history_type),
                changes=changes,
            )
        )
    return rows


def task_history(task: Task) -> list[HistoryRow]:
    """Who changed the task and its progress entries, when, from what to what (newest first)."""
    task_records = list(task.history.select_related("history_user").order_by("history_date", "history_id"))
    entry_records = list(
        ProgressEntry.history.filter(task_id=task.pk).select_related("history_user").order_by("history_date", "history_id")
    )
    user_ids = {r.person_id for r in task_records if r.person_id} | {r.accepted_by_id for r in task_records if r.accepted_by_id}
    unit_ids = {r.unit_id for r in task_records}
    from django.contrib.auth import get_user_model

    names: dict[str, dict[Any, str]] = {
        "person_id": {}, "accepted_by_id": {}, "unit_id": {}, "phase_id": {}, "indicator_id": {}, "special_action_id": {},
    }
    if user_ids:
        users = {u.pk: (u.get_full_name() or u.get_username()) for u in get_user_model().objects.filter(pk__in=user_ids)}
        names["person_id"] = names["accepted_by_id"] = users
    names["unit_id"] = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    names["phase_id"] = dict(Phase.objects.filter(campaign_id=task.campaign_id).values_list("pk", "name"))
    names["indicator_id"] = {
        pk: f"{code} {name}"
        for pk, code, name in Indicator.objects.filter(pk__in={r.indicator_id for r in task_records if r.indicator_id}).values_list(
            "pk", "code", "name"
        )
    }
    names["special_action_id"] = dict(SpecialAction.objects.filter(campaign_id=task.campaign_id).values_list("pk", "name"))
    rows = _history_rows(task_records, Task, "任务", names) + _history_rows(entry_records, ProgressEntry, "进展", names)
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows


# ---------------------------------------------------------------------------
# Dashboards


@dataclass
class RateRow:
    """Completion and on-time figures for one group of tasks.

    - 完成率 = 已完成或已验收 ÷ 任务数
    - 按时完成率 = 按时完成 ÷ 应完成 (应完成: completed tasks plus open tasks past their deadline)
    - 目标未达 = completed tasks whose derived progress is below their quantitative target
    """

    label: str
    total: int
    done: int
    on_time: int
    judged: int
    overdue: int
    short: int = 0  # 目标未达: completed below the quantitative target (selectors.short_done_q)
    query: str = ""  # the task list's filter for this group ("unit=12"), empty when the list cannot filter by it

    @property
    def completion_rate(self) -> Decimal | None:
        return _rate(self.done, self.total)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _rate(self.on_time, self.judged)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # key: (Chinese title, fields grouped by; the last one is the label, the first the sort key)
    "unit": ("按责任单位", ("unit__path", "unit_id", "unit__name")),
    "group": ("按考核组别", ("unit__ranking_group__order", "unit__ranking_group_id", "unit__ranking_group__name")),
    "phase": ("按工作阶段", ("phase__order", "phase_id", "phase__name")),
    "category": ("按任务类别", ("category",)),
    "indicator": ("按测评指标", ("indicator__code", "indicator_id", "indicator__name")),
    "action": ("按专项行动", ("special_action__order", "special_action_id", "special_action__name")),
}
# The task list's filter parameter for each dimension's group.
FILTER_PARAMS = {"unit": "unit_id", "group": "unit__ranking_group_id", "phase": "phase_id", "category": "category", "indicator": "indicator_id", "action": "special_action_id"}
CATEGORY_LABELS = dict(TaskCategory.choices)
EMPTY_LABELS = {"unit": "（未指定单位）", "group": "（未分组）", "phase": "（未分阶段）", "indicator": "（无指标）", "action": "（无专项行动）"}


def rates_by(qs: QuerySet[Task], dimension: str, *, today: dt.date, fed: Collection[str] | None = None) -> list[RateRow]:
    """Completion and on-time rates per unit / ranking group / phase / category / indicator / special action.

    组织保障 tasks are counted apart from the indicators: the indicator table
    leaves them out (the category table and the others count them). See :func:`rate_tables`.
    """
    return rate_tables(qs, today=today, fed=fed, dimensions=[dimension])[dimension]


# Dimensions counted by one grouped query (:func:`rate_tables`): a unit's ranking group is the unit's, so the
# unit rows hold the group table; the other four are small and grouped together (at most one row per task).
RATE_QUERIES: tuple[tuple[str, ...], ...] = (("unit", "group"), ("phase", "category", "indicator", "action"))
RATE_COUNTS = ("total", "done", "on_time", "judged", "overdue")  # the counts of :func:`group_counts`, in order


def rate_tables(
    qs: QuerySet[Task], *, today: dt.date, fed: Collection[str] | None = None, dimensions: Sequence[str] | None = None,
    with_short: bool = True,
) -> dict[str, list[RateRow]]:
    """:func:`rates_by` of each dimension (all of them by default): one grouped count per set of
    :data:`RATE_QUERIES` (two for the page), each table's groups added up and ordered here
    (:func:`group_counts`), and the 目标未达 counts of every dimension from one query of the short tasks' keys.

    Before, each table was its own grouped query (six on the page, 26–46 ms on the bench city).
    目标未达 needs the derived progress (a ``CASE`` with subqueries per task): counted inside each
    grouped query, Django compiled that expression once per table and PostgreSQL ran its subqueries for
    every task again. The short tasks are few; their keys are read once and counted per group here, with
    the same values as ``Count(filter=short_done_q())``. ``with_short=False``: the caller knows that no task
    of ``qs`` has a quantitative target (:func:`with_target`), so none is short and that query is skipped.
    """
    dimensions = list(dimensions or DIMENSIONS)
    keys = sorted({name for d in dimensions for name in DIMENSIONS[d][1]} | {"category"})
    short_keys = list(short_done(qs, fed).order_by().values(*keys)) if with_short else []
    tables = {}
    for together in RATE_QUERIES:
        these = [d for d in dimensions if d in together]
        if not these:
            continue
        fields = tuple(sorted({name for d in these for name in DIMENSIONS[d][1]} | ({"category"} if "indicator" in these else set())))
        counted = (
            qs.order_by()
            .values_list(*fields)
            .annotate(
                total=Count("pk"),
                done=Count("pk", filter=deadlines.done_q()),
                on_time=Count("pk", filter=deadlines.on_time_q()),
                judged=Count("pk", filter=deadlines.judged_q(today)),
                overdue=Count("pk", filter=deadlines.overdue_q(today)),
            )
            .order_by()
        )
        counted = list(counted)
        for dimension in these:
            short = Counter(
                tuple(row[name] for name in DIMENSIONS[dimension][1]) for row in short_keys
                if not (dimension == "indicator" and row["category"] == TaskCategory.ORGANISATION)
            )
            tables[dimension] = _rate_rows(dimension, group_counts(dimension, fields, counted), short)
    return {dimension: tables[dimension] for dimension in dimensions}


def nulls_last(values: Sequence[Any]) -> tuple[Any, ...]:
    """Sort key of a group's field values in the order of PostgreSQL's ``ORDER BY a, b, c``: each field
    ascending, an empty one (None: no phase, no action…) after the others. SQLite puts NULL first; the
    order is made here, the same on both. One flat tuple ``(a is None, a, b is None, b, …)``: a pair per
    field for each of 1,000 units made the garbage collector run twice as often on the dashboard."""
    key: list[Any] = []
    for value in values:
        key += (value is None, value)
    return tuple(key)


def group_counts(
    dimension: str, fields: Sequence[str], counted: Iterable[Sequence[Any]],
) -> list[tuple[tuple[Any, ...], list[int]]]:
    """One table's groups from rows grouped by ``fields`` (a superset of the dimension's; each row: its
    ``fields`` values, then the :data:`RATE_COUNTS`): [(the dimension's field values, [total, done, on_time,
    judged, overdue])], the rows of each group added up, ordered by the dimension's fields
    (:func:`nulls_last`). The indicator table leaves 组织保障 tasks out (``fields`` then hold ``category``)."""
    _, own = DIMENSIONS[dimension]
    at = [fields.index(name) for name in own]
    key_of = itemgetter(*at) if len(at) > 1 else (lambda row: (row[at[0]],))
    width = len(fields)
    category = fields.index("category") if dimension == "indicator" else None
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in counted:
        if category is not None and row[category] == TaskCategory.ORGANISATION:
            continue
        key = key_of(row)
        sums = groups.get(key)
        if sums is None:
            groups[key] = list(row[width:])
        else:
            for i, n in enumerate(row[width:]):
                sums[i] += n
    return sorted(groups.items(), key=lambda item: nulls_last(item[0]))


def _rate_rows(dimension: str, groups: Iterable[tuple[tuple[Any, ...], Sequence[int]]], short: Counter) -> list[RateRow]:
    _, fields = DIMENSIONS[dimension]
    result = []
    param = FILTER_PARAMS.get(dimension)
    list_param = {"unit_id": "unit", "unit__ranking_group_id": "group", "phase_id": "phase", "indicator_id": "indicator", "special_action_id": "special_action"}
    name = list_param.get(param, param)
    label_at = len(fields) - 1
    param_at = fields.index(param) if param else None
    code_at = fields.index("indicator__code") if dimension == "indicator" else None
    for key, (total, done, on_time, judged, overdue) in groups:
        label = key[label_at]
        if code_at is not None and label:
            label = f"{key[code_at]} {label}"
        elif dimension == "category":
            label = CATEGORY_LABELS.get(label, label)
        value = key[param_at] if param_at is not None else None
        result.append(
            RateRow(
                label=label or EMPTY_LABELS[dimension], total=total, done=done, on_time=on_time, judged=judged,
                overdue=overdue, short=short[key], query=f"{name}={value}" if value not in (None, "") else "",
            )
        )
    return result


def worst_first(rows: Iterable[RateRow]) -> list[RateRow]:
    """Rate rows with the most overdue tasks first, then the lowest completion rate, then the most tasks.

    For the dashboard's summary of a long table (one row per unit): the groups that
    need attention come first; the full table stays in the export.
    """
    return sorted(rows, key=_worst_first_key)


_NO_RATE = Decimal("101")  # a group without tasks: after every rate


def _worst_first_key(r: RateRow) -> tuple[int, Decimal, int, str]:
    rate = r.completion_rate  # computed once a row (a property)
    return (-r.overdue, _NO_RATE if rate is None else rate, -r.total, r.label)


# Sorting the dashboard's tables (campaign.sorting): the rows are aggregates already in memory
# (one row per unit at most, ~1,000), so they are sorted in Python, never by another query.
# "default" is the order the table was computed in (worst first for units, else group order).
RATE_SORTS: dict[str, Callable[[RateRow], Any]] = {
    "name": lambda r: r.label,
    "total": lambda r: r.total,
    "done": lambda r: r.done,
    "rate": lambda r: r.completion_rate,
    "on_time": lambda r: r.on_time_rate,
    "overdue": lambda r: r.overdue,
    "short": lambda r: r.short,
}
# The overdue and target tables show the first rows of an SQL order (longest overdue, furthest
# behind); a header click sorts those rows, it does not pick other rows.
OVERDUE_SORTS: dict[str, Callable[[Task], Any]] = {
    "code": lambda t: (len(t.code), t.code),  # "2" before "10"
    "unit": lambda t: t.unit.path,
    "deadline": lambda t: t.deadline,
    "status": lambda t: t.status,
    "days": lambda t: t.days_overdue,
}
TARGET_SORTS: dict[str, Callable[[Task], Any]] = {
    "unit": lambda t: t.unit.path, "percent": lambda t: t.percent, "status": lambda t: t.status,
}


def sort_dashboard_rows(rows: list[Any], sort: sorting.Sort, keys: dict[str, Callable[[Any], Any]]) -> list[Any]:
    """``rows`` in the table's computed order for "default" (reversed when descending), else by the column."""
    if sort.key == "default":
        return list(reversed(rows)) if sort.descending else list(rows)
    return sorting.sort_rows(rows, sort, keys)


def overdue_query(qs: QuerySet[Task], *, today: dt.date) -> QuerySet[Task]:
    """Open tasks past their deadline, longest overdue first (the dashboard slices it, the export reads it all)."""
    return qs.filter(deadlines.overdue_q(today)).select_related("unit", "phase", "indicator").order_by("deadline", "unit__path", "pk")


def overdue_tasks(qs: QuerySet[Task], *, today: dt.date, limit: int | None = None) -> list[Task]:
    """Open tasks past their deadline, longest overdue first, with 责任领导 and 责任人 (the first ``limit`` when given)."""
    tasks = overdue_query(qs, today=today)
    if limit is not None:
        tasks = tasks[:limit]
    tasks = list(tasks)
    for task in tasks:
        task.days_overdue = deadlines.days_overdue(deadline=task.deadline, status=task.status, today=today)
    return tasks


def target_rows(qs: QuerySet[Task], *, limit: int | None = None, fed: Collection[str] | None = None) -> list[Task]:
    """Tasks with a quantitative target and their derived actuals, furthest behind first (the first ``limit`` when given;
    ``fed``: see :func:`_progress_expr`).

    Sorted in SQL by progress ÷ target (no progress counts as 0; a target of 0 or less,
    which has no percentage, comes first), then by unit, code and pk.
    """
    progress = Coalesce(F("progress_value"), Value(0), output_field=VALUE_FIELD)
    ratio = Case(
        When(target_value__lte=0, then=Value(-1)),
        # As floats: SQLite stores whole decimals as integers and would divide them as integers (50 / 100 = 0).
        default=Cast(progress, FloatField()) / Cast(F("target_value"), FloatField()),
        output_field=FloatField(),
    )
    ordered = (
        with_progress(with_target(qs), fed)
        .select_related("unit", "indicator")
        .annotate(behind=ratio)
        .order_by("behind", "unit__path", "code", "pk")
    )
    tasks = list(ordered[:limit] if limit is not None else ordered)
    for task in tasks:
        task.percent = progress_percent(task.progress_value, task.target_value)
        task.short_done = task.status in deadlines.DONE_STATUSES and is_target_short(task.target_value, task.progress_value)
    return tasks


def with_target(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks that have a quantitative target (the dashboard's 量化目标完成情况 and the list's 有量化目标 filter)."""
    return qs.filter(target_value__isnull=False)


# ---------------------------------------------------------------------------
# Timeline


@dataclass
class TimelineBar:
    x: float
    width: float
    y: float
    label: str
    title: str
    css: str
    url: str = ""
    marker_x: float | None = None
    done_x: float | None = None


@dataclass
class TimelineHeading:
    """A row of the chart that names a group: a phase, or a unit within it."""

    y: float
    label: str
    kind: str  # "phase" | "unit"
    url: str = ""


@dataclass
class Timeline:
    """A Gantt-like chart laid out in SVG user units (computed here, drawn by the template)."""

    start: dt.date
    end: dt.date
    width: int
    height: int
    label_width: int
    months: list[tuple[float, str]]
    phases: list[TimelineBar]
    tasks: list[TimelineBar]
    today_x: float | None
    row_height: int
    headings: list[TimelineHeading] = field(default_factory=list)


def timeline(campaign: Campaign, tasks: Sequence[Task], *, today: dt.date, chart_width: int = 900) -> Timeline:
    """Phases and task deadlines on one time axis.

    Each task is drawn as a bar from the start of its phase (or the campaign) to
    its deadline; a diamond marks the deadline, a dot the day it was completed.
    """
    label_width, row_height, top = 280, 22, 30
    phases = list(campaign.phases.all())
    dates = [campaign.start_date, campaign.end_date] + [t.deadline for t in tasks if t.deadline]
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        return round(label_width + (day - start).days * chart_width / span, 1)

    months = []
    current = start.replace(day=1)
    while current <= end:
        if current >= start:
            months.append((x_of(current), f"{current.month}月"))
        current = (current + dt.timedelta(days=32)).replace(day=1)

    phase_bars = []
    y = top
    for phase in phases:
        x0, x1 = x_of(max(phase.start_date, start)), x_of(min(phase.end_date, end))
        phase_bars.append(
            TimelineBar(
                x=x0, width=max(x1 - x0, 2), y=y, label=phase.name, css="phase",
                title=f"{phase.name}：{phase.start_date:%Y-%m-%d} 至 {phase.end_date:%Y-%m-%d}",
            )
        )
        y += row_height
    y += 8
    task_bars = []
    headings: list[TimelineHeading] = []
    group: tuple[Any, Any] | None = None
    for task in tasks:
        # Tasks come grouped by phase, then unit (timeline_tasks): a heading row starts each group.
        if group is None or task.phase_id != group[0]:
            headings.append(TimelineHeading(y=y, label=task.phase.name if task.phase_id else "未分阶段", kind="phase"))
            y += row_height
            group = (task.phase_id, None)
        if task.unit_id != group[1]:
            query = f"unit={task.unit_id}" + (f"&phase={task.phase_id}" if task.phase_id else "")
            headings.append(TimelineHeading(y=y, label=task.unit.display_name, kind="unit", url=f"{reverse('tasks-list')}?{query}"))
            y += row_height
            group = (task.phase_id, task.unit_id)
        bar_start = task.phase.start_date if task.phase_id and task.phase else campaign.start_date
        bar_end = task.deadline or (task.phase.end_date if task.phase_id and task.phase else campaign.end_date)
        bar_start = min(max(bar_start, start), bar_end)
        x0, x1 = x_of(bar_start), x_of(bar_end)
        if task.status in deadlines.DONE_STATUSES:
            css = "done-late" if task.on_time is False else "done"
        elif getattr(task, "is_overdue", False):
            css = "overdue"
        elif getattr(task, "is_due_soon", False):
            css = "due-soon"
        else:
            css = "open"
        deadline_text = f"{task.deadline:%Y-%m-%d}" if task.deadline else (task.deadline_text or "长期坚持")
        task_bars.append(
            TimelineBar(
                x=x0, width=max(x1 - x0, 2), y=y, css=css, url=task.get_absolute_url(),
                label=task.title[:22],
                title=f"{task.title}（{task.unit.name}）时限 {deadline_text}，{task.get_status_display()}",
                marker_x=x1 if task.deadline else None,
                done_x=x_of(min(max(task.completed_on, start), end)) if task.completed_on else None,
            )
        )
        y += row_height
    today_x = x_of(today) if start <= today <= end else None
    return Timeline(
        start=start, end=end, width=label_width + chart_width + 20, height=y + 10, label_width=label_width,
        months=months, phases=phase_bars, tasks=task_bars, today_x=today_x, row_height=row_height, headings=headings,
    )


TIMELINE_UNITS_PER_PAGE = 20
TIMELINE_MAX_TASKS = 200  # drawn on one page at most, however many tasks the page's units have


def timeline_units(qs: QuerySet[Task]) -> QuerySet[Unit]:
    """The units that have tasks in ``qs``, in tree order: the timeline pages through them."""
    return Unit.objects.filter(pk__in=qs.order_by().values("unit_id")).order_by("path", "pk")


def timeline_tasks(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks grouped for the timeline: by phase (unphased last), then unit, then deadline."""
    return qs.select_related("unit", "phase").order_by(
        F("phase__order").asc(nulls_last=True), F("phase__start_date").asc(nulls_last=True), F("phase_id").asc(nulls_last=True),
        "unit__path", "unit_id", F("deadline").asc(nulls_last=True), "pk",
    )
