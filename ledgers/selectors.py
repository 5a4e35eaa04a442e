"""Reads of the ledgers: the figures (totals, ratios, coverage) per unit and for the city.

One computation serves the statistics page, the 工作总结 (:func:`summary_figures`) and the tasks
fed by a ledger (:func:`measure_value`), so a figure means the same wherever it appears. Every
figure carries its rule in plain Chinese, shown next to it.

Scope: a unit's figures cover the rows of that unit and every unit below it (a township's
宣传栏 include those its villages entered); the city's cover all units. Queries are per measure,
grouped by unit, and rolled up in Python, so the statistics page takes a fixed number of queries
however many units it shows.

Rules (each tested with hand-computed figures in tests/test_ledgers_figures.py):

- 常住人口 of a scope = the populations entered for the units in it, leaving out a unit whose
  ancestor in the scope already has one (a township's figure already includes its villages).
- 注册志愿者占比 = 注册志愿者 ÷ 常住人口 × 100%, one decimal (芦洲乡: 65 ÷ 4,650 = 1.4%).
- 志愿者参与率 = 参加过活动的志愿者 ÷ 注册志愿者 × 100% (芦洲乡: 63 ÷ 65 = 96.9%).
- 人均服务时长 = 服务时长 ÷ 注册志愿者 (184 ÷ 65 = 2.8 小时); 每人次服务时长 = 服务时长 ÷ 人次
  (184 ÷ 90 = 2.0 小时, the seed's “人均2小时”).
- 宣传栏覆盖率 = 村（社区）中有宣传栏的个数 ÷ 村（社区）总数 × 100%. A village has one when a
  宣传栏 row names it as its village, or the village itself keeps the row. Villages are the active
  units of type 村 or 社区 in the scope; the ones without are listed.
- A ratio whose denominator is 0 or unknown is shown as “—”, never as 0.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from campaign import access, sorting
from campaign.models import Campaign, Unit, UnitType

from . import measures
from .models import Population

ONE_PLACE = Decimal("0.1")
VILLAGE_TYPES = (UnitType.VILLAGE, UnitType.COMMUNITY)


@dataclass
class Figure:
    """One figure as the page, the 工作总结 and the statistics table show it."""

    key: str
    label: str
    value: Decimal | None  # None: cannot be computed (denominator 0 or unknown)
    unit: str
    rule: str
    detail: str = ""  # e.g. the villages without a 宣传栏
    is_ratio: bool = False  # ratios keep their one decimal ("2.0小时", "100.0%")

    @property
    def text(self) -> str:
        """The value as written in a report: "1.4%", "184小时", "2.0小时", "—"."""
        if self.value is None:
            return "—"
        number = format(self.value, "f") if self.is_ratio else plain(self.value)
        return f"{number}{self.unit}"


def plain(value: Decimal) -> str:
    """18.50 → "18.5", 100.00 → "100" (never in exponent form)."""
    return format(value.normalize(), "f")


def ratio(part: Decimal | None, whole: Decimal | None, *, percent: bool = True) -> Decimal | None:
    """part ÷ whole (× 100 when ``percent``), one decimal, half up; None when whole is 0 or unknown."""
    if part is None or not whole:
        return None
    value = Decimal(part) / Decimal(whole) * (100 if percent else 1)
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------
# The data one computation reads


@dataclass
class LedgerData:
    """Per-unit values of every measure, the populations, the villages and which have a 宣传栏."""

    values: dict[str, dict[str, Decimal]]  # measure key → unit path → value
    populations: dict[str, int]  # unit path → residents
    villages: list[tuple[str, str, int]]  # (path, name, pk) of active 村/社区
    covered: set[int] = field(default_factory=set)  # village pks that have a 宣传栏

    _rolled: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def total(self, key: str, scope: str) -> Decimal:
        """The measure over ``scope`` and below: each unit's value is added to all its ancestors once."""
        rolled = self._rolled.get(key)
        if rolled is None:
            rolled = {}
            for path, value in self.values[key].items():
                parts = path.strip("/").split("/")
                for depth in range(len(parts) + 1):
                    prefix = "/" + "".join(f"{p}/" for p in parts[:depth])
                    rolled[prefix] = rolled.get(prefix, Decimal("0")) + value
            self._rolled[key] = rolled
        return rolled.get(scope, Decimal("0"))

    def residents(self, scope: str) -> int | None:
        paths = sorted(p for p in self.populations if p.startswith(scope))
        kept: list[str] = []
        for path in paths:  # sorted: an ancestor comes before its descendants
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        return sum(self.populations[p] for p in kept) if kept else None

    def villages_in(self, scope: str) -> list[tuple[str, str, int]]:
        return [v for v in self.villages if v[0].startswith(scope)]


def load(campaign: Campaign, *, scope: str = "/", start: dt.date | None = None, end: dt.date | None = None) -> LedgerData:
    """Read everything the figures of ``scope`` (a unit path, "/" = all units) need: one query per measure."""
    values: dict[str, dict[str, Decimal]] = {}
    # Grouped by unit id (no join per ledger row), then keyed by path from one read of the units.
    units = Unit.objects.filter(path__startswith=scope)
    paths = dict(units.values_list("pk", "path"))
    for key, measure in measures.MEASURES.items():
        rows = measure.rows(campaign, start=start, end=end).order_by().values_list("unit_id").annotate(v=measure.aggregate())
        if scope != "/":
            rows = rows.filter(unit_id__in=units.values("pk"))
        values[key] = {paths[unit_id]: Decimal(v or 0) for unit_id, v in rows if unit_id in paths}
    populations = dict(
        Population.objects.filter(campaign=campaign, unit__path__startswith=scope).values_list("unit__path", "residents")
    )
    villages = list(
        Unit.objects.filter(unit_type__in=VILLAGE_TYPES, is_active=True, path__startswith=scope)
        .order_by("path")
        .values_list("path", "name", "pk")
    )
    boards = measures.get("boards").rows(campaign, start=start, end=end).filter(
        Q(unit__path__startswith=scope) | Q(village__path__startswith=scope)
    )
    covered: set[int] = set()
    for village_id, unit_id in boards.values_list("village_id", "unit_id"):
        covered.add(village_id or unit_id)
    return LedgerData(values=values, populations=populations, villages=villages, covered=covered)


def figures_for(data: LedgerData, scope: str) -> list[Figure]:
    """The figures of one scope (a unit path, "/" for the city) from data :func:`load` read."""
    m = measures.MEASURES

    def measured(key: str) -> Figure:
        measure = m[key]
        return Figure(key, measure.label, data.total(key, scope), measure.unit, measure.rule)

    residents = data.residents(scope)
    volunteers = data.total("volunteers", scope)
    active = data.total("active_volunteers", scope)
    times = data.total("volunteer_times", scope)
    hours = data.total("volunteer_hours", scope)
    villages = data.villages_in(scope)
    covered = [v for v in villages if v[2] in data.covered]
    missing = [v[1] for v in villages if v[2] not in data.covered]
    figures = [
        Figure("residents", "常住人口", Decimal(residents) if residents is not None else None, "人",
               "各单位填报的常住人口；上级单位已填报的，不再加下级单位"),
        measured("volunteers"),
        Figure("volunteer_share", "注册志愿者占比", ratio(volunteers, Decimal(residents) if residents else None), "%",
               "注册志愿者 ÷ 常住人口 × 100%，保留一位小数", is_ratio=True),
        measured("volunteer_times"),
        Figure("volunteer_participation", "志愿者参与率", ratio(active, volunteers), "%",
               "参加过活动的志愿者 ÷ 注册志愿者 × 100%", is_ratio=True),
        measured("volunteer_hours"),
        Figure("hours_per_volunteer", "人均服务时长", ratio(hours, volunteers, percent=False), "小时",
               "服务时长 ÷ 注册志愿者", is_ratio=True),
        Figure("hours_per_time", "每人次服务时长", ratio(hours, times, percent=False), "小时",
               "服务时长 ÷ 志愿服务人次", is_ratio=True),
        measured("boards"),
        Figure("villages", "村（社区）", Decimal(len(villages)), "个", "单位树中类型为村、社区的启用单位"),
        Figure("villages_covered", "有宣传栏的村（社区）", Decimal(len(covered)), "个",
               "宣传栏台账中所在村（社区）为该村，或由该村（社区）自己填报的宣传栏"),
        Figure("board_coverage", "宣传栏覆盖率", ratio(Decimal(len(covered)), Decimal(len(villages))), "%",
               "有宣传栏的村（社区）÷ 村（社区）总数 × 100%",
               detail=("尚无宣传栏：" + "、".join(missing)) if missing else ("各村（社区）均有宣传栏" if villages else ""), is_ratio=True),
        measured("psa"),
        measured("families"),
        measured("meetings"),
        measured("trainings"),
        measured("training_people"),
        measured("honours"),
        measured("hygiene_people"),
        measured("hygiene_containers"),
        measured("hygiene_tyres"),
        measured("hygiene_blackspots"),
    ]
    return figures


def summary_figures(campaign: Campaign, unit: Unit | None = None, start: dt.date | None = None,
                    end: dt.date | None = None) -> list[Figure]:
    """The ledger figures of ``unit`` and the units below it (the whole city when ``unit`` is None).

    Each :class:`Figure` has a Chinese label, the value (``None`` when it cannot be computed), the
    measure unit and the rule. Registers count what exists at ``end``; events what happened between
    ``start`` and ``end`` (both inclusive, either may be open). For the 工作总结.
    """
    scope = unit.path if unit is not None else "/"
    return figures_for(load(campaign, scope=scope, start=start, end=end), scope)


def measure_value(key: str, *, campaign: Campaign | int, unit: Unit) -> Decimal:
    """One measure over ``unit`` and below, now (a ledger-fed task's progress, one query)."""
    measure = measures.get(key)
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    value = (
        measure.model.objects.filter(measure.where)
        .filter(campaign_id=campaign_id, unit__path__startswith=unit.path)
        .aggregate(v=measure.aggregate())["v"]
    )
    return Decimal(value or 0)


# ---------------------------------------------------------------------------
# The statistics page


@dataclass
class StatsRow:
    unit: Unit | None  # None: the city
    label: str
    figures: dict[str, Figure]


def stats_units(user: Any) -> QuerySet[Unit]:
    """The units the statistics table has a row for: the 乡镇/街道 the user may see, plus any
    other unit the user may see that keeps its own rows (a department, a village entered alone)."""
    return access.visible_units(user).filter(
        is_active=True, unit_type__in=(UnitType.TOWNSHIP, UnitType.STREET)
    ).order_by("path")


def statistics(campaign: Campaign, units: Iterable[Unit], *, with_city: bool,
               start: dt.date | None = None, end: dt.date | None = None) -> tuple[list[StatsRow], list[Figure]]:
    """One row of figures per unit (and the city's first when ``with_city``); the rules once."""
    data = load(campaign, start=start, end=end)
    rows = []
    if with_city:
        city = figures_for(data, "/")
        rows.append(StatsRow(None, "全市合计", {f.key: f for f in city}))
    for unit in units:
        rows.append(StatsRow(unit, unit.display_name, {f.key: f for f in figures_for(data, unit.path)}))
    rules = figures_for(data, "/") if not rows else list(rows[0].figures.values())
    return rows, rules


# ---------------------------------------------------------------------------
# Where a village stands (for the board form)


def villages_under(unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(unit_type__in=VILLAGE_TYPES, is_active=True, path__startswith=unit.path).order_by("path")



# Columns of the statistics table (the rest of the figures are listed under it with their rules).
STATS_COLUMNS = (
    "residents", "volunteers", "volunteer_share", "volunteer_times", "volunteer_hours", "hours_per_volunteer",
    "boards", "board_coverage", "families", "trainings", "training_people", "hygiene_people",
)


# ---------------------------------------------------------------------------
# List pages: server-side sorting by a whitelist


def ledger_sort(kind: Any, value: str | None) -> sorting.Sort:
    """The list's sort from ``?sort=`` (``key`` or ``-key``); unknown keys fall back to the default."""
    return sorting.parse(value, kind.sorts, kind.default_sort)


def ledger_ordering(kind: Any, sort: sorting.Sort) -> list[str]:
    """The ORM ordering for the list's sort, then pk (pages never repeat a row)."""
    return sorting.ordering(sort, kind.sorts)


def sort_headers(kind: Any, sort: sorting.Sort, query: QueryDict) -> list[sorting.Header]:
    """Each column's header: clicking a sorted column flips it, another column sorts ascending."""
    columns = [sorting.Column(c.label, c.key if c.sort else "", c.number, attr=c.attr) for c in kind.columns]
    return sorting.headers(columns, sort, query)


@dataclass
class MeasureSource:
    """Where a ledger-fed task's figure comes from: the measure's name and its register's page."""

    label: str
    unit: str
    rule: str
    url: str


def measure_source(key: str, unit: Unit) -> MeasureSource | None:
    """The register a task fed by ``key`` reads, filtered to ``unit`` (no query)."""
    from django.urls import reverse

    measure = measures.MEASURES.get(key)
    if measure is None:
        return None
    url = f"{reverse('ledgers-list', args=[measure.ledger])}?unit={unit.pk}"
    return MeasureSource(measure.label, measure.unit, f"{measure.rule}，含下级单位", url)
