"""The countable figures of the ledgers (台账指标): one registry, read by the statistics page, the
工作总结 and the tasks that take their progress from a ledger.

A :class:`Measure` is a count of rows or a sum of one column, over the rows a unit and the units
below it keep in one campaign. Registers that describe a state (志愿者名册, 宣传栏, 文明家庭) are
cumulative: for a period they count what existed at its end (a row without a date always counts).
Events (会议, 培训, 荣誉, 爱国卫生活动) count within the period. Ratios are not measures: they are
built from measures in ``ledgers/selectors.py``, each with its rule written out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from campaign.models import Campaign, Unit

from .models import Board, BoardKind, Family, HygieneActivity, Honour, LedgerRow, Meeting, MeetingKind, Volunteer

VALUE_FIELD = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # the measure unit: 人, 个, 小时 …
    model: type[LedgerRow]
    rule: str
    field: str = ""  # summed column; empty = count of rows
    where: Q = dc_field(default_factory=Q)
    date_field: str = ""
    cumulative: bool = True  # True: exists at the period's end; False: happened within the period
    year_field: str = ""  # for registers dated by year only (文明家庭)
    ledger: str = ""  # the ledger page's key (ledgers/kinds.py)

    def rows(self, campaign: Campaign, *, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet:
        qs = self.model.objects.filter(campaign=campaign).filter(self.where)
        return qs.filter(period_q(self, start, end))

    def aggregate(self) -> Count | Sum:
        return Sum(self.field) if self.field else Count("pk")


def period_q(measure: Measure, start: dt.date | None, end: dt.date | None) -> Q:
    """The rows of ``measure`` that fall in [start, end] by its period rule (see the module docstring)."""
    q = Q()
    if measure.year_field:
        if end is not None:
            q &= Q(**{f"{measure.year_field}__lte": end.year})
        if start is not None and not measure.cumulative:
            q &= Q(**{f"{measure.year_field}__gte": start.year})
        return q
    if not measure.date_field:
        return q
    if measure.cumulative:
        if end is not None:
            q &= Q(**{f"{measure.date_field}__isnull": True}) | Q(**{f"{measure.date_field}__lte": end})
        return q
    if start is not None:
        q &= Q(**{f"{measure.date_field}__gte": start})
    if end is not None:
        q &= Q(**{f"{measure.date_field}__lte": end})
    return q


_MEASURES = [
    Measure("volunteers", "注册志愿者", "人", Volunteer, "志愿者名册中的人数（截至期末注册）", date_field="registered_on", ledger="volunteers"),
    Measure(
        "active_volunteers", "参加过活动的志愿者", "人", Volunteer, "名册中“参加活动人次”大于 0 的志愿者人数",
        where=Q(activity_count__gt=0), date_field="registered_on", ledger="volunteers",
    ),
    Measure("volunteer_times", "志愿服务人次", "人次", Volunteer, "名册中各志愿者“参加活动人次”之和", field="activity_count",
            date_field="registered_on", ledger="volunteers"),
    Measure("volunteer_hours", "志愿服务时长", "小时", Volunteer, "名册中各志愿者“服务时长”之和", field="hours",
            date_field="registered_on", ledger="volunteers"),
    Measure("boards", "宣传栏", "个", Board, "宣传栏台账中类别为“宣传栏”的条数（截至期末建成）", where=Q(kind=BoardKind.BOARD),
            date_field="built_on", ledger="boards"),
    Measure("psa", "公益广告", "处", Board, "宣传栏台账中类别为“公益广告”的条数（截至期末建成）", where=Q(kind=BoardKind.PSA),
            date_field="built_on", ledger="boards"),
    Measure("families", "文明家庭", "户", Family, "文明家庭台账的户数（评选年度不晚于期末）", year_field="year", ledger="families"),
    Measure("meetings", "召开会议", "场", Meeting, "会议培训台账中类别为“会议”的场次（期间内）", where=Q(kind=MeetingKind.MEETING),
            date_field="held_on", cumulative=False, ledger="meetings"),
    Measure("trainings", "举办培训班", "场", Meeting, "会议培训台账中类别为“培训”的场次（期间内）", where=Q(kind=MeetingKind.TRAINING),
            date_field="held_on", cumulative=False, ledger="meetings"),
    Measure("training_people", "参训人数", "人", Meeting, "类别为“培训”的各场参加人数之和（期间内）", field="attendance",
            where=Q(kind=MeetingKind.TRAINING), date_field="held_on", cumulative=False, ledger="meetings"),
    Measure("honours", "获得荣誉", "项", Honour, "荣誉台账的条数（期间内授予）", date_field="awarded_on", cumulative=False, ledger="honours"),
    Measure("hygiene_people", "爱国卫生活动参加人数", "人", HygieneActivity, "爱国卫生活动台账中各次参加人数之和（期间内）",
            field="participants", date_field="held_on", cumulative=False, ledger="hygiene"),
    Measure("hygiene_containers", "清除积水容器", "处", HygieneActivity, "爱国卫生活动台账中各次清除积水容器数之和（期间内）",
            field="containers", date_field="held_on", cumulative=False, ledger="hygiene"),
    Measure("hygiene_tyres", "清理露天轮胎", "处", HygieneActivity, "爱国卫生活动台账中各次清理露天轮胎数之和（期间内）",
            field="tyres", date_field="held_on", cumulative=False, ledger="hygiene"),
    Measure("hygiene_blackspots", "清理卫生死角", "处", HygieneActivity, "爱国卫生活动台账中各次清理卫生死角数之和（期间内）",
            field="blackspots", date_field="held_on", cumulative=False, ledger="hygiene"),
]
MEASURES: dict[str, Measure] = {m.key: m for m in _MEASURES}
# What a task may take its progress from (Task.ledger_measure): every measure.
TASK_MEASURE_CHOICES = [("", "（不关联台账，按填报的进展计算）")] + [
    (m.key, f"{m.label}（{m.unit}）") for m in _MEASURES
]


def get(key: str) -> Measure:
    return MEASURES[key]


def task_value_subquery(key: str, *, campaign_ref: str = "campaign_id", unit_path_ref: str = "unit__path") -> Coalesce:
    """The measure over the outer row's unit and the units below it, in its campaign, as SQL.

    ``tasks.selectors`` uses it so a ledger-fed task's progress is computed in the same query as
    every other task's (lists, dashboards, the 目标未达 filter). No rows → 0: the ledger says none.
    """
    measure = MEASURES[key]
    # The units first (a few hundred rows matched by path), then the ledger rows by their unit index:
    # matching each ledger row's unit path against the task's instead costs seconds at 10,000 rows.
    units = Unit.objects.filter(path__startswith=OuterRef(OuterRef(unit_path_ref))).values("pk")
    rows = (
        measure.model.objects.filter(measure.where)
        .filter(campaign_id=OuterRef(campaign_ref), unit_id__in=units)
        .order_by()
        .values("campaign_id")
        .annotate(v=measure.aggregate())
        .values("v")[:1]
    )
    return Coalesce(Subquery(rows, output_field=VALUE_FIELD), Value(Decimal("0")), output_field=VALUE_FIELD)
