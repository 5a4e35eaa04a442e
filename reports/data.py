"""The figures of the monthly reports, computed once.

The month page, the web bulletin, the bulletin PDF, the workbook and the months
list all show figures of one :class:`ReportData`, built by
:func:`build_report_data` (pure: plain scores, findings and tasks in, figures
out, so tests can call it with hand-built scores); :func:`report_data` reads
the database. A published month is read from what publication froze: the
score snapshot (scores, ranks, lines) and :class:`reports.models.PublishedFigures`
(each finding's rectification state and the month's tasks as of the day of
publication), so its reports never move afterwards.

Definitions (written down once, here and in docs/reports.md):

- **问题数 (findings)**: the month's findings that count (not withdrawn) against
  ranked units: the ``finding`` lines of the month's scores.
- **问题扣分合计 (points deducted for findings)**: Σ of the units' 问题扣分
  (``finding_deductions``), i.e. findings after the per-indicator cap: the sum
  of the ranking table's 问题扣分 column. Overdue-rectification penalties
  (逾期整改扣分) and overdue tasks (任务逾期扣分) are separate figures.
- **扣分较多的测评指标 (points lost per indicator)**: per indicator code, minus
  the sum of the ``finding`` and ``pass_rate`` lines and the indicator's own
  ``cap`` line (what the finding deductions on that indicator really cost after
  the cap). Overdue penalties and tasks are *not* included, so in deduction mode
  the indicators add up to 问题扣分合计. The unit × indicator matrix of the
  workbook uses the same definition.
- **扣分较多的点位 (points per inspection point)**: Σ points of the finding lines
  at that point (before the indicator cap, which is not per point).
- **Rectification states** follow the one overdue rule of
  :mod:`inspections.lifecycle` (the unit is late only when it did not *submit*
  by its deadline; review time never counts; a returned round gives a new
  deadline), applied to the finding as it stood on ``as_of`` (the day of
  publication for a published month, else the day of the report):

  - **按期整改 (rectified on time)**: accepted (销号) by ``as_of`` and
    :func:`~inspections.lifecycle.missed_deadline` finds no missed deadline
    (every round was submitted by the deadline it answered), however long the
    review took. The rate is on-time ÷ all counting findings of the month, so
    findings still open lower it.
  - **逾期整改 (rectified late)**: accepted by ``as_of`` but some round was
    submitted after the deadline it answered.
  - **逾期未整改 (overdue)**: still awaiting the unit (待整改 / 已退回) on
    ``as_of`` after its current deadline
    (:func:`~inspections.lifecycle.is_overdue_now`); after a return that is
    the new deadline the return gave.
  - **待验收 (awaiting review)**: submitted and not yet reviewed on ``as_of``:
    its own state, never overdue (the inspectors' backlog, not the unit's);
    marked （逾期提交） when the submission itself came after its deadline.

  Published months keep the states frozen at publication (PublishedFigures).
- **平均得分**: Σ scores ÷ units, to 0.01.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils import timezone

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
    on_time: bool  # accepted with no missed deadline (lifecycle.missed_deadline is None)
    overdue: bool  # awaiting the unit after its deadline on as_of (lifecycle.is_overdue_now)
    submitted_late: bool = False  # not accepted, but a round was submitted after its deadline (frozen rows: False)

    @property
    def rectification_label(self) -> str:
        """Short Chinese state used in the bulletin appendix and the workbook."""
        if self.accepted_on is not None:
            return "按期整改" if self.on_time else "逾期整改"
        if self.overdue:
            return f"逾期未整改（{self.status_label}）"
        if self.submitted_late:
            return f"{self.status_label}（逾期提交）"
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
    """Points lost on one indicator through findings (after its cap), see the module docstring."""

    code: str
    name: str
    points: Decimal
    units: int
    findings: int = 0

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class PointLoss:
    """Points of the findings recorded at one inspection point."""

    name: str
    points: Decimal
    findings: int

    @property
    def label(self) -> str:
        return self.name


@dataclass
class ReportData:
    """Everything the month page, the web bulletin, the PDF and the workbook show, for one campaign month."""

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
    published_at: dt.datetime | None = None  # when the figures were frozen (published months)
    frozen: bool = False  # findings and tasks come from the publication's frozen copy
    year_summary: YearData | None = None  # the year's published months up to this one (年度汇总)
    digest: str = ""  # the publication's SHA-256 snapshot digest (reports/digest.py), hex; "" while open
    # Derived figures (filled by build_report_data).
    findings_count: int = 0
    findings_points: Decimal = ZERO
    penalty_points: Decimal = ZERO
    task_points: Decimal = ZERO
    bonus_points: Decimal = ZERO
    rectified_on_time: int = 0
    rectified_late: int = 0
    overdue_open: int = 0
    rectified_on_time_rate: Decimal | None = None
    top_indicators: list[IndicatorLoss] = field(default_factory=list)
    top_points: list[PointLoss] = field(default_factory=list)
    matrix_codes: list[str] = field(default_factory=list)
    matrix: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    finding_state: dict[int, str] = field(default_factory=dict)
    average_score: Decimal | None = None
    findings_total: int | None = None  # len(findings) of a copy kept without its rows (page_data)

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
        return f"{self.city_name}{self.month_label}考核"

    @property
    def data_note(self) -> str:
        """Says where the figures come from: "数据截至发布时间 …" for a published month."""
        if self.is_published and self.published_at is not None:
            return f"数据截至发布时间{timezone.localtime(self.published_at):%Y年%m月%d日 %H:%M}（已发布，数据冻结，此后的整改和更正不改变本通报）"
        if self.is_published:
            return f"数据截至{self.as_of:%Y年%m月%d日}（已发布）"
        return f"本月考核结果尚未发布，以下为截至{self.as_of:%Y年%m月%d日}的实时计算结果，仍可能变化"

    @property
    def digest_short(self) -> str:
        """The digest's short form the bulletin prints (first 16 hex digits in groups of four)."""
        from reports.digest import short_digest

        return short_digest(self.digest) if self.is_published else ""

    @property
    def rectification_count(self) -> int:
        """The findings the rectification figures count (按期整改率's denominator)."""
        return self.findings_total if self.findings_total is not None else len(self.findings)

    @property
    def deductions_total(self) -> Decimal:
        """问题扣分 + 逾期整改扣分 + 任务逾期扣分 of every unit."""
        return self.findings_points + self.penalty_points + self.task_points

    def rectification_for(self, line: Any) -> str:
        """The rectification state of a score line's finding ("" for other lines)."""
        if getattr(line, "object_type", "") == "inspections.finding" and line.object_id is not None:
            return self.finding_state.get(line.object_id, "")
        return ""


def average_score(scores: Sequence[Decimal]) -> Decimal | None:
    """平均得分: Σ scores ÷ their number, half up to 0.01 (None for none). The month's average and
    the cockpit's per-group averages use this one rule."""
    if not scores:
        return None
    return (sum(scores, ZERO) / len(scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


INDICATOR_KINDS = frozenset({"finding", "pass_rate", "survey"})


def indicator_loss_of(line: Any) -> str:
    """The indicator code a score line's points count against in 扣分较多的测评指标 ("" if none):
    findings, pass-rate losses, survey lines (问卷调查) and an indicator's own cap line; never penalties or tasks."""
    if not line.indicator_code:
        return ""
    if line.kind in INDICATOR_KINDS:
        return line.indicator_code
    if line.kind == "cap" and getattr(line, "object_type", "") == "campaign.indicator":
        return line.indicator_code
    return ""


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
    published_at: dt.datetime | None = None,
    frozen: bool = False,
    year_summary: YearData | None = None,
    digest: str = "",
) -> ReportData:
    """Compute the summary figures from plain inputs (no database access).

    ``units``' score lines drive the counts, the points, the most-deducted
    indicators and points and the unit × indicator matrix; ``findings`` drive
    the rectification figures (on time, late, overdue).
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
        published_at=published_at,
        frozen=frozen,
        year_summary=year_summary,
        digest=digest,
    )
    data.findings_points = sum((u.finding_deductions for u in data.units), ZERO)
    data.penalty_points = sum((u.penalty_deductions for u in data.units), ZERO)
    data.task_points = sum((u.task_deductions for u in data.units), ZERO)
    data.bonus_points = sum((u.bonus for u in data.units), ZERO)
    data.rectified_on_time = sum(1 for f in data.findings if f.accepted_on is not None and f.on_time)
    data.rectified_late = sum(1 for f in data.findings if f.accepted_on is not None and not f.on_time)
    data.overdue_open = sum(1 for f in data.findings if f.accepted_on is None and f.overdue)
    data.finding_state = {f.finding_id: f.rectification_label for f in data.findings}

    lost: dict[str, Decimal] = defaultdict(lambda: ZERO)
    units_hit: dict[str, set[int]] = defaultdict(set)
    counted: dict[str, int] = defaultdict(int)
    at_point: dict[str, list] = defaultdict(lambda: [ZERO, 0])
    findings_count = 0
    for unit in data.units:
        row: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in unit.lines:
            if line.kind == "finding":
                findings_count += 1
                if line.indicator_code:
                    counted[line.indicator_code] += 1
                if line.point_name:
                    at_point[line.point_name][0] -= line.points
                    at_point[line.point_name][1] += 1
            code = indicator_loss_of(line)
            if code:
                row[code] -= line.points
        clean = {code: points for code, points in row.items() if points}
        data.matrix[unit.unit_id] = clean
        for code, points in clean.items():
            lost[code] += points
            units_hit[code].add(unit.unit_id)
    # Scores without lines (a quick listing) still know how many findings they hold.
    data.findings_count = findings_count or sum(getattr(u, "findings_count", 0) for u in data.units)
    data.rectified_on_time_rate = _rate(data.rectified_on_time, len(data.findings))
    data.matrix_codes = sorted(lost, key=_code_key)
    ranked = sorted((code for code in lost if lost[code] > 0), key=lambda c: (-lost[c], _code_key(c)))
    data.top_indicators = [
        IndicatorLoss(code=c, name=data.indicator_names.get(c, ""), points=lost[c], units=len(units_hit[c]),
                      findings=counted.get(c, 0))
        for c in ranked[:TOP_INDICATORS]
    ]
    data.top_points = [
        PointLoss(name, points, n)
        for name, (points, n) in sorted(at_point.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:TOP_INDICATORS]
        if points > 0
    ]
    data.average_score = average_score([u.score for u in data.units])
    return data


def summary_figures(data: ReportData) -> list[tuple[str, str]]:
    """The month's summary figures as (label, value) pairs, formatted once: the month page, the web
    bulletin, the PDF and the workbook's 概况 sheet all print these (definitions in reports.data)."""
    rate = "—" if data.rectified_on_time_rate is None else f"{data.rectified_on_time_rate}%"
    return [
        ("参加考核单位", str(len(data.units))),
        ("发现问题（个）", str(data.findings_count)),
        ("问题扣分合计（分）", f"{data.findings_points:.2f}"),
        ("逾期整改扣分合计（分）", f"{data.penalty_points:.2f}"),
        ("任务逾期扣分合计（分）", f"{data.task_points:.2f}"),
        (f"按期整改率（{data.rectified_on_time}/{data.rectification_count}）", rate),
        ("逾期未整改（个）", str(data.overdue_open)),
        ("平均得分", "—" if data.average_score is None else f"{data.average_score:.2f}"),
    ]


# ---------------------------------------------------------------- the ranking's columns
#
# One definition of the ranking's column titles and of how each figure reads, for every place that
# prints the ranking: the month page and the web bulletin (reports.views.ranking_columns and
# ranking_rows), the bulletin PDF and Word (reports.renderers.RANKING_COLUMNS, reports.word) and the
# workbook's 排名 sheet (its titles; its cells are numbers with the same signs). Deductions read as
# what they do to the score, negative (-0.30; 0 when there is none), like the score lines; 加分 and
# 更正 signed (+0.50, -0.20, 0); 较上月 with its arrow (▲ +0.30, ▼ -0.70, 持平; — without a last month).

RANKING_LABELS = {
    "rank": "排名", "name": "单位", "group": "组别", "group_rank": "组内排名",
    "findings": "问题扣分", "penalty": "逾期整改", "task": "任务逾期", "bonus": "加分", "corrections": "更正",
    "score": "得分", "score_rate": "得分率", "change": "较上月",
}


def deduction(value: Decimal) -> Decimal:
    """A deduction (stored as points lost, positive) as it reads in the ranking: negative, 0 for none."""
    return -value if value else ZERO


def _signed(value: Decimal | None, zero: str = "0") -> str:
    if value is None:
        return "—"
    return f"+{value:.2f}" if value > 0 else (f"{value:.2f}" if value < 0 else zero)


def change_text(change: Decimal | None) -> str:
    """较上月 as every page and document writes it: ▲ +0.30, ▼ -0.70, 持平, or — without a last month."""
    arrow = "" if not change else ("▲ " if change > 0 else "▼ ")
    return arrow + _signed(change, "持平")


def ranking_cells(unit: Any, *, overall: bool = False) -> dict[str, str]:
    """A unit's ranking row as text, keyed like ``RANKING_LABELS`` (rank: the overall rank when
    ``overall``, else the rank in the group)."""
    return {
        "rank": str(unit.overall_rank if overall else unit.rank), "name": unit.unit_name,
        "group": unit.ranking_group or "", "group_rank": str(unit.rank),
        "findings": _signed(deduction(unit.finding_deductions)), "penalty": _signed(deduction(unit.penalty_deductions)),
        "task": _signed(deduction(unit.task_deductions)), "bonus": _signed(unit.bonus), "corrections": _signed(unit.corrections),
        "score": f"{unit.score:.2f}",
        "score_rate": "—" if unit.score_rate is None else f"{unit.score_rate * 100:.2f}%",
        "change": change_text(unit.change),
    }


def _code_key(code: str) -> tuple:
    """Sort 1.2.10 after 1.2.9."""
    return tuple(int(p) if p.isdigit() else 10**6 for p in code.split(".")) + (code,)


# ------------------------------------------------------------------ reading the database

class _Round(NamedTuple):
    """One rectification round as the report reads it (the fields lifecycle.missed_deadline uses)."""

    round: int
    submitted_at: dt.datetime
    submitted_day: dt.date  # lifecycle.submitted_on, computed once per round (the city month reads ~17,000)
    deadline: dt.date | None
    status: str
    reviewed_on: dt.date | None
    resubmit_deadline: dt.date | None


@dataclass(frozen=True)
class _FindingOn:
    """A finding as it stood on one day (what the lifecycle rules read)."""

    status: str
    rectify_deadline: dt.date


def finding_on(
    *, status: str, deadline: dt.date, accepted_on: dt.date | None, rounds: Sequence[_Round], day: dt.date
) -> tuple[_FindingOn, list[_Round], dt.date | None]:
    """The finding's status and deadline on ``day``, the rounds submitted by then and the day it was
    accepted (None if not accepted by ``day``), rebuilt from its rounds so that a report as of an
    earlier day ignores what happened after it. Without any round (data entered directly) the
    current status stands, except an acceptance after ``day``.
    """
    from inspections.models import FindingStatus, RectificationStatus

    if accepted_on is not None and accepted_on > day:
        accepted_on = None
    done = [r for r in rounds if r.submitted_day <= day]
    if status == FindingStatus.ACCEPTED and accepted_on is not None:
        if not rounds:  # accepted with no round on record: the acceptance stands in for the submission
            noon = timezone.make_aware(dt.datetime.combine(accepted_on, dt.time(12)))
            done = [_Round(1, noon, accepted_on, deadline, RectificationStatus.ACCEPTED, accepted_on, None)]
        return _FindingOn(status, deadline), done, accepted_on
    if not rounds:
        # Accepted after ``day`` with no round on record: it was still awaiting the unit then.
        return _FindingOn(FindingStatus.OPEN if status == FindingStatus.ACCEPTED else status, deadline), [], None
    if not done:
        return _FindingOn(FindingStatus.OPEN, rounds[0].deadline or deadline), [], None
    last = done[-1]
    reviewed = last.reviewed_on is not None and last.reviewed_on <= day
    if reviewed and last.status == RectificationStatus.RETURNED:
        return _FindingOn(FindingStatus.RETURNED, last.resubmit_deadline or deadline), done, None
    if reviewed and last.status == RectificationStatus.ACCEPTED:
        return _FindingOn(FindingStatus.ACCEPTED, last.deadline or deadline), done, last.reviewed_on
    return _FindingOn(FindingStatus.SUBMITTED, last.deadline or deadline), done, None


def _rounds_by_finding(findings_qs: Any) -> dict[int, list[_Round]]:
    """Every rectification round of the findings of ``findings_qs``, by finding, in round order (one query)."""
    from inspections.models import Rectification

    rounds: dict[int, list[_Round]] = defaultdict(list)
    here = timezone.get_current_timezone()  # once: timezone.localdate() looks it up on every call
    qs = (
        Rectification.objects.filter(finding__in=findings_qs.values("pk"))
        .order_by("finding_id", "round")
        .values_list("finding_id", "round", "submitted_at", "deadline", "status", "reviewed_at", "resubmit_deadline")
    )
    for finding_id, number, submitted_at, deadline, status, reviewed_at, resubmit in qs.iterator(chunk_size=2000):
        reviewed_on = reviewed_at.astimezone(here).date() if reviewed_at else None
        rounds[finding_id].append(
            _Round(number, submitted_at, submitted_at.astimezone(here).date(), deadline, status, reviewed_on, resubmit)
        )
    return rounds


def _finding_rows(*, campaign: Campaign, month: dt.date, as_of: dt.date, unit_ids: set[int] | None) -> list[FindingRow]:
    """The month's counting findings with their rectification state as of ``as_of`` (live; two
    queries of plain tuples, the findings and all their rounds: at city scale a month holds
    ~17,000 findings). The states follow :mod:`inspections.lifecycle` (module docstring)."""
    from inspections import lifecycle
    from inspections.models import Finding, FindingStatus

    labels = dict(FindingStatus.choices)
    findings_qs = Finding.objects.filter(campaign=campaign, month=month).exclude(status=FindingStatus.WITHDRAWN)
    if unit_ids is not None:
        findings_qs = findings_qs.filter(unit_id__in=unit_ids)
    rounds = _rounds_by_finding(findings_qs)
    here = timezone.get_current_timezone()  # once, as in _rounds_by_finding
    rows = []
    for (pk, unit_id, unit_name, code, indicator_name, point_name, description, points, found_on, deadline, status,
         accepted_at) in (
        findings_qs.order_by("unit__path", "found_on", "pk")
        .values_list("pk", "unit_id", "unit__name", "indicator__code", "indicator__name", "point__name", "description",
                     "points", "found_on", "rectify_deadline", "status", "accepted_at")
        .iterator(chunk_size=2000)
    ):
        accepted_on = accepted_at.astimezone(here).date() if accepted_at and status == FindingStatus.ACCEPTED else None
        then, done, accepted_on = finding_on(status=status, deadline=deadline, accepted_on=accepted_on,
                                             rounds=rounds.get(pk, ()), day=as_of)
        missed = lifecycle.missed_deadline(then, done, as_of)
        overdue = accepted_on is None and lifecycle.is_overdue_now(then, as_of)
        rows.append(
            FindingRow(
                finding_id=pk,
                unit_id=unit_id,
                unit_name=unit_name,
                indicator_code=code,
                indicator_name=indicator_name,
                point_name=point_name or "",
                description=description,
                points=points,
                found_on=found_on,
                rectify_deadline=then.rectify_deadline,
                status_label=labels.get(then.status, then.status),
                accepted_on=accepted_on,
                on_time=accepted_on is not None and missed is None,
                overdue=overdue,
                submitted_late=accepted_on is None and not overdue and missed is not None,
            )
        )
    return rows


def _task_rows(*, campaign: Campaign, month: dt.date) -> list[TaskRow]:
    """Tasks whose deadline falls in the month, and how they ended (live)."""
    from tasks.deadlines import is_on_time
    from tasks.models import Task

    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    tasks_qs = (
        Task.objects.filter(campaign=campaign, deadline__gte=month, deadline__lte=month_end)
        .select_related("unit")
        .order_by("unit__path", "deadline", "code", "pk")
    )
    return [
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


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _finding_from_json(row: dict) -> FindingRow:
    values = dict(row)
    for key in ("found_on", "rectify_deadline", "accepted_on"):
        values[key] = dt.date.fromisoformat(values[key]) if values.get(key) else None
    values["points"] = Decimal(values["points"])
    return FindingRow(**values)


def _task_from_json(row: dict) -> TaskRow:
    values = dict(row)
    for key in ("deadline", "completed_on"):
        values[key] = dt.date.fromisoformat(values[key]) if values.get(key) else None
    return TaskRow(**values)


def published_figures_write(
    *, period: Any, event: Any, as_of: dt.date, unit_ids: set[int], unit_names: dict[int, str] | None = None
) -> Any:
    """Freeze the month's findings (with their rectification state on ``as_of``), tasks and unit
    names with a publication (called by ``reports.services.period_publish`` inside its transaction)."""
    from dataclasses import asdict

    from reports.models import PublishedFigures

    findings = _finding_rows(campaign=period.campaign, month=period.month, as_of=as_of, unit_ids=unit_ids)
    tasks = _task_rows(campaign=period.campaign, month=period.month)
    return PublishedFigures.objects.create(
        event=event, period=period, as_of=as_of,
        findings=[{k: _to_json(v) for k, v in asdict(f).items()} for f in findings],
        tasks=[{k: _to_json(v) for k, v in asdict(t).items()} for t in tasks],
        units={str(pk): name for pk, name in (unit_names or {}).items()},
    )


def report_data(*, campaign: Campaign, month: dt.date, as_of: dt.date | None = None) -> ReportData:
    """Read one campaign month from the database and compute the report figures.

    A published month comes from what publication froze: the score snapshot and the
    :class:`~reports.models.PublishedFigures` of its latest publication (``as_of`` is then the
    day of publication, whatever is passed). An open month is computed live as of ``as_of``
    (default today).
    """
    from campaign.models import AssessmentPeriod, PeriodStatus
    from reports.models import PublishedFigures
    from reports.scoring import month_scores

    month = month.replace(day=1)
    scores: MonthScores = month_scores(campaign=campaign, month=month, with_lines=True)
    published_at = None
    frozen = None
    digest = ""
    if scores.is_published:
        period = AssessmentPeriod.objects.get(campaign=campaign, month=month, status=PeriodStatus.PUBLISHED)
        published_at = period.published_at
        digest = getattr(period, "digest", "") or ""
        frozen = PublishedFigures.objects.filter(period=period).order_by("-event__at", "-pk").first()
    if frozen is not None:
        # Names as published: a unit renamed later keeps its published name in this month's reports.
        names = {int(pk): name for pk, name in (frozen.units or {}).items()}
        for unit in scores.units:
            unit.unit_name = names.get(unit.unit_id, unit.unit_name)
        as_of = frozen.as_of
        findings = [_finding_from_json(row) for row in frozen.findings]
        tasks = [_task_from_json(row) for row in frozen.tasks]
    else:
        # Published before figures were frozen with the publication (older data): the day of publication.
        as_of = timezone.localdate(published_at) if published_at else (as_of or timezone.localdate())
        findings = _finding_rows(campaign=campaign, month=month, as_of=as_of, unit_ids={u.unit_id for u in scores.units})
        tasks = _task_rows(campaign=campaign, month=month)
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
        published_at=published_at,
        frozen=frozen is not None,
        year_summary=year_data(campaign=campaign, year=month.year, upto=month),
        digest=digest,
    )


def without_rows(data: ReportData) -> ReportData:
    """The same figures without the rows they were computed from (every unit's score lines, the
    finding and task rows, the matrix): what the month page shows, 1,000 units in ~0.2 MB instead
    of ~8 MB. Every figure is the one ``data`` holds; only the rows are gone."""
    from dataclasses import replace

    light = {u.unit_id: replace(u, lines=[]) for u in data.units}
    return replace(
        data, units=list(light.values()), groups=[(name, [light[u.unit_id] for u in members]) for name, members in data.groups],
        findings=[], tasks=[], matrix={}, finding_state={}, findings_total=data.rectification_count,
    )


def page_data(*, campaign: Campaign, month: dt.date) -> ReportData:
    """The month page's figures: :func:`report_data` kept :func:`without_rows`, per month, in the
    score cache (``reports.score_cache.page_figures``: the same version and day as the scores, so
    any write that retires the scores retires these; recomputed on every load when the cache is off)."""
    from reports import score_cache

    month = month.replace(day=1)
    return score_cache.page_figures(
        campaign=campaign, month=month, compute=lambda: without_rows(report_data(campaign=campaign, month=month))
    )


# ------------------------------------------------------------------ the year (年度考核)

@dataclass
class YearUnit:
    """One unit's year: its published monthly scores, their average and its rank in its group."""

    unit_id: int
    unit_name: str
    ranking_group: str
    ranking_group_order: int
    scores: dict[dt.date, Decimal]
    average: Decimal
    rank: int = 0
    # Where the campaign counts 材料审核 scores in the year (materials ScoreUse.ANNUAL): the months'
    # average before them, and one (label, points) line per standard scored, points ≤ 0.
    months_average: Decimal | None = None
    material_lines: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def months_counted(self) -> int:
        return len(self.scores)

    @property
    def material_points(self) -> Decimal:
        return sum((points for _label, points in self.material_lines), ZERO)


@dataclass
class YearData:
    """年度考核: per unit the average of the year's published months, ranked within its group."""

    campaign_name: str
    year: int
    months: list[dt.date]  # the published months of the year that count, oldest first
    units: list[YearUnit]
    weights: dict[dt.date, Decimal] = field(default_factory=dict)  # set by the campaign; others weigh 1
    material_counted: bool = False  # 材料审核 scores enter the year's score (each unit's material_lines)

    def weight(self, month: dt.date) -> Decimal:
        return self.weights.get(month, Decimal(1))

    @property
    def weighted(self) -> bool:
        return any(self.weight(m) != 1 for m in self.months)

    @property
    def groups(self) -> list[tuple[str, list[YearUnit]]]:
        groups: dict[str, list[YearUnit]] = {}
        for unit in self.units:
            groups.setdefault(unit.ranking_group, []).append(unit)
        return list(groups.items())

    @property
    def title(self) -> str:
        return f"{self.year}年度考核汇总"


def annual_weight_map(value: dict | None) -> dict[dt.date, Decimal]:
    """``Campaign.annual_weights`` ({"2026-11": 2}) as {date(2026, 11, 1): Decimal("2")}."""
    weights = {}
    for key, weight in (value or {}).items():
        year, month = str(key).split("-")
        weights[dt.date(int(year), int(month), 1)] = Decimal(str(weight))
    return weights


def build_year_data(
    *, campaign_name: str, year: int, months: Sequence[dt.date],
    rows: Iterable[tuple[dt.date, int, str, str, int, Decimal]], weights: dict[dt.date, Decimal] | None = None,
    material: dict[int, list[tuple[dt.date, str, Decimal]]] | None = None,
) -> YearData:
    """The year from plain rows ``(month, unit_id, unit_name, ranking_group, group_order, score)`` of the
    published months (no database access).

    Rule (docs/scoring.md “年度考核”): a unit's annual score is the average of its scores in the
    year's published months, weighted by ``weights`` (month → weight; months not listed weigh 1,
    months weighing 0 do not count), rounded half up to 0.01: Σ weight × score ÷ Σ weight over the
    months the unit was scored in (a unit set up in the autumn averages its own months); its group
    is the one of its latest month; units are ranked per group, highest first, equal averages share
    a rank (1, 2, 2, 4).

    ``material`` (unit id → ``(scored_on, label, points)``): where the campaign counts 材料审核
    scores in the year's score, each standard scored on a day of a counted month adds its line
    (分值 − 得分, negative) once to that average, not weighted; the year never goes below 0.
    """
    from reports.scoring import competition_ranks

    weights = weights or {}
    months = sorted(m for m in set(months) if weights.get(m, Decimal(1)) > 0)
    wanted = set(months)
    per_unit: dict[int, dict] = {}
    for month, unit_id, name, group, order, score in sorted(rows, key=lambda r: r[0]):
        if month not in wanted:
            continue
        entry = per_unit.setdefault(unit_id, {"name": name, "scores": {}})
        entry.update(name=name, group=group, order=order)  # the latest month wins
        entry["scores"][month] = score
    units = []
    for unit_id, entry in per_unit.items():
        total_weight = sum((weights.get(m, Decimal(1)) for m in entry["scores"]), ZERO)
        weighted = sum((weights.get(m, Decimal(1)) * score for m, score in entry["scores"].items()), ZERO)
        average = (weighted / total_weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        lines = [(label, points) for day, label, points in (material or {}).get(unit_id, [])
                 if day.replace(day=1) in wanted]
        unit = YearUnit(unit_id, entry["name"], entry["group"], entry["order"], dict(sorted(entry["scores"].items())), average)
        if material is not None:
            unit.months_average, unit.material_lines = average, lines
            unit.average = max(ZERO, average + unit.material_points).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        units.append(unit)
    by_group: dict[str, list[YearUnit]] = defaultdict(list)
    for unit in units:
        by_group[unit.ranking_group].append(unit)
    for members in by_group.values():
        members.sort(key=lambda u: (-u.average, u.unit_name))
        for unit, rank in zip(members, competition_ranks([u.average for u in members])):
            unit.rank = rank
    units.sort(key=lambda u: (u.ranking_group_order, u.ranking_group, u.rank, u.unit_name))
    return YearData(campaign_name=campaign_name, year=year, months=months, units=units,
                    weights={m: w for m, w in weights.items() if m in wanted}, material_counted=material is not None)


def year_data(*, campaign: Campaign, year: int, upto: dt.date | None = None) -> YearData:
    """Read the year from the published snapshots of ``campaign`` (``upto``: only months up to that
    one, e.g. the year to date in a month's workbook). Open months never count (3 queries; 4 where
    the campaign counts 材料审核 scores in the year, their lines dated in the counted months)."""
    from campaign.models import PeriodStatus, RankingGroup
    from materials import selectors as material_selectors
    from materials.models import ScoreUse
    from reports.models import UnitMonthScore

    qs = UnitMonthScore.objects.filter(
        period__campaign=campaign, period__status=PeriodStatus.PUBLISHED, period__month__year=year
    )
    if upto is not None:
        qs = qs.filter(period__month__lte=upto)
    order = dict(RankingGroup.objects.values_list("name", "order"))
    rows = [
        (month, unit_id, name, group, order.get(group, 0), score)
        for month, unit_id, name, group, score in qs.values_list(
            "period__month", "unit_id", "unit__name", "ranking_group", "score"
        ).order_by("period__month", "unit_id")
    ]
    material = None
    if material_selectors.score_use(campaign) == ScoreUse.ANNUAL:
        material = defaultdict(list)
        if rows:
            last = max(r[0] for r in rows)
            end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1) - dt.timedelta(days=1)
            for line in material_selectors.material_score_lines(campaign=campaign, start=dt.date(year, 1, 1), end=end):
                material[line.unit_id].append((line.scored_on, f"{line.label}，计入年度考核得分", line.points))
    return build_year_data(campaign_name=campaign.name, year=year, months=[r[0] for r in rows], rows=rows,
                           weights=annual_weight_map(campaign.annual_weights), material=material)
