"""Reads for the monthly assessment pages: months and their status, rankings, trends,
the most-deducted indicators and points. Every function runs a bounded number of
queries whatever the number of units (the scores come from ``reports.scoring``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from campaign.models import AssessmentPeriod, Campaign, Indicator, PeriodEvent, PeriodStatus, ScoringMode, month_start
from campaign.periods import month_label
from inspections.models import Finding, FindingStatus

from . import score_cache
from .models import ScoreLineSnapshot, UnitMonthScore
from .scoring import MonthScores, UnitScore, competition_ranks, next_month, q2


@dataclass
class MonthRow:
    """One campaign month on the months page."""

    month: dt.date
    status: str  # "published" | "open" | "running" (not ended) | "future"
    period: AssessmentPeriod | None
    findings: int = 0
    points: Decimal = Decimal("0.00")
    events: list[PeriodEvent] = field(default_factory=list)

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def slug(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def can_publish(self) -> bool:
        return self.status == "open"

    @property
    def status_label(self) -> str:
        return {"published": "已发布", "open": "待发布", "running": "进行中", "future": "未开始"}[self.status]


def campaign_months(
    *, campaign: Campaign, today: dt.date | None = None, only: dt.date | None = None, with_totals: bool = True
) -> list[MonthRow]:
    """Every month of the campaign (or ``only`` that one), newest first, with its status, events and
    (``with_totals``) its 问题数 and 问题扣分合计 as defined in ``reports.data``: the finding lines of
    the month's scores and Σ of the units' 问题扣分 after the per-indicator cap. Published months read
    their snapshot (2 queries); months that have begun and are not published are scored live, without
    lines (a constant number of queries per such month)."""
    today = today or timezone.localdate()
    periods = {p.month: p for p in AssessmentPeriod.objects.filter(campaign=campaign).select_related("published_by")}
    events: dict[int, list[PeriodEvent]] = {}
    for event in PeriodEvent.objects.filter(period__campaign=campaign).select_related("actor").order_by("-at"):
        events.setdefault(event.period_id, []).append(event)
    rows = []
    for month in reversed(campaign.months()):
        if only is not None and month != month_start(only):
            continue
        period = periods.get(month)
        if period is not None and period.status == PeriodStatus.PUBLISHED:
            status = "published"
        elif next_month(month) <= today:
            status = "open"
        elif month <= today:
            status = "running"
        else:
            status = "future"
        rows.append(MonthRow(month, status, period, 0, Decimal("0.00"), events.get(period.pk, []) if period else []))
    if with_totals:
        _fill_totals(campaign=campaign, rows=rows, today=today)
    return rows


def _fill_totals(*, campaign: Campaign, rows: list[MonthRow], today: dt.date) -> None:
    from .data import build_report_data

    published = {r.period.pk: r for r in rows if r.is_published}
    if published:
        for period_id, points in (
            UnitMonthScore.objects.filter(period_id__in=published).values_list("period_id")
            .annotate(points=Sum("finding_deductions")).order_by()
        ):
            published[period_id].points = q2(points or 0)
        for period_id, n in (
            ScoreLineSnapshot.objects.filter(score__period_id__in=published, kind="finding")
            .values_list("score__period_id").annotate(n=Count("id")).order_by()
        ):
            published[period_id].findings = n
    live_rows = [row for row in rows if row.status in ("open", "running")]
    if campaign.scoring_mode == ScoringMode.DEDUCTION:
        _fill_deduction_totals(campaign=campaign, rows=live_rows)
        return
    for row in live_rows:
        live = score_cache.base_scores(campaign=campaign, month=row.month, today=today)
        figures = build_report_data(
            campaign_name=campaign.name, city_name=campaign.city_name, year=row.month.year, month=row.month,
            is_published=False, units=live.units, groups=[],
        )
        row.findings, row.points = figures.findings_count, q2(figures.findings_points)


def _fill_deduction_totals(*, campaign: Campaign, rows: list[MonthRow]) -> None:
    """问题数 and 问题扣分合计 of open months in a deduction campaign, by the engine's own rule without
    running it per month: the counting findings of the month's ranked units, and per (unit, indicator)
    the sum rounded to 0.01 and capped at the indicator's score (one grouped query for all months,
    plus the ranked units of each month). ``tests/test_report_figures.py`` checks it equals the page."""
    from .scoring import _fetch, scored_units  # the engine's fast row fetch (raw cursor on PostgreSQL)

    if not rows:
        return
    ranked = {row.month: {u.pk for u in scored_units(row.month)} for row in rows}
    caps = dict(Indicator.objects.filter(campaign=campaign).values_list("pk", "score"))
    by_month = {row.month: row for row in rows}
    points: dict[dt.date, Decimal] = {}
    for month, unit_id, indicator_id, total, n in _fetch(
        Finding.objects.filter(campaign=campaign, month__in=list(by_month)).exclude(status=FindingStatus.WITHDRAWN)
        .values_list("month", "unit_id", "indicator_id").annotate(total=Sum("points"), n=Count("id")).order_by()
    ):
        if unit_id not in ranked[month]:
            continue
        total = q2(total)
        cap = caps.get(indicator_id, total)
        points[month] = points.get(month, Decimal("0.00")) + (total if total <= cap else cap)
        by_month[month].findings += n
    for month, value in points.items():
        by_month[month].points = q2(value)


def months_with_data(*, campaign: Campaign) -> set[dt.date]:
    """The campaign months that hold assessment data: findings (withdrawn ones too: they were
    recorded), checks, overdue-rectification penalties, bonuses or corrections (5 grouped queries).

    Task deadlines alone do not make a month hold data (every month has some). The publish-order
    rule (``reports.services.publish_order_check``) and ``monthly_scores`` read this."""
    from inspections.models import Bonus, Check, Correction, OverduePenalty

    months: set[dt.date] = set()
    for model in (Finding, OverduePenalty, Bonus, Correction):
        months.update(model.objects.filter(campaign=campaign).values_list("month", flat=True).distinct().order_by())
    months.update(Check.objects.filter(inspection__campaign=campaign).values_list("month", flat=True).distinct().order_by())
    return months


def month_holds_data(*, campaign: Campaign, month: dt.date) -> bool:
    """Whether one month is among :func:`months_with_data` (the month page's question), answered
    by an ``EXISTS`` per table on that month instead of every month's distinct list (100 ms on
    200,000 findings)."""
    from inspections.models import Bonus, Check, Correction, OverduePenalty

    return any(model.objects.filter(campaign=campaign, month=month).exists()
               for model in (Finding, OverduePenalty, Bonus, Correction)) or \
        Check.objects.filter(inspection__campaign=campaign, month=month).exists()


def default_month(*, campaign: Campaign, today: dt.date | None = None) -> dt.date:
    """The month a rankings page opens on: the last finished month inside the campaign."""
    today = today or timezone.localdate()
    months = campaign.months()
    finished = [m for m in months if next_month(m) <= today]
    if finished:
        return finished[-1]
    current = [m for m in months if m <= today]
    return current[-1] if current else months[0]


SORTS = {
    "rank": lambda u: (u.ranking_group_order, u.rank, u.unit_name),
    "score": lambda u: (u.score, u.unit_name),
    "change": lambda u: (u.change if u.change is not None else Decimal("-99999"), u.unit_name),
    "deductions": lambda u: (u.finding_deductions + u.penalty_deductions + u.task_deductions, u.unit_name),
    "bonus": lambda u: (u.bonus, u.unit_name),
    "name": lambda u: (u.unit_name,),
    "overall": lambda u: (u.overall_rank, u.unit_name),
}


def sorted_units(units: list[UnitScore], sort: str) -> list[UnitScore]:
    """``sort`` is a key of SORTS, with a leading "-" for descending."""
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS["rank"])
    return sorted(units, key=key, reverse=descending)


@dataclass
class TrendPoint:
    month: dt.date
    score: Decimal | None
    rank: int | None
    published: bool

    @property
    def label(self) -> str:
        return f"{self.month.month}月"


def unit_trend(*, campaign: Campaign, unit_id: int, upto: dt.date, today: dt.date | None = None) -> list[TrendPoint]:
    """One unit's score for every campaign month up to ``upto`` that has begun.

    Published months come from their snapshots (one query); open months from
    ``reports.score_cache.unit_score``: the month's cached totals, else this unit
    scored alone (and kept until a write changes it), so the cost grows with the
    number of open months, never with the number of units.
    """
    today = today or timezone.localdate()
    months = [m for m in campaign.months() if m <= month_start(upto) and m <= today]
    snap = {
        month: (score, rank)
        for month, score, rank in UnitMonthScore.objects.filter(
            period__campaign=campaign, period__status=PeriodStatus.PUBLISHED, unit_id=unit_id
        ).values_list("period__month", "score", "rank")
    }
    published = set(
        AssessmentPeriod.objects.filter(campaign=campaign, status=PeriodStatus.PUBLISHED).values_list("month", flat=True)
    )
    points = []
    for month in months:
        if month in published:
            score, rank = snap.get(month, (None, None))
            points.append(TrendPoint(month, score, rank, True))
            continue
        # The month's cached totals, or only this unit scored (its score does not depend on the
        # others; its rank would) and kept until a write changes it.
        unit = score_cache.unit_score(campaign=campaign, month=month, unit_id=unit_id, today=today)
        points.append(TrendPoint(month, unit.score if unit else None, None, False))
    return points


def overall_view(scores: MonthScores) -> list[UnitScore]:
    """All units in one list, ranked overall (equal scores share a rank)."""
    units = sorted(scores.units, key=lambda u: (-u.score, u.unit_name))
    for unit, rank in zip(units, competition_ranks([u.score for u in units])):
        unit.overall_rank = rank
    return units
