"""The figures of the monthly reports, computed once.

Both the bulletin PDF and the workbook render the same :class:`ReportData`;
renderers (``reports/renderers.py``) only lay it out. :func:`report_data`
reads the database (month scores from ``reports.scoring`` plus the month's
findings and tasks); :func:`build_report_data` is the pure part that turns
those plain inputs into summary figures, so tests can call it with hand-built
scores.

Definitions used in the reports (written down once, here):

- **findings (问题数)**: the month's findings that count (not withdrawn).
- **rectified on time (按期整改)**: a counting finding whose rectification was
  accepted (销号) on or before its rectification deadline. The rate is
  on-time ÷ all counting findings of the month, so findings still open lower it.
- **overdue (逾期未整改)**: not accepted and the deadline is before the report's
  ``as_of`` date.
- **points lost per indicator**: minus the sum of a unit's score lines that
  carry that indicator code (finding, penalty and cap lines), i.e. what the
  unit actually lost on that indicator after the per-indicator cap.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from campaign.periods import month_label

if TYPE_CHECKING:  # the scoring module is imported lazily: renderers and tests use hand-built scores
    from campaign.models import Campaign
    from reports.scoring import MonthScores, UnitScore

ZERO = Decimal("0")
TOP_INDICATORS = 10


@dataclass(frozen=True)
class FindingRow:
    """One finding of the month with its rectification state (整改情况)."""

    finding_id: int
    unit_id: int
    unit_name: str
    indicator_code: str
    indicator_name: str
    point_name: str
    description: str
    points: Decimal
    found_on: dt.date
    rectify_deadline: dt.date
    status_label: str
    accepted_on: dt.date | None
    on_time: bool
    overdue: bool

    @property
    def rectification_label(self) -> str:
        """Short Chinese state used in the bulletin appendix and the workbook."""
        if self.accepted_on is not None:
            return "按期整改" if self.on_time else "逾期整改"
        if self.overdue:
            return f"逾期未整改（{self.status_label}）"
        return self.status_label


@dataclass(frozen=True)
class TaskRow:
    """A task due in the month and how it ended (任务完成)."""

    unit_name: str
    code: str
    title: str
    deadline: dt.date | None
    status_label: str
    completed_on: dt.date | None
    on_time: bool | None


@dataclass(frozen=True)
class IndicatorLoss:
    code: str
    name: str
    points: Decimal
    units: int


@dataclass
class ReportData:
    """Everything both monthly reports show, for one campaign month."""

    campaign_name: str
    city_name: str
    year: int
    month: dt.date
    is_published: bool
    as_of: dt.date
    units: list[UnitScore]
    groups: list[tuple[str, list[UnitScore]]]
    findings: list[FindingRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    indicator_names: dict[str, str] = field(default_factory=dict)
    kind_label: str = ""  # e.g. 全国文明城市 (CampaignKind label); the title falls back to the campaign name
    # Derived figures (filled by build_report_data).
    findings_count: int = 0
    findings_points: Decimal = ZERO
    rectified_on_time: int = 0
    rectified_late: int = 0
    overdue_open: int = 0
    rectified_on_time_rate: Decimal | None = None
    top_indicators: list[IndicatorLoss] = field(default_factory=list)
    matrix_codes: list[str] = field(default_factory=list)
    matrix: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    finding_state: dict[int, str] = field(default_factory=dict)
    average_score: Decimal | None = None

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def title(self) -> str:
        """E.g. 泰和市创建全国文明城市2026年10月考核结果通报."""
        if self.kind_label:
            return f"{self.city_name}创建{self.kind_label}{self.month_label}考核结果通报"
        kind = self.campaign_name
        # "泰和市2026年创建全国文明城市" → "创建全国文明城市": the city and the year are said once.
        for prefix in (self.city_name, f"{self.year}年"):
            if prefix and kind.startswith(prefix):
                kind = kind[len(prefix):]
        for prefix in (self.city_name, f"{self.year}年"):
            if prefix and kind.startswith(prefix):
                kind = kind[len(prefix):]
        return f"{self.city_name}{kind}{self.month_label}考核结果通报"

    @property
    def file_stem(self) -> str:
        return f"{self.city_name}{self.month:%Y年%m月}考核"

    def rectification_for(self, line: Any) -> str:
        """The rectification state of a score line's finding ("" for other lines)."""
        if getattr(line, "object_type", "") == "inspections.finding" and line.object_id is not None:
            return self.finding_state.get(line.object_id, "")
        return ""


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def build_report_data(
    *,
    campaign_name: str,
    city_name: str,
    year: int,
    month: dt.date,
    is_published: bool,
    units: Sequence[UnitScore],
    groups: Sequence[tuple[str, list[UnitScore]]],
    findings: Iterable[FindingRow] = (),
    tasks: Iterable[TaskRow] = (),
    indicator_names: dict[str, str] | None = None,
    as_of: dt.date | None = None,
    kind_label: str = "",
) -> ReportData:
    """Compute the summary figures from plain inputs (no database access).

    ``units``' score lines drive the most-deducted indicators and the unit ×
    indicator matrix; ``findings`` drive the counts and the on-time rate.
    """
    data = ReportData(
        campaign_name=campaign_name,
        city_name=city_name,
        year=year,
        month=month,
        is_published=is_published,
        as_of=as_of or month,
        units=list(units),
        groups=[(name, list(members)) for name, members in groups],
        findings=list(findings),
        tasks=list(tasks),
        indicator_names=dict(indicator_names or {}),
        kind_label=kind_label,
    )
    data.findings_count = len(data.findings)
    data.findings_points = sum((f.points for f in data.findings), ZERO)
    data.rectified_on_time = sum(1 for f in data.findings if f.accepted_on is not None and f.on_time)
    data.rectified_late = sum(1 for f in data.findings if f.accepted_on is not None and not f.on_time)
    data.overdue_open = sum(1 for f in data.findings if f.accepted_on is None and f.overdue)
    data.rectified_on_time_rate = _rate(data.rectified_on_time, data.findings_count)
    data.finding_state = {f.finding_id: f.rectification_label for f in data.findings}

    lost: dict[str, Decimal] = defaultdict(lambda: ZERO)
    units_hit: dict[str, set[int]] = defaultdict(set)
    for unit in data.units:
        row: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in unit.lines:
            if line.indicator_code:
                row[line.indicator_code] -= line.points
        clean = {code: points for code, points in row.items() if points}
        data.matrix[unit.unit_id] = clean
        for code, points in clean.items():
            lost[code] += points
            units_hit[code].add(unit.unit_id)
    data.matrix_codes = sorted(lost, key=_code_key)
    ranked = sorted((code for code in lost if lost[code] > 0), key=lambda c: (-lost[c], _code_key(c)))
    data.top_indicators = [
        IndicatorLoss(code=c, name=data.indicator_names.get(c, ""), points=lost[c], units=len(units_hit[c]))
        for c in ranked[:TOP_INDICATORS]
    ]
    if data.units:
        total = sum((u.score for u in data.units), ZERO)
        data.average_score = (total / len(data.units)).quantize(Decimal("0.01"))
    return data


def _code_key(code: str) -> tuple:
    """Sort 1.2.10 after 1.2.9."""
    return tuple(int(p) if p.isdigit() else 10**6 for p in code.split(".")) + (code,)


def report_data(*, campaign: Campaign, month: dt.date, as_of: dt.date | None = None) -> ReportData:
    """Read one campaign month from the database and compute the report figures.

    Scores come from ``reports.scoring.month_scores`` (the frozen snapshot when
    the month is published, else a live computation).
    """
    from django.utils import timezone

    from inspections.models import Finding, FindingStatus
    from reports.scoring import month_scores
    from tasks.deadlines import is_on_time
    from tasks.models import Task

    as_of = as_of or timezone.localdate()
    scores: MonthScores = month_scores(campaign=campaign, month=month, with_lines=True)
    findings_qs = (
        Finding.objects.filter(campaign=campaign, month=month)
        .exclude(status=FindingStatus.WITHDRAWN)
        .select_related("unit", "indicator", "point")
        .order_by("unit__path", "found_on", "pk")
    )
    findings = []
    for f in findings_qs.iterator(chunk_size=2000):
        accepted_on = timezone.localdate(f.accepted_at) if f.accepted_at and f.status == FindingStatus.ACCEPTED else None
        findings.append(
            FindingRow(
                finding_id=f.pk,
                unit_id=f.unit_id,
                unit_name=f.unit.name,
                indicator_code=f.indicator.code,
                indicator_name=f.indicator.name,
                point_name=f.point.name if f.point_id else "",
                description=f.description,
                points=f.points,
                found_on=f.found_on,
                rectify_deadline=f.rectify_deadline,
                status_label=f.get_status_display(),
                accepted_on=accepted_on,
                on_time=accepted_on is not None and accepted_on <= f.rectify_deadline,
                overdue=accepted_on is None and f.rectify_deadline < as_of,
            )
        )
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    tasks_qs = (
        Task.objects.filter(campaign=campaign, deadline__gte=month, deadline__lte=month_end)
        .select_related("unit")
        .order_by("unit__path", "deadline", "code", "pk")
    )
    tasks = [
        TaskRow(
            unit_name=t.unit.name,
            code=t.code,
            title=t.title,
            deadline=t.deadline,
            status_label=t.get_status_display(),
            completed_on=t.completed_on,
            on_time=is_on_time(deadline=t.deadline, completed_on=t.completed_on),
        )
        for t in tasks_qs.iterator(chunk_size=2000)
    ]
    indicator_names = dict(campaign.indicators.values_list("code", "name"))
    return build_report_data(
        campaign_name=campaign.name,
        city_name=campaign.city_name,
        year=month.year,
        month=month,
        is_published=scores.is_published,
        units=scores.units,
        groups=scores.by_group(),
        findings=findings,
        tasks=tasks,
        indicator_names=indicator_names,
        as_of=as_of,
        kind_label=campaign.get_kind_display(),
    )
