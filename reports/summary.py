"""The figures of a 工作总结 (periodic work report) for one unit or the whole city.

A unit official or the office asks for a draft for a month, a phase or the year; the draft
(``reports.word.render_summary_docx``) has the structure Chinese work reports use (一、基本情况
二、主要做法和成效 三、存在问题 四、下一步打算) with the platform's figures filled in and the
narrative left as headed blanks. This module computes the figures; it lays nothing out.

Where each figure comes from (one definition each, shared with the pages):

- **tasks** (``tasks.deadlines``): the tasks of the unit and the units below it (the task list's
  unit filter) whose 完成时限 falls in the period: how many, done (已完成/已验收), done on time
  (``on_time_q``), done late, and still open past the deadline on ``as_of`` (``overdue_q``);
- **findings** (``reports.data``): the counting findings (not withdrawn) of the period's months
  charged to the unit and the units below it, with their rectification state as of ``as_of``
  by the one rule of ``reports.data._finding_rows``: 按期整改率 = rectified on time ÷ all, as in
  the bulletin; 整改完成率 = accepted ÷ all. (A month's published bulletin keeps the states of the
  day of publication; the summary, written later, says how things stand on ``as_of``.)
- **scores** (``reports.scoring.month_scores``): the unit's score, rank in its group and change for
  each month of the period that has begun (the snapshot once published, else the live score);
  for the city, the average score (``reports.data.average_score``) and the number of units;
- **ledgers** (``ledgers.selectors.summary_figures``): the 台账 figures over the period.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from campaign.models import Campaign, Phase, Unit, month_start
from campaign.periods import month_label
from tasks.deadlines import done_q, on_time_q, overdue_q
from tasks.models import Task

from .data import _finding_rows, _rate, average_score
from .scoring import month_scores, next_month

SCOPES = {"month": "月度", "phase": "阶段", "year": "年度"}


@dataclass(frozen=True)
class Figure:
    """One figure as the summary prints it: label, value with its measure, and the rule behind it."""

    label: str
    value: str
    rule: str = ""


@dataclass(frozen=True)
class ScoreRow:
    month: dt.date
    score: Decimal | None
    rank: int | None
    group: str
    group_size: int
    change: Decimal | None
    published: bool

    @property
    def month_label(self) -> str:
        return month_label(self.month)


@dataclass
class SummaryData:
    """Everything the 工作总结 draft prints."""

    campaign_name: str
    kind_label: str
    unit_name: str  # "" for the whole city (the office's summary)
    scope: str
    scope_label: str  # 2026年10月 / 重点推进阶段（2026年5月16日至9月30日） / 2026年
    start: dt.date
    end: dt.date
    as_of: dt.date
    city_name: str
    task_figures: list[Figure] = field(default_factory=list)
    finding_figures: list[Figure] = field(default_factory=list)
    score_rows: list[ScoreRow] = field(default_factory=list)
    ledger_figures: list[Figure] = field(default_factory=list)
    overdue_tasks: list[str] = field(default_factory=list)
    frequent_indicators: list[tuple[str, int]] = field(default_factory=list)
    overdue_findings: int = 0

    @property
    def author(self) -> str:
        return self.unit_name or f"{self.city_name}创建办"

    @property
    def title(self) -> str:
        """E.g. 城东街道2026年10月创建全国文明城市工作总结."""
        subject = f"创建{self.kind_label}" if self.kind_label else self.campaign_name
        return f"{self.author}{self.scope_label}{subject}工作总结"

    @property
    def filename(self) -> str:
        return f"{self.title}（初稿）.docx"


def scope_bounds(*, campaign: Campaign, scope: str, month: dt.date | None = None, phase: Phase | None = None,
                 year: int | None = None) -> tuple[dt.date, dt.date, str]:
    """The period's first and last day and its label; a year is cut to the campaign's dates."""
    if scope == "month":
        if month is None:
            raise ValidationError("请选择月份。")
        start = month_start(month)
        return start, next_month(start) - dt.timedelta(days=1), month_label(start)
    if scope == "phase":
        if phase is None or phase.campaign_id != campaign.pk:
            raise ValidationError("请选择本次创建活动的工作阶段。")
        label = f"{phase.name}（{phase.start_date.year}年{phase.start_date.month}月{phase.start_date.day}日至{phase.end_date.month}月{phase.end_date.day}日）"
        return phase.start_date, phase.end_date, label
    if scope == "year":
        if year is None:
            raise ValidationError("请选择年度。")
        start = max(dt.date(year, 1, 1), campaign.start_date)
        end = min(dt.date(year, 12, 31), campaign.end_date)
        if start > end:
            raise ValidationError(f"{year}年不在本次创建活动的时间范围内。")
        return start, end, f"{year}年"
    raise ValidationError("总结类型只能是月度、阶段或年度。")


def _task_figures(campaign: Campaign, path: str, start: dt.date, end: dt.date, as_of: dt.date) -> tuple[list[Figure], list[str]]:
    due = Task.objects.filter(campaign=campaign, unit__path__startswith=path, deadline__gte=start, deadline__lte=end)
    n = due.aggregate(total=Count("pk"), done=Count("pk", filter=done_q()), on_time=Count("pk", filter=on_time_q()),
                      overdue=Count("pk", filter=overdue_q(as_of)))
    rate = _rate(n["on_time"], n["total"])
    figures = [
        Figure("期内到期任务", f"{n['total']}项", "完成时限在本期内的责任分解任务"),
        Figure("已完成", f"{n['done']}项", "状态为已完成或已验收"),
        Figure("按期完成", f"{n['on_time']}项", "完成日期不晚于完成时限"),
        Figure("逾期完成", f"{n['done'] - n['on_time']}项", "完成日期晚于完成时限"),
        Figure("逾期未完成", f"{n['overdue']}项", f"截至{as_of.year}年{as_of.month}月{as_of.day}日已过完成时限仍未完成"),
        Figure("按期完成率", "—" if rate is None else f"{rate}%", "按期完成 ÷ 期内到期任务"),
    ]
    late = list(due.filter(overdue_q(as_of)).select_related("unit").order_by("deadline", "pk")[:10])
    return figures, [f"{t.title}（{t.unit.name}，时限{t.deadline:%m月%d日}）" for t in late]


def _finding_figures(campaign: Campaign, unit_ids: set[int] | None, start: dt.date, end: dt.date, as_of: dt.date,
                     ) -> tuple[list[Figure], list[tuple[str, int]], int]:
    rows = []
    month = month_start(start)
    while month <= end and month <= as_of:
        rows += _finding_rows(campaign=campaign, month=month, as_of=as_of, unit_ids=unit_ids)
        month = next_month(month)
    total = len(rows)
    accepted = sum(1 for r in rows if r.accepted_on is not None)
    on_time = sum(1 for r in rows if r.accepted_on is not None and r.on_time)
    overdue = sum(1 for r in rows if r.accepted_on is None and r.overdue)
    points = sum((r.points for r in rows), Decimal("0"))
    on_time_rate, done_rate = _rate(on_time, total), _rate(accepted, total)
    figures = [
        Figure("督查发现问题", f"{total}个", "本期各月被督查记录的问题（不含已撤销）"),
        Figure("问题分值合计", f"{points:.2f}分", "各问题登记的扣分之和（未按指标封顶）"),
        Figure("已整改销号", f"{accepted}个", f"截至{as_of.year}年{as_of.month}月{as_of.day}日已验收销号"),
        Figure("按期整改", f"{on_time}个", "每轮整改均在时限内提交并已销号"),
        Figure("按期整改率", "—" if on_time_rate is None else f"{on_time_rate}%", "按期整改 ÷ 发现问题（与月度通报同一口径）"),
        Figure("整改完成率", "—" if done_rate is None else f"{done_rate}%", "已整改销号 ÷ 发现问题"),
        Figure("逾期未整改", f"{overdue}个", "超过整改时限仍待单位整改（待验收的不计）"),
    ]
    counts = Counter(f"{r.indicator_code} {r.indicator_name}".strip() for r in rows)
    return figures, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5], overdue


def _score_rows(campaign: Campaign, unit: Unit | None, start: dt.date, end: dt.date, as_of: dt.date) -> list[ScoreRow]:
    """The period's months that have begun: published ones from their snapshot, open ones from the
    score cache's totals; the change against the month before follows ``scoring._apply_change``
    (the previous month's snapshot or live totals), each month scored once, not twice."""
    from . import score_cache
    from .scoring import month_is_published, previous_month, previous_scores, q2

    months = [m for m in campaign.months() if month_start(start) <= m <= end and m <= as_of]
    rows: list[ScoreRow] = []
    before: dict[int, Decimal] | None = None
    for month in months:
        if month_is_published(campaign, month):
            scores = month_scores(campaign=campaign, month=month, with_lines=False)
        else:
            scores = score_cache.base_scores(campaign=campaign, month=month, today=as_of)
            if before is None and previous_month(month) >= month_start(campaign.start_date):
                before = previous_scores(campaign=campaign, month=previous_month(month), today=as_of)
            for u in scores.units:
                u.change = q2(u.score - before[u.unit_id]) if before and u.unit_id in before else None
        before = {u.unit_id: u.score for u in scores.units}
        if unit is None:
            rows.append(ScoreRow(month, average_score([u.score for u in scores.units]), None, "全部单位",
                                 len(scores.units), None, scores.is_published))
            continue
        mine = scores.get(unit.pk)
        if mine is None:
            continue
        size = sum(1 for u in scores.units if u.ranking_group == mine.ranking_group)
        rows.append(ScoreRow(month, mine.score, mine.rank, mine.ranking_group, size, mine.change, scores.is_published))
    return rows


def _ledger_figures(campaign: Campaign, unit: Unit | None, start: dt.date, end: dt.date) -> list[Figure]:
    try:
        from ledgers.selectors import summary_figures
    except ImportError:  # the ledgers app does not offer its figures (yet)
        return []
    return [Figure(f.label, f.text, f.rule) for f in summary_figures(campaign, unit, start, end)]


def summary_data(*, campaign: Campaign, unit: Unit | None, scope: str, month: dt.date | None = None,
                 phase: Phase | None = None, year: int | None = None, as_of: dt.date | None = None) -> SummaryData:
    """Compute the figures of one 工作总结 (``unit`` None: the whole city, the office's summary)."""
    as_of = as_of or timezone.localdate()
    start, end, label = scope_bounds(campaign=campaign, scope=scope, month=month, phase=phase, year=year)
    if unit is None:
        path, unit_ids = "/", None
    else:
        path = unit.path
        unit_ids = set(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
    data = SummaryData(
        campaign_name=campaign.name, kind_label=campaign.get_kind_display(), unit_name=unit.name if unit else "",
        scope=scope, scope_label=label, start=start, end=end, as_of=as_of, city_name=campaign.city_name,
    )
    data.task_figures, data.overdue_tasks = _task_figures(campaign, path, start, end, as_of)
    data.finding_figures, data.frequent_indicators, data.overdue_findings = _finding_figures(
        campaign, unit_ids, start, end, as_of)
    data.score_rows = _score_rows(campaign, unit, start, end, as_of)
    data.ledger_figures = _ledger_figures(campaign, unit, start, end)
    return data


def summary_params(*, scope: str, unit: Unit | None, month: dt.date | None = None, phase: Phase | None = None,
                   year: int | None = None) -> dict[str, Any]:
    """The report job's parameters for a summary (what ``summary_from_params`` reads back)."""
    return {"scope": scope, "unit": unit.pk if unit else None, "month": f"{month:%Y-%m}" if month else None,
            "phase": phase.pk if phase else None, "year": year}


def summary_from_params(*, campaign: Campaign, params: dict[str, Any], as_of: dt.date | None = None) -> SummaryData:
    """Rebuild the request from a job's parameters and compute the figures (the worker's side)."""
    unit = Unit.objects.get(pk=params["unit"]) if params.get("unit") else None
    phase = Phase.objects.get(pk=params["phase"], campaign=campaign) if params.get("phase") else None
    month = None
    if params.get("month"):
        year_text, month_text = str(params["month"]).split("-")
        month = dt.date(int(year_text), int(month_text), 1)
    return summary_data(campaign=campaign, unit=unit, scope=params["scope"], month=month, phase=phase,
                        year=params.get("year"), as_of=as_of)


def may_request_summary(user: Any, unit: Unit | None) -> bool:
    """Who may have a 工作总结 drafted: the office and leaders for any unit and for the whole city;
    a unit official for their own unit (or a unit below it), never for another unit."""
    from campaign import access

    if access.can(user, "reports.request"):
        return True
    return unit is not None and access.is_official_of(user, unit)


def summary_docx(*, user: Any, campaign: Campaign, params: dict[str, Any], progress: Any = None) -> Any:
    """The report job's renderer (``renderers.EXPORTS["summary-docx"]``): check the requester may
    have this unit's summary, compute the figures, lay out the .docx."""
    from django.core.exceptions import PermissionDenied

    from .word import render_summary_docx

    unit = Unit.objects.filter(pk=params.get("unit")).first() if params.get("unit") else None
    if params.get("unit") and unit is None:
        raise ValidationError("该单位已不存在。")
    if not may_request_summary(user, unit):
        raise PermissionDenied("只能生成本单位的工作总结。")
    if progress:
        progress(20, "正在汇总任务、问题整改、考核得分和台账数据")
    data = summary_from_params(campaign=campaign, params=params)
    return render_summary_docx(data, progress=progress)
