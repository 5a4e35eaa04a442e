"""The leaders' cockpit (领导驾驶舱): the figures a leader or the office reads first, in one screen.

Every score here comes from the project's one definition of figures: this month's scores and
their change are ``reports.scoring.month_scores`` (the score cache for an open month, the
snapshot once published), the trend reads published snapshots and, for months still open,
``reports.score_cache.base_scores``; averages use ``reports.data.average_score``. Nothing here
scores anything itself.

What the page shows and where each figure leads (every figure is a link to the list behind it):

- per ranking group: the units' average score this month, its change against last month, the
  first and the last unit with score and change (→ the month's ranking, the unit's explanation);
- the trend: each group's average over the campaign's months up to this one (published months
  from the snapshot, filled dots; open months live, hollow dots; → 年度考核);
- the units most behind: overdue tasks (a unit's subtree, as the task list filters it → task
  list ``?unit=&flag=overdue``), overdue rectifications (awaiting the unit past the deadline, the
  home page's and the findings list's rule → ``?unit=&overdue=1``), the largest falls in score
  against last month (→ the unit's explanation);
- 督办单 not finished and overdue ones (→ ``inspections-orders?state=open|overdue``);
- the current phase: share of its time gone, its tasks done and overdue (→ task list ``?phase=``);
- a map of the inspection points coloured by open problems (待整改, 待验收, 已退回) (→ findings
  list ``?point=``), listing the points that have no position.

Queries: a fixed number whatever the number of units (``tests/test_cockpit.py`` checks two sizes);
only the open months of the trend add a constant number each (normally one or two: months get
published).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone

from campaign.models import AssessmentPeriod, Campaign, InspectionPoint, Phase, PeriodStatus, Unit, month_start
from campaign.periods import month_label
from inspections import lifecycle
from inspections.models import Finding, FindingStatus, SupervisionOrder
from inspections.selectors import AWAITING_UNIT
from tasks.deadlines import done_q, overdue_q
from tasks.models import Task

from . import score_cache
from .data import average_score
from .scoring import UnitScore, month_scores, q2
from .selectors import TrendPoint

# Findings that are still a problem at their point: awaiting the unit, or submitted and awaiting review.
OPEN_FINDING_STATUSES = (FindingStatus.OPEN, FindingStatus.SUBMITTED, FindingStatus.RETURNED)
BEHIND_ROWS = 5
GROUP_EDGE = 1  # first and last units shown per ranking group (one screen for four groups and the trend)
LIVE_TREND_MONTHS = 3  # unpublished months the trend scores live (the current one and two before it)


@dataclass
class GroupCard:
    """One ranking group this month."""

    name: str
    units: int
    average: Decimal | None
    previous_average: Decimal | None
    top: list[UnitScore]
    bottom: list[UnitScore]

    @property
    def change(self) -> Decimal | None:
        if self.average is None or self.previous_average is None:
            return None
        return q2(self.average - self.previous_average)


@dataclass
class BehindRow:
    """A unit with its figure (a count, or a change of score) and the list that shows it."""

    unit_id: int
    unit_name: str
    value: Any
    url: str


@dataclass
class PhaseProgress:
    phase: Phase
    time_percent: int
    tasks: int
    done: int
    overdue: int

    @property
    def done_percent(self) -> int | None:
        return round(self.done * 100 / self.tasks) if self.tasks else None


@dataclass
class MapPoint:
    pk: int
    name: str
    unit_name: str
    type_name: str
    lat: float | None
    lng: float | None
    open_findings: int

    @property
    def level(self) -> str:
        """The colour class: 0 open problems, 1–2, 3 or more."""
        return "none" if not self.open_findings else ("some" if self.open_findings < 3 else "many")


@dataclass
class Cockpit:
    campaign: Campaign
    today: dt.date
    month: dt.date
    is_published: bool
    groups: list[GroupCard]
    trend: list[tuple[str, list[TrendPoint]]]
    trend_skipped: int
    overdue_tasks: int
    overdue_findings: int
    open_orders: int
    overdue_orders: int
    behind_tasks: list[BehindRow]
    behind_findings: list[BehindRow]
    behind_falling: list[BehindRow]
    phase: PhaseProgress | None
    points: list[MapPoint] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def month_slug(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def located(self) -> list[MapPoint]:
        return [p for p in self.points if p.lat is not None and p.lng is not None]

    @property
    def unlocated(self) -> list[MapPoint]:
        return [p for p in self.points if p.lat is None or p.lng is None]

    def map_payload(self) -> dict[str, Any]:
        """What static/reports/cockpit_map.js draws (passed with ``json_script``, no inline script)."""
        findings_url = reverse("inspections-findings")
        return {
            "tileUrl": getattr(settings, "MAP_TILE_URL", ""),
            "tileAttribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
            "points": [
                {"name": p.name, "unit": p.unit_name, "type": p.type_name, "lat": p.lat, "lng": p.lng,
                 "open": p.open_findings, "level": p.level, "url": f"{findings_url}?point={p.pk}"}
                for p in self.located
            ],
        }


def cockpit_month(campaign: Campaign, today: dt.date) -> dt.date:
    """The month the cockpit shows: today's, kept inside the campaign."""
    months = campaign.months()
    month = month_start(today)
    if month < months[0]:
        return months[0]
    return min(month, months[-1])


def _group_cards(units: list[UnitScore]) -> list[GroupCard]:
    groups: dict[str, list[UnitScore]] = {}
    for unit in units:  # already in group order, then rank
        groups.setdefault(unit.ranking_group, []).append(unit)
    cards = []
    for name, members in groups.items():
        before = [u.previous_score for u in members if u.previous_score is not None]
        edge = min(GROUP_EDGE, len(members) // 2) if len(members) > GROUP_EDGE else len(members)
        cards.append(GroupCard(
            name=name, units=len(members), average=average_score([u.score for u in members]),
            # Last month's average of the units that have one (a unit new this month has no change).
            previous_average=average_score(before) if len(before) == len(members) else None,
            top=members[:edge], bottom=members[-edge:] if len(members) > GROUP_EDGE else [],
        ))
    return cards


def _trend(campaign: Campaign, month: dt.date, today: dt.date, current: list[UnitScore]) -> tuple[list[tuple[str, list[TrendPoint]]], int]:
    """Each group's average score per month up to ``month``: published months from the snapshot
    (one grouped query), the latest ``LIVE_TREND_MONTHS`` unpublished ones live from the score
    cache (the current month's scores are passed in). Older unpublished months are left out (a
    city publishes monthly; one that never does would score every month on each cold load) and
    their number returned, so the page can say so."""
    months = [m for m in campaign.months() if m <= month]
    published = set(
        AssessmentPeriod.objects.filter(campaign=campaign, status=PeriodStatus.PUBLISHED, month__lte=month)
        .values_list("month", flat=True)
    )
    live = [m for m in months if m not in published][-LIVE_TREND_MONTHS:]
    skipped = sum(1 for m in months if m not in published and m not in live)
    averages: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for m, group, avg in _published_averages(campaign, month):
        averages[group][m] = avg
    for m in live:
        if m == month:
            by_group: dict[str, list[Decimal]] = defaultdict(list)
            for unit in current:
                by_group[unit.ranking_group].append(unit.score)
            values = {group: average_score(scores) for group, scores in by_group.items()}
        else:
            values = score_cache.group_averages(campaign=campaign, month=m, today=today)
        for group, value in values.items():
            averages[group][m] = value
    shown = [m for m in months if m in published or m in live]
    order = list(dict.fromkeys(u.ranking_group for u in current)) + sorted(set(averages) - {u.ranking_group for u in current})
    return [
        (group, [TrendPoint(m, averages[group].get(m), None, m in published) for m in shown])
        for group in order if group in averages
    ], skipped


def _published_averages(campaign: Campaign, month: dt.date) -> list[tuple[dt.date, str, Decimal]]:
    from .models import UnitMonthScore

    rows = (
        UnitMonthScore.objects.filter(period__campaign=campaign, period__status=PeriodStatus.PUBLISHED, period__month__lte=month)
        .values_list("period__month", "ranking_group").annotate(n=Count("pk"), avg=Avg("score")).order_by()
    )
    # The database's average is exact; it is rounded like every other average (half up, 0.01).
    return [(m, group, average_score([Decimal(str(avg))])) for m, group, _n, avg in rows]


def _ranked_units() -> dict[int, tuple[str, str]]:
    """id → (name, path) of the units that are ranked (have a ranking group): the ones that can be behind."""
    return {pk: (name, path) for pk, name, path in
            Unit.objects.filter(is_active=True, ranking_group__isnull=False).values_list("pk", "name", "path")}


def _behind_tasks(campaign: Campaign, today: dt.date, ranked: dict[int, tuple[str, str]]) -> tuple[int, list[BehindRow]]:
    """Overdue tasks per ranked unit, its subtree included (the task list's unit filter is a subtree)."""
    by_path = {path: pk for pk, (_name, path) in ranked.items()}
    counts: dict[int, int] = defaultdict(int)
    total = 0
    for path, n in (
        Task.objects.filter(campaign=campaign).filter(overdue_q(today))
        .values_list("unit__path").annotate(n=Count("pk")).order_by()
    ):
        total += n
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            owner = by_path.get("/" + "/".join(parts[:depth]) + "/")
            if owner is not None:
                counts[owner] += n
    url = reverse("tasks-list")
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], ranked[kv[0]][0]))[:BEHIND_ROWS]
    return total, [BehindRow(pk, ranked[pk][0], n, f"{url}?unit={pk}&flag=overdue") for pk, n in rows]


def _behind_findings(campaign: Campaign, today: dt.date) -> tuple[int, list[BehindRow]]:
    """Rectifications overdue (awaiting the unit past the deadline) per unit."""
    rows = list(
        Finding.objects.filter(campaign=campaign, status__in=AWAITING_UNIT, rectify_deadline__lt=today)
        .values_list("unit_id").annotate(n=Count("pk")).order_by()
    )
    names = dict(Unit.objects.filter(pk__in=[pk for pk, _n in rows]).values_list("pk", "name"))
    url = reverse("inspections-findings")
    rows.sort(key=lambda r: (-r[1], names.get(r[0], "")))
    return sum(n for _pk, n in rows), [
        BehindRow(pk, names.get(pk, ""), n, f"{url}?unit={pk}&overdue=1") for pk, n in rows[:BEHIND_ROWS]]


def _behind_falling(units: list[UnitScore], month_slug: str) -> list[BehindRow]:
    falling = sorted((u for u in units if u.change is not None and u.change < 0), key=lambda u: (u.change, u.unit_name))
    return [
        BehindRow(u.unit_id, u.unit_name, u.change, reverse("reports-unit-month", args=[month_slug, u.unit_id]))
        for u in falling[:BEHIND_ROWS]
    ]


def _orders(campaign: Campaign, today: dt.date) -> tuple[int, int]:
    """督办单 not finished (办理中, 已下发 or 逾期) and overdue ones, by ``lifecycle.order_state``."""
    findings: dict[int, list] = defaultdict(list)
    for order_id, status, deadline in (
        SupervisionOrder.findings.through.objects.filter(supervisionorder__campaign=campaign)
        .values_list("supervisionorder_id", "finding__status", "finding__rectify_deadline")
    ):
        findings[order_id].append(_F(status, deadline))
    open_count = overdue = 0
    for order_id in SupervisionOrder.objects.filter(campaign=campaign).values_list("pk", flat=True):
        state = lifecycle.order_state(findings.get(order_id, []), today)
        if state != lifecycle.OrderState.DONE:
            open_count += 1
        if state == lifecycle.OrderState.OVERDUE:
            overdue += 1
    return open_count, overdue


@dataclass(frozen=True)
class _F:
    """What ``lifecycle.order_state`` reads of a finding."""

    status: str
    rectify_deadline: dt.date


def _phase(campaign: Campaign, today: dt.date) -> PhaseProgress | None:
    from campaign.selectors import current_phase

    phase = current_phase(campaign, today)
    if phase is None:
        return None
    days = (phase.end_date - phase.start_date).days + 1
    gone = min(max((today - phase.start_date).days + 1, 0), days)
    figures = Task.objects.filter(campaign=campaign, phase=phase).aggregate(
        total=Count("pk"), done=Count("pk", filter=done_q()), overdue=Count("pk", filter=overdue_q(today)),
    )
    return PhaseProgress(phase, round(gone * 100 / days), figures["total"], figures["done"], figures["overdue"])


def _open_at(campaign: Campaign) -> dict[int, int]:
    """Open problems per inspection point (the map's colours)."""
    return dict(
        Finding.objects.filter(campaign=campaign, status__in=OPEN_FINDING_STATUSES, point__isnull=False)
        .values_list("point_id").annotate(n=Count("pk")).order_by()
    )


def _points(campaign: Campaign, open_at: dict[int, int]) -> list[MapPoint]:
    # Read live: the point types' names are not among the rows that retire the score cache.
    return [
        MapPoint(pk, name, unit, ptype, float(lat) if lat is not None else None, float(lng) if lng is not None else None,
                 open_at.get(pk, 0))
        for pk, name, unit, ptype, lat, lng in InspectionPoint.objects.filter(is_active=True)
        .values_list("pk", "name", "unit__name", "point_type__name", "latitude", "longitude")
        .order_by("point_type__order", "name")
    ]


@dataclass
class _Scored:
    """The part of the cockpit read only from rows whose writes retire the score cache (scores and
    snapshots, findings, tasks, units, months): kept there under the version and the day."""

    is_published: bool
    groups: list[GroupCard]
    trend: list[tuple[str, list[TrendPoint]]]
    trend_skipped: int
    overdue_tasks: int
    behind_tasks: list[BehindRow]
    overdue_findings: int
    behind_findings: list[BehindRow]
    behind_falling: list[BehindRow]
    open_at: dict[int, int]


def _scored(campaign: Campaign, month: dt.date, today: dt.date) -> _Scored:
    scores = month_scores(campaign=campaign, month=month, with_lines=False)
    units = scores.units
    overdue_tasks, behind_tasks = _behind_tasks(campaign, today, _ranked_units())
    overdue_findings, behind_findings = _behind_findings(campaign, today)
    trend, skipped = _trend(campaign, month, today, units)
    return _Scored(
        is_published=scores.is_published, groups=_group_cards(units), trend=trend, trend_skipped=skipped,
        overdue_tasks=overdue_tasks, behind_tasks=behind_tasks,
        overdue_findings=overdue_findings, behind_findings=behind_findings,
        behind_falling=_behind_falling(units, f"{month:%Y-%m}"), open_at=_open_at(campaign),
    )


def cockpit(*, campaign: Campaign, today: dt.date | None = None) -> Cockpit:
    """Read everything the cockpit shows for ``campaign`` on ``today``.

    Scores, trend, the units most behind and the map's counts come from the score cache
    (``score_cache.derived``: a write to a finding, task, unit or month retires them at once); on
    the bench city they cost ~0.4 s of counting over 66,000 open findings and unpickling two months
    of every unit's totals. The 督办单, the phase and the point list are read live (their rows do not
    retire the cache)."""
    today = today or timezone.localdate()
    month = cockpit_month(campaign, today)
    scored = score_cache.derived("cockpit", campaign=campaign, month=month, today=today,
                                 compute=lambda: _scored(campaign, month, today))
    open_orders, overdue_orders = _orders(campaign, today)
    return Cockpit(
        campaign=campaign, today=today, month=month, is_published=scored.is_published,
        groups=scored.groups, trend=scored.trend, trend_skipped=scored.trend_skipped,
        overdue_tasks=scored.overdue_tasks, overdue_findings=scored.overdue_findings,
        open_orders=open_orders, overdue_orders=overdue_orders,
        behind_tasks=scored.behind_tasks, behind_findings=scored.behind_findings,
        behind_falling=scored.behind_falling,
        phase=_phase(campaign, today), points=_points(campaign, scored.open_at),
    )
