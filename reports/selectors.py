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

from campaign.models import AssessmentPeriod, Campaign, PeriodEvent, PeriodStatus, month_start
from campaign.periods import month_label
from inspections.models import Finding, FindingStatus

from .models import UnitMonthScore
from .scoring import MonthScores, UnitScore, competition_ranks, next_month, q2, score_month


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


def campaign_months(*, campaign: Campaign, today: dt.date | None = None, only: dt.date | None = None) -> list[MonthRow]:
    """Every month of the campaign (or ``only`` that one), newest first, with its status, events and
    finding totals (3 queries)."""
    today = today or timezone.localdate()
    periods = {p.month: p for p in AssessmentPeriod.objects.filter(campaign=campaign).select_related("published_by")}
    events: dict[int, list[PeriodEvent]] = {}
    for event in PeriodEvent.objects.filter(period__campaign=campaign).select_related("actor").order_by("-at"):
        events.setdefault(event.period_id, []).append(event)
    findings = Finding.objects.filter(campaign=campaign).exclude(status=FindingStatus.WITHDRAWN)
    if only is not None:
        findings = findings.filter(month=month_start(only))
    totals = {
        month: (n, q2(pts))
        for month, n, pts in findings
        .values_list("month").annotate(n=Count("id"), pts=Sum("points")).order_by()
    }
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
        n, pts = totals.get(month, (0, Decimal("0.00")))
        rows.append(MonthRow(month, status, period, n, pts, events.get(period.pk, []) if period else []))
    return rows


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
class Deducted:
    label: str
    findings: int
    points: Decimal
    code: str = ""


def most_deducted(*, campaign: Campaign, month: dt.date, limit: int = 10) -> tuple[list[Deducted], list[Deducted]]:
    """The indicators and the inspection points with the most points deducted in ``month`` (2 queries)."""
    base = Finding.objects.filter(campaign=campaign, month=month_start(month)).exclude(status=FindingStatus.WITHDRAWN)
    indicators = [
        Deducted(f"{code} {name}", n, q2(pts), code)
        for code, name, n, pts in base.values_list("indicator__code", "indicator__name")
        .annotate(n=Count("id"), pts=Sum("points")).order_by("-pts", "-n", "indicator__code")[:limit]
    ]
    points = [
        Deducted(name, n, q2(pts))
        for name, n, pts in base.filter(point__isnull=False).values_list("point__name")
        .annotate(n=Count("id"), pts=Sum("points")).order_by("-pts", "-n", "point__name")[:limit]
    ]
    return indicators, points


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

    Published months come from their snapshots (one query); open months are
    computed live without lines, so the cost grows with the number of months,
    never with the number of units.
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
        # Only this unit is scored (its score does not depend on the others; its rank would).
        live = score_month(campaign=campaign, month=month, with_lines=False, today=today, with_change=False,
                           only_units={unit_id})
        unit = live.get(unit_id)
        points.append(TrendPoint(month, unit.score if unit else None, None, False))
    return points


def overall_view(scores: MonthScores) -> list[UnitScore]:
    """All units in one list, ranked overall (equal scores share a rank)."""
    units = sorted(scores.units, key=lambda u: (-u.score, u.unit_name))
    for unit, rank in zip(units, competition_ranks([u.score for u in units])):
        unit.overall_rank = rank
    return units
