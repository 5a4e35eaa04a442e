"""The monthly scoring engine (月度考核计分): one month's score for every ranked unit.

The rule is stated, with a worked example, in ``docs/scoring.md``. In short:

* Units scored: active units that have a ranking group (考核组别) and whose
  启用日期/停用日期 (``active_from``/``active_until``) cover some day of the month.
* Every unit starts from ``campaign.full_score`` (default 100).
* **Indicator part**, by ``campaign.scoring_mode``:

  - 扣分制 (deduction): every finding of the month that is not withdrawn deducts
    its points; the deductions on one indicator are capped at that indicator's
    score (a ``cap`` line gives the excess back).
  - 及格率制 (pass rate): per indicator, rate = passed ÷ (passed + failed) over
    the month's checks (不适用 left out). The unit keeps
    ``full_score × Σ(score_i × rate_i) ÷ Σ score_i`` over the indicators it was
    checked on; one ``pass_rate`` line per indicator gives the points lost on it.
  - mixed: both parts are listed in full, then each is scaled to its weight
    (``deduction_weight`` and 1 − ``deduction_weight``) by one adjustment line.

* Indicators assessed by survey (问卷调查): a survey scored in the month deducts, per rule, the
  indicator's score minus the points its rate earns in the unit's area (``surveys/rates.py``);
  one ``survey`` line names the survey, the rate and the respondents. Never weighted in mixed mode.
* 材料审核 (materials): where the campaign counts them monthly (``MaterialSettings.score_use``), a
  standard's materials scored in the month deduct its 分值 minus the points given; one ``material``
  line names the standard and both numbers (``materials.selectors.material_score_lines``). Never
  weighted in mixed mode. Campaigns that keep them for readiness (or the year) get no line here.
* Then, in every mode: overdue-rectification penalties of the month
  (``OverduePenalty`` rows), overdue tasks (``task_overdue_points`` each,
  capped at ``task_overdue_cap``), approved bonuses (capped at ``bonus_cap``),
  corrections (signed), and finally a floor so the score never goes below 0.
* Each line is rounded to 0.01 (half up) and the score is ``full_score + Σ
  lines``: the explanation always sums exactly to the score.
* Rank within the ranking group, highest first; equal scores share a rank
  (1, 2, 2, 4). ``change`` is the difference to the previous month's score
  (the published snapshot if that month is published, else live).

Everything is computed from a constant number of grouped queries, whatever the
number of units (see ``docs/benchmarks.md``).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from campaign.models import (
    AssessmentPeriod,
    Campaign,
    Indicator,
    PeriodStatus,
    ScoringMode,
    Unit,
    month_start,
)
from campaign.periods import month_label
from inspections.models import (
    Bonus,
    BonusStatus,
    Check,
    CheckResult,
    Correction,
    Finding,
    FindingStatus,
    OverduePenalty,
    appeal_summary,
)
from materials import selectors as material_selectors
from materials.models import ScoreUse
from surveys.selectors import survey_score_lines
from tasks.deadlines import is_on_time
from tasks.models import Task

from .models import ScoreLineSnapshot, UnitMonthScore

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
LABEL_MAX = 300


def q2(value: Decimal) -> Decimal:
    """Round to 0.01, half up (how every score line is stored and shown)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def q4(value: Decimal) -> Decimal:
    return Decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def next_month(month: dt.date) -> dt.date:
    return (month_start(month) + dt.timedelta(days=32)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month_start(month) - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class ScoreLine:
    """One line that moved a unit's score; ``points`` is signed (negative deducts)."""

    kind: str  # "finding" | "penalty" | "task" | "bonus" | "correction" | "cap" | "pass_rate"
    label: str
    points: Decimal
    indicator_code: str = ""
    point_name: str = ""
    date: dt.date | None = None
    object_type: str = ""
    object_id: int | None = None


KIND_LABELS = {
    "finding": "问题扣分",
    "penalty": "逾期整改扣分",
    "task": "任务逾期扣分",
    "bonus": "加分",
    "correction": "更正",
    "cap": "封顶/保底调整",
    "pass_rate": "及格率扣减",
    "appeal": "申诉",
    "survey": "问卷调查",
    "material": "材料审核",
}


@dataclass
class UnitScore:
    """One unit's result for one month.

    ``finding_deductions``, ``penalty_deductions`` and ``task_deductions`` are
    positive amounts deducted after their caps (``finding_deductions`` is the
    whole indicator part: findings, or pass-rate losses, or their weighted mix);
    ``bonus`` is after its cap; ``corrections`` is signed. The floor at 0 is the
    only adjustment without a field of its own: ``score`` = full − deductions +
    bonus + corrections + floor, and ``lines`` always sum to ``score − full_score``.
    """

    unit_id: int
    unit_name: str
    unit_type: str
    ranking_group: str
    full_score: Decimal
    finding_deductions: Decimal
    penalty_deductions: Decimal
    task_deductions: Decimal
    bonus: Decimal
    corrections: Decimal
    pass_rate: Decimal | None
    score: Decimal
    score_rate: Decimal | None
    rank: int
    change: Decimal | None
    lines: list[ScoreLine]
    # Optional extras (not part of the frozen contract's required fields).
    overall_rank: int = 0
    ranking_group_order: int = 0
    previous_score: Decimal | None = None
    findings_count: int = 0

    @property
    def lines_total(self) -> Decimal:
        return sum((line.points for line in self.lines), ZERO)


@dataclass
class MonthScores:
    campaign: Campaign
    month: dt.date
    is_published: bool
    units: list[UnitScore]  # ordered by ranking group order, then rank, then unit name

    def by_group(self) -> list[tuple[str, list[UnitScore]]]:
        """The units per ranking group, groups in their configured order."""
        groups: dict[str, list[UnitScore]] = {}
        for unit in self.units:
            groups.setdefault(unit.ranking_group, []).append(unit)
        return list(groups.items())

    def get(self, unit_id: int) -> UnitScore | None:
        for unit in self.units:
            if unit.unit_id == unit_id:
                return unit
        return None

    @property
    def label(self) -> str:
        return month_label(self.month)


# --------------------------------------------------------------------------- ranking


def competition_ranks(scores: list[Decimal]) -> list[int]:
    """Standard competition ranks for ``scores`` sorted highest first: 1, 2, 2, 4."""
    ranks: list[int] = []
    for i, score in enumerate(scores):
        if i > 0 and score == scores[i - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(i + 1)
    return ranks


def assign_ranks(units: list[UnitScore]) -> list[UnitScore]:
    """Rank within each ranking group and overall; return them in display order."""
    by_group: dict[str, list[UnitScore]] = defaultdict(list)
    for unit in units:
        by_group[unit.ranking_group].append(unit)
    for members in by_group.values():
        members.sort(key=lambda u: (-u.score, u.unit_name))
        for unit, rank in zip(members, competition_ranks([u.score for u in members])):
            unit.rank = rank
    overall = sorted(units, key=lambda u: (-u.score, u.unit_name))
    for unit, rank in zip(overall, competition_ranks([u.score for u in overall])):
        unit.overall_rank = rank
    return sorted(units, key=lambda u: (u.ranking_group_order, u.ranking_group, u.rank, u.unit_name))


# --------------------------------------------------------------------------- live computation


@dataclass(frozen=True)
class ScoredUnit:
    pk: int
    name: str
    unit_type: str
    group: str
    group_order: int


def scored_units(month: dt.date) -> list[ScoredUnit]:
    """The units that get ``month``'s score (one query): active, with a ranking group, and within
    their 启用日期/停用日期 for some day of the month (a unit set up in November is not ranked in
    October, not even when October is published again; one stopped in October still is)."""
    start, end = _month_bounds(month)
    in_month = (Q(active_from__isnull=True) | Q(active_from__lte=end)) & (
        Q(active_until__isnull=True) | Q(active_until__gte=start)
    )
    return [
        ScoredUnit(*row)
        for row in Unit.objects.filter(in_month, is_active=True, ranking_group__isnull=False).values_list(
            "id", "name", "unit_type", "ranking_group__name", "ranking_group__order"
        ).order_by()
    ]


def _fetch(queryset) -> list[tuple]:
    """Rows of a ``values_list`` queryset.

    On PostgreSQL the compiled SQL runs straight on the cursor: psycopg already
    returns Decimal and date, and skipping Django's per-row converters halves
    the engine's time at city scale. SQLite needs the converters (it stores
    decimals as REAL), so it goes through the ORM.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. unit_id__in=[]: the ORM would return no rows without asking
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month_start(month)
    return start, next_month(start) - dt.timedelta(days=1)


class _Acc:
    """Accumulates one unit's lines and the field totals while the month is computed."""

    __slots__ = ("want", "lines", "finding", "passing", "survey", "material", "penalty", "task", "bonus", "corrections", "findings_count", "indicator_lost")

    def __init__(self, want: bool = True) -> None:
        self.want = want  # does this unit's explanation get its lines?
        self.lines: list[ScoreLine] = []
        self.finding = ZERO  # signed sums (negative = deducted)
        self.passing = ZERO  # pass-rate losses (negative)
        self.survey = ZERO  # survey-assessed indicators' losses (negative)
        self.material = ZERO  # 材料审核 standards' losses, when the campaign counts them monthly (negative)
        self.penalty = ZERO
        self.task = ZERO
        self.bonus = ZERO
        self.corrections = ZERO
        self.findings_count = 0
        self.indicator_lost = ZERO  # points lost on indicators, for 得分率 in deduction mode

    def add(self, bucket: str, line: ScoreLine | None, points: Decimal, with_lines: bool) -> None:
        setattr(self, bucket, getattr(self, bucket) + points)
        if with_lines and self.want and line is not None:
            self.lines.append(line)


def _finding_label(point_name: str, description: str) -> str:
    """"点位：问题描述", without repeating a point name the description already starts with."""
    text = f"{point_name}：{description}" if point_name and not description.startswith(point_name) else description
    return text[:LABEL_MAX]


def _deduction_part(
    *, campaign: Campaign, start: dt.date, unit_ids: set[int], indicators: dict[int, dict], accs: dict[int, _Acc],
    with_lines: bool, scope: dict,
) -> None:
    """Findings of the month, capped per indicator at its score (into ``acc.finding``)."""
    base = Finding.objects.filter(campaign=campaign, month=start, **scope).exclude(status=FindingStatus.WITHDRAWN)
    totals = _fetch(base.values_list("unit_id", "indicator_id").annotate(total=Sum("points"), n=Count("id")).order_by())
    # The hot path (rankings, previous month, benchmark, units whose lines are not asked for):
    # sums only, in one pass.
    for unit_id, indicator_id, total, count in totals:
        acc = accs.get(unit_id)
        if acc is None or (with_lines and acc.want):
            continue
        total = q2(total)  # SQLite sums decimals as floats
        ind = indicators.get(indicator_id)
        cap = ind["score"] if ind is not None else total
        kept = total if total <= cap else cap
        acc.finding -= kept
        acc.indicator_lost += kept
        acc.findings_count += count
    if not with_lines:
        return
    wanted = [pk for pk, acc in accs.items() if acc.want]
    if len(wanted) < len(accs):
        base = base.filter(unit_id__in=wanted)
    rows_by_key: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for row in _fetch(base.order_by("found_on", "pk").values_list(
        "pk", "unit_id", "indicator_id", "points", "found_on", "description", "point__name",
        "appeal__status", "appeal__original_points", "appeal__new_points",
    )):
        if row[1] in unit_ids:
            rows_by_key[(row[1], row[2])].append(row)
    for unit_id, indicator_id, total, count in sorted(
        (row for row in totals if row[0] in unit_ids and accs[row[0]].want),
        key=lambda row: (row[0], indicators.get(row[1], {}).get("sort", ("", 0))),
    ):
        acc = accs[unit_id]
        total = q2(total)  # SQLite sums decimals as floats
        ind = indicators.get(indicator_id) or {"code": "", "name": "", "score": total}
        acc.findings_count += count
        cap_back = max(total - ind["score"], ZERO)
        acc.indicator_lost += total - cap_back
        code, lines, subtotal = ind["code"], acc.lines, ZERO
        for pk, _, _, points, found_on, description, point_name, *appeal in rows_by_key[(unit_id, indicator_id)]:
            subtotal += points
            lines.append(ScoreLine(
                "finding", _appeal_label(_finding_label(point_name or "", description), *appeal), -points, code,
                point_name or "", found_on, "inspections.finding", pk,
            ))
        acc.finding -= subtotal
        if cap_back > 0:
            acc.add("finding", ScoreLine(
                "cap", f"指标{ind['code']}“{ind['name']}”本月扣分{total}分，超过分值{ind['score']}分，封顶返还{cap_back}分",
                cap_back, ind["code"], object_type="campaign.indicator", object_id=indicator_id,
            ), cap_back, with_lines)
    # Findings the office revoked on appeal (申诉撤销) deduct nothing; a 0.00 line keeps the decision
    # visible in the explanation (no indicator code, so no indicator statistic counts it).
    for pk, unit_id, found_on, description, point_name, original, decision in _fetch(
        Finding.objects.filter(campaign=campaign, month=start, status=FindingStatus.WITHDRAWN,
                               appeal__status="revoked", **scope)
        .filter(unit_id__in=wanted)
        .order_by("found_on", "pk")
        .values_list("pk", "unit_id", "found_on", "description", "point__name", "appeal__original_points",
                     "appeal__decision_reason")
    ):
        acc = accs.get(unit_id)
        if acc is not None and acc.want:
            acc.lines.append(ScoreLine(
                "appeal", f"申诉撤销（原扣{q2(original)}分，不再扣分；{decision}）：{_finding_label(point_name or '', description)}"[:LABEL_MAX],
                ZERO, "", point_name or "", found_on, "inspections.finding", pk,
            ))


def _appeal_label(label: str, status: str | None, original: Decimal | None, new: Decimal | None) -> str:
    """A finding's line label with its appeal's state, e.g. "…（申诉改分：原扣0.50分，改为0.20分）"."""
    if not status:
        return label
    text = appeal_summary(status, q2(original) if original is not None else original,
                          q2(new) if new is not None else new)
    return f"{label}（{text}）"[:LABEL_MAX]


def _pass_rate_part(
    *, campaign: Campaign, start: dt.date, unit_ids: set[int], indicators: dict[int, dict], accs: dict[int, _Acc],
    with_lines: bool, scope: dict,
) -> tuple[dict[int, Decimal | None], dict[int, Decimal | None]]:
    """Pass rates of the month's checks (lines into ``acc.passing``); returns (pass rate, 得分率) per unit."""
    counts: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for unit_id, indicator_id, result, n in (
        Check.objects.filter(inspection__campaign=campaign, month=start, result__in=[CheckResult.PASS, CheckResult.FAIL], **scope)
        .values_list("unit_id", "indicator_id", "result")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if unit_id in unit_ids:
            counts[unit_id][indicator_id][0 if result == CheckResult.PASS else 1] += n
    pass_rates: dict[int, Decimal | None] = {}
    score_rates: dict[int, Decimal | None] = {}
    for unit_id, per_indicator in counts.items():
        acc = accs[unit_id]
        full = campaign.full_score
        possible = sum((indicators[i]["score"] for i in per_indicator if i in indicators), ZERO)
        passed_all = sum(c[0] for c in per_indicator.values())
        made_all = sum(c[0] + c[1] for c in per_indicator.values())
        pass_rates[unit_id] = q4(Decimal(passed_all) / made_all) if made_all else None
        if possible <= 0:
            score_rates[unit_id] = None
            continue
        kept = ZERO
        for indicator_id in sorted(per_indicator, key=lambda i: indicators.get(i, {}).get("sort", ("", 0))):
            passed, failed = per_indicator[indicator_id]
            ind = indicators.get(indicator_id)
            if ind is None:
                continue
            rate = Decimal(passed) / (passed + failed)
            kept += ind["score"] * rate
            lost = q2(-full * ind["score"] * (1 - rate) / possible)
            if lost == 0:
                continue
            acc.add("passing", ScoreLine(
                "pass_rate",
                f"指标{ind['code']}“{ind['name']}”：检查{passed + failed}项，合格{passed}项，及格率{rate * 100:.2f}%"
                f"（分值{ind['score']}分，计{q2(ind['score'] * rate)}分）",
                lost, ind["code"], object_type="campaign.indicator", object_id=indicator_id,
            ), lost, with_lines)
        score_rates[unit_id] = q4(kept / possible)
    return pass_rates, score_rates


def _weigh(acc: _Acc, bucket: str, name: str, weight: Decimal, with_lines: bool) -> None:
    """Mixed mode: scale one part to its weight with one adjustment line (so lines still sum)."""
    raw = getattr(acc, bucket)
    if raw == 0:
        return
    weighted = q2(raw * weight)
    adjust = weighted - raw
    acc.add(bucket, ScoreLine(
        "cap", f"加权计分：{name}部分{raw}分 × 权重{weight:.2f} = {weighted}分，调整{adjust:+}分", adjust,
    ), adjust, with_lines)


def score_month(
    *, campaign: Campaign, month: dt.date, with_lines: bool = True, today: dt.date | None = None,
    with_change: bool = True, lines_for: set[int] | None = None, only_units: set[int] | None = None,
) -> MonthScores:
    """Compute ``month``'s scores live from the data (see the module docstring for the rule).

    ``today`` decides which task deadlines have passed (default: today); a task
    due on the last day of the month becomes overdue on the 1st of the next
    month and so counts there.
    """
    start, end = _month_bounds(month)
    today = today or timezone.localdate()
    units = scored_units(start)
    # ``only_units``: score just these units (a trend chart); their ranks then mean nothing.
    scope: dict = {}
    if only_units is not None:
        units = [u for u in units if u.pk in only_units]
        scope = {"unit_id__in": [u.pk for u in units]}
    unit_ids = {u.pk for u in units}

    # ``lines_for``: only these units' lines are built (an explanation page needs one unit's).
    accs: dict[int, _Acc] = {u.pk: _Acc(lines_for is None or u.pk in lines_for) for u in units}
    mode = campaign.scoring_mode
    w_deduction = {ScoringMode.DEDUCTION: Decimal(1), ScoringMode.PASS_RATE: Decimal(0)}.get(
        mode, Decimal(campaign.deduction_weight)
    )

    indicators: dict[int, dict] = {}
    leaves: list[dict] = []
    for pk, code, name, score, level, types, order in Indicator.objects.filter(campaign=campaign).values_list(
        "pk", "code", "name", "score", "level", "applicable_unit_types", "order"
    ):
        info = {"code": code, "name": name, "score": score, "types": types or [], "sort": (order, code)}
        indicators[pk] = info
        if level == 3:
            leaves.append(info)

    if w_deduction > 0:
        _deduction_part(campaign=campaign, start=start, unit_ids=unit_ids, indicators=indicators, accs=accs,
                        with_lines=with_lines, scope=scope)
    pass_rates: dict[int, Decimal | None] = {}
    pr_score_rates: dict[int, Decimal | None] = {}
    if w_deduction < 1:
        pass_rates, pr_score_rates = _pass_rate_part(
            campaign=campaign, start=start, unit_ids=unit_ids, indicators=indicators, accs=accs,
            with_lines=with_lines, scope=scope,
        )
    if mode == ScoringMode.MIXED:
        for acc in accs.values():
            _weigh(acc, "finding", "扣分制", w_deduction, with_lines)
            _weigh(acc, "passing", "及格率制", 1 - w_deduction, with_lines)

    # Indicators assessed by survey: the rate of the unit's area earns the points (surveys/rates.py).
    for line in survey_score_lines(campaign=campaign, month=start, unit_ids=unit_ids):
        acc = accs[line.unit_id]
        acc.indicator_lost -= line.points
        acc.add("survey", ScoreLine(
            "survey", line.label[:LABEL_MAX], line.points, line.indicator_code, date=start,
            object_type="surveys.survey", object_id=line.survey_id,
        ), line.points, with_lines)

    # 材料审核 scores dated in the month, when the campaign counts them in the monthly score
    # (materials.MaterialSettings.score_use; readiness-only or annual campaigns get no line here).
    if material_selectors.score_use(campaign) == ScoreUse.MONTHLY:
        for line in material_selectors.material_score_lines(campaign=campaign, start=start, end=end, unit_ids=unit_ids):
            acc = accs[line.unit_id]
            acc.indicator_lost -= line.points
            acc.add("material", ScoreLine(
                "material", line.label, line.points, line.indicator_code, date=start,
                object_type="materials.materialscore", object_id=line.score_id,
            ), line.points, with_lines)

    # Overdue-rectification penalties recorded for this month.
    penalties = OverduePenalty.objects.filter(campaign=campaign, month=start, **scope)
    if not with_lines:
        for unit_id, total in _fetch(penalties.values_list("unit_id").annotate(total=Sum("points")).order_by()):
            if unit_id in accs:
                accs[unit_id].penalty -= q2(total)
    for pk, unit_id, points, finding_id, description, point_name, code, deadline in (
        penalties.order_by("finding__rectify_deadline", "pk")
        .values_list("pk", "unit_id", "points", "finding_id", "finding__description", "finding__point__name",
                     "finding__indicator__code", "finding__rectify_deadline")
        if with_lines else ()
    ):
        if unit_id in unit_ids:
            accs[unit_id].add("penalty", ScoreLine(
                "penalty", f"逾期未整改（整改时限{deadline:%Y-%m-%d}）：{_finding_label(point_name or '', description)}"[:LABEL_MAX],
                -points, code or "", point_name or "", deadline, "inspections.finding", finding_id,
            ), -points, with_lines)

    # Tasks whose deadline passed in this month (deadline + 1 day in the month) and not done on time.
    task_points = campaign.task_overdue_points
    if task_points > 0:
        last_deadline = min(end - dt.timedelta(days=1), today - dt.timedelta(days=1))
        task_rows = (
            Task.objects.filter(campaign=campaign, deadline__gte=start - dt.timedelta(days=1), deadline__lte=last_deadline, **scope)
            .filter(Q(completed_on__isnull=True) | Q(completed_on__gt=F("deadline")))
            .order_by("deadline", "pk")
            .values_list("pk", "unit_id", "title", "deadline", "completed_on", "indicator__code")
        )
        task_totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for pk, unit_id, title, deadline, completed_on, code in task_rows:
            if unit_id not in unit_ids or is_on_time(deadline=deadline, completed_on=completed_on):
                continue
            task_totals[unit_id] += task_points
            late = f"（{completed_on:%Y-%m-%d}完成）" if completed_on else "（逾期未完成）"
            accs[unit_id].add("task", ScoreLine(
                "task", f"任务逾期：{title}，完成时限{deadline:%Y-%m-%d}{late}"[:LABEL_MAX], -task_points, code or "",
                "", deadline, "tasks.task", pk,
            ), -task_points, with_lines)
        cap = campaign.task_overdue_cap
        for unit_id, total in task_totals.items():
            if total > cap:
                back = total - cap
                accs[unit_id].add("task", ScoreLine(
                    "cap", f"任务逾期扣分{total}分，超过每月上限{cap}分，封顶返还{back}分", back,
                ), back, with_lines)

    # Approved bonuses of the month, capped.
    bonus_totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pk, unit_id, points, reason in (
        Bonus.objects.filter(campaign=campaign, month=start, status=BonusStatus.APPROVED, **scope)
        .order_by("pk").values_list("pk", "unit_id", "points", "reason")
    ):
        if unit_id in unit_ids:
            bonus_totals[unit_id] += points
            accs[unit_id].add("bonus", ScoreLine(
                "bonus", f"加分：{reason}"[:LABEL_MAX], points, date=start, object_type="inspections.bonus", object_id=pk,
            ), points, with_lines)
    for unit_id, total in bonus_totals.items():
        if total > campaign.bonus_cap:
            back = campaign.bonus_cap - total
            accs[unit_id].add("bonus", ScoreLine(
                "cap", f"本月加分{total}分，超过每月上限{campaign.bonus_cap}分，按上限计（{back}分）", back,
            ), back, with_lines)

    # Corrections (reversing entries) booked into this month.
    for pk, unit_id, points, reason, finding_id, created_at in (
        Correction.objects.filter(campaign=campaign, month=start, **scope)
        .order_by("pk").values_list("pk", "unit_id", "points", "reason", "finding_id", "created_at")
    ):
        if unit_id in unit_ids:
            accs[unit_id].add("corrections", ScoreLine(
                "correction", f"更正：{reason}"[:LABEL_MAX], points, date=timezone.localtime(created_at).date() if created_at else None,
                object_type="inspections.correction", object_id=pk,
            ), points, with_lines)

    full = campaign.full_score
    results: list[UnitScore] = []
    applicable_by_type: dict[str, Decimal] = {}  # Σ applicable leaf scores, the 得分率 denominator
    for unit in units:
        acc = accs[unit.pk]
        raw = full + acc.finding + acc.passing + acc.survey + acc.material + acc.penalty + acc.task + acc.bonus + acc.corrections
        lines = acc.lines
        if raw < 0:
            if with_lines and acc.want:
                lines.append(ScoreLine("cap", f"扣分后得分为{raw}分，按最低0分计（返还{-raw}分）", -raw))
            raw = ZERO
        score = q2(raw)
        applicable = applicable_by_type.get(unit.unit_type)
        if applicable is None:
            applicable = sum((leaf["score"] for leaf in leaves if not leaf["types"] or unit.unit_type in leaf["types"]), ZERO)
            applicable_by_type[unit.unit_type] = applicable
        if mode == ScoringMode.PASS_RATE:
            score_rate = pr_score_rates.get(unit.pk)
        else:
            d_rate = q4(max(applicable - acc.indicator_lost, ZERO) / applicable) if applicable > 0 else None
            if mode == ScoringMode.MIXED and d_rate is not None:
                p_rate = pr_score_rates.get(unit.pk)
                p_rate = Decimal(1) if p_rate is None else p_rate
                score_rate = q4(w_deduction * d_rate + (1 - w_deduction) * p_rate)
            else:
                score_rate = d_rate
        results.append(UnitScore(
            unit_id=unit.pk, unit_name=unit.name, unit_type=unit.unit_type, ranking_group=unit.group,
            full_score=full, finding_deductions=q2(-acc.finding - acc.passing - acc.survey - acc.material), penalty_deductions=q2(-acc.penalty),
            task_deductions=q2(-acc.task), bonus=q2(acc.bonus), corrections=q2(acc.corrections),
            pass_rate=pass_rates.get(unit.pk), score=score, score_rate=score_rate, rank=0, change=None,
            lines=lines if with_lines else [], ranking_group_order=unit.group_order, findings_count=acc.findings_count,
        ))

    ordered = assign_ranks(results)
    if with_change:
        _apply_change(campaign=campaign, month=start, units=ordered, today=today)
    return MonthScores(campaign=campaign, month=start, is_published=_is_published(campaign, start), units=ordered)


def _is_published(campaign: Campaign, month: dt.date) -> bool:
    return AssessmentPeriod.objects.filter(campaign=campaign, month=month, status=PeriodStatus.PUBLISHED).exists()


month_is_published = _is_published  # public name for pages (one query)


def _apply_change(*, campaign: Campaign, month: dt.date, units: list[UnitScore], today: dt.date) -> None:
    """Fill ``change`` and ``previous_score`` from the previous month (None before the campaign)."""
    prev = previous_month(month)
    if prev < month_start(campaign.start_date):
        return
    previous = previous_scores(campaign=campaign, month=prev, today=today)
    for unit in units:
        before = previous.get(unit.unit_id)
        if before is not None:
            unit.previous_score = before
            unit.change = q2(unit.score - before)


def previous_scores(*, campaign: Campaign, month: dt.date, today: dt.date | None = None) -> dict[int, Decimal]:
    """unit id → score of ``month``: the snapshot when published, else computed live (no lines)."""
    if _is_published(campaign, month):
        return dict(
            UnitMonthScore.objects.filter(period__campaign=campaign, period__month=month).values_list("unit_id", "score")
        )
    from .score_cache import base_scores  # served from the cache when it is on

    live = base_scores(campaign=campaign, month=month, today=today)
    return {u.unit_id: u.score for u in live.units}


# --------------------------------------------------------------------------- snapshots


def snapshot_scores(*, period: AssessmentPeriod, with_lines: bool = True, lines_for: set[int] | None = None) -> MonthScores:
    """Rebuild a :class:`MonthScores` from a published period's frozen rows."""
    rows = list(
        UnitMonthScore.objects.filter(period=period).select_related("unit", "unit__ranking_group")
    )
    lines_by_score: dict[int, list[ScoreLine]] = defaultdict(list)
    if with_lines:
        line_rows = ScoreLineSnapshot.objects.filter(score__period=period)
        if lines_for is not None:
            line_rows = line_rows.filter(score__unit_id__in=lines_for)
        for line in line_rows.order_by("score_id", "order", "pk"):
            lines_by_score[line.score_id].append(ScoreLine(
                line.kind, line.label, line.points, line.indicator_code, line.point_name, line.date,
                line.object_type, line.object_id,
            ))
    group_order = {}
    from campaign.models import RankingGroup  # local: only needed to order snapshot groups

    for name, order in RankingGroup.objects.values_list("name", "order"):
        group_order[name] = order
    units = []
    for row in rows:
        units.append(UnitScore(
            unit_id=row.unit_id, unit_name=row.unit.name, unit_type=row.unit.unit_type, ranking_group=row.ranking_group,
            full_score=row.full_score, finding_deductions=row.finding_deductions,
            penalty_deductions=row.penalty_deductions, task_deductions=row.task_deductions, bonus=row.bonus,
            corrections=row.corrections, pass_rate=row.pass_rate, score=row.score, score_rate=row.score_rate,
            rank=row.rank, change=row.change, lines=lines_by_score.get(row.pk, []),
            ranking_group_order=group_order.get(row.ranking_group, 0),
            previous_score=(row.score - row.change) if row.change is not None else None,
            findings_count=sum(1 for line in lines_by_score.get(row.pk, []) if line.kind == "finding"),
        ))
    overall = sorted(units, key=lambda u: (-u.score, u.unit_name))
    for unit, rank in zip(overall, competition_ranks([u.score for u in overall])):
        unit.overall_rank = rank
    units.sort(key=lambda u: (u.ranking_group_order, u.ranking_group, u.rank, u.unit_name))
    return MonthScores(campaign=period.campaign, month=period.month, is_published=True, units=units)


def month_scores(
    *, campaign: Campaign, month: dt.date, with_lines: bool = True, lines_for: set[int] | None = None
) -> MonthScores:
    """The frozen snapshot if ``month`` is published, else the live computation (served from
    ``reports.score_cache`` until a write changes it).

    ``lines_for`` limits the lines to those units (every unit is still scored and ranked)."""
    start = month_start(month)
    period = AssessmentPeriod.objects.filter(campaign=campaign, month=start, status=PeriodStatus.PUBLISHED).first()
    if period is not None:
        return snapshot_scores(period=period, with_lines=with_lines, lines_for=lines_for)
    from .score_cache import open_month_scores  # the engine's result, cached until a write changes it

    return open_month_scores(campaign=campaign, month=start, with_lines=with_lines, lines_for=lines_for)


# --------------------------------------------------------------------------- pass-rate tables (及格率)


@dataclass
class PassRateRow:
    """Checks of one month for one key (an indicator, unit, street or ranking group)."""

    key: str
    label: str
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    score: Decimal = ZERO  # Σ indicator score over the checked indicators (per unit × indicator)
    earned: Decimal = ZERO  # Σ indicator score × pass rate

    @property
    def checked(self) -> int:
        """Checks made: 不适用 is left out."""
        return self.passed + self.failed

    @property
    def rate(self) -> Decimal | None:
        return q4(Decimal(self.passed) / self.checked) if self.checked else None

    @property
    def score_rate(self) -> Decimal | None:
        return q4(self.earned / self.score) if self.score > 0 else None


STREET_TYPES = ("street", "township")


def pass_rates(*, campaign: Campaign, month: dt.date, by: str = "indicator") -> list[PassRateRow]:
    """及格率 of the month's checks grouped ``by`` "indicator", "unit", "street" or "group".

    One grouped query over (unit, indicator, result). For every unit × indicator
    the rate is passed ÷ (passed + failed) and earns ``indicator score × rate``;
    a row adds those up, so its ``score_rate`` is Σ earned ÷ Σ score and its
    ``rate`` is the share of all its checks that passed. "street" is the unit
    itself or its nearest ancestor of type 街道/乡镇 (checks of units under no
    street are left out of that table).
    """
    if by not in ("indicator", "unit", "street", "group"):
        raise ValueError(f"未知的汇总方式：{by}")
    start = month_start(month)
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for unit_id, indicator_id, result, n in (
        Check.objects.filter(inspection__campaign=campaign, month=start)
        .values_list("unit_id", "indicator_id", "result").annotate(n=Count("id")).order_by()
    ):
        cells[(unit_id, indicator_id)][{CheckResult.PASS: 0, CheckResult.FAIL: 1}.get(result, 2)] += n
    if not cells:
        return []
    indicators = {
        pk: (code, name, score, (order, code))
        for pk, code, name, score, order in Indicator.objects.filter(campaign=campaign).values_list("pk", "code", "name", "score", "order")
    }
    unit_rows = {
        pk: (name, utype, path, group, gorder)
        for pk, name, utype, path, group, gorder in Unit.objects.values_list(
            "pk", "name", "unit_type", "path", "ranking_group__name", "ranking_group__order"
        )
    }
    streets = {pk: row for pk, row in unit_rows.items() if row[1] in STREET_TYPES}

    def street_of(unit_id: int) -> int | None:
        path = unit_rows[unit_id][2]
        ids = [int(p) for p in path.strip("/").split("/") if p]
        for pk in reversed(ids):
            if pk in streets:
                return pk
        return None

    rows: dict[str, PassRateRow] = {}
    sort_keys: dict[str, tuple] = {}
    for (unit_id, indicator_id), (passed, failed, na) in cells.items():
        code, name, score, isort = indicators.get(indicator_id, ("", "", ZERO, ("", 0)))
        if by == "indicator":
            key, label, sk = str(indicator_id), f"{code} {name}", isort
        elif by == "unit":
            key, label, sk = str(unit_id), unit_rows[unit_id][0], (unit_rows[unit_id][2],)
        elif by == "street":
            street = street_of(unit_id)
            if street is None:
                continue
            key, label, sk = str(street), unit_rows[street][0], (unit_rows[street][2],)
        else:
            group = unit_rows[unit_id][3]
            if group is None:
                continue
            key, label, sk = group, group, (unit_rows[unit_id][4], group)
        row = rows.setdefault(key, PassRateRow(key=key, label=label))
        sort_keys[key] = sk
        row.passed += passed
        row.failed += failed
        row.not_applicable += na
        if passed + failed:
            row.score += score
            row.earned += score * Decimal(passed) / (passed + failed)
    for row in rows.values():
        row.earned = q2(row.earned)
    return [rows[k] for k in sorted(rows, key=lambda k: sort_keys[k])]
