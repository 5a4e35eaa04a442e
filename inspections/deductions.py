"""Deduction rules (扣分规则) as plain functions.

The numbers live per campaign in :class:`campaign.models.DeductionRule` (one row
per source level: 市级 / 区级 / 部门). The rules:

1. **Base**: a problem deducts the rule's ``base_points`` for the inspection's
   source level (default 0.3 / 0.2 / 0.1).
2. **Repeat**: if the same indicator at the same point already has a finding
   that is not withdrawn, found within ``campaign.repeat_window_days`` days
   *before* this one (on or after ``found_on - N days`` and strictly before
   ``found_on``), the problem is a repeat and deducts ``repeat_points``
   (default 2 / 1 / 0.6). A finding without a point is never a repeat.
3. **Allowance**: an inspector may enter fewer points than suggested, never more
   than the rule gives (base or repeat).
4. **Indicator cap**: the points of one unit on one indicator in one month (all
   findings not withdrawn) may not exceed the indicator's score (分值). An
   indicator with score 0 has no score set and so no cap.
5. **Overdue**: a finding not accepted by its deadline deducts the rule's
   ``overdue_points`` once more, or its own points again when that is empty
   (see :func:`overdue_points` and ``services.overdue_penalties_apply``).

See docs/inspections.md for a worked example.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum

from campaign.models import Campaign, DeductionRule, Indicator, InspectionPoint, SourceLevel, Unit, month_start

from .models import Finding, FindingStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Suggestion:
    """What the rules suggest for one problem, with the reason, for the form to show."""

    points: Decimal
    is_repeat: bool
    source_level: str

    @property
    def explanation(self) -> str:
        level = SourceLevel(self.source_level).label
        kind = "重复问题" if self.is_repeat else "每个问题"
        return f"{level}检查{kind}扣 {self.points} 分"


def rule_for(campaign: Campaign, source_level: str) -> DeductionRule:
    """The campaign's rule for a source level; a Chinese error if the office has not set one."""
    try:
        return DeductionRule.objects.get(campaign=campaign, source_level=source_level)
    except DeductionRule.DoesNotExist:
        label = dict(SourceLevel.choices).get(source_level, source_level)
        raise ValidationError(f"本创建活动尚未设置“{label}”检查的扣分规则，请管理员先在后台设置。") from None


def is_repeat(
    *, campaign: Campaign, point: InspectionPoint | None, indicator: Indicator, found_on: dt.date, exclude_pk: int | None = None
) -> bool:
    """Whether the same indicator at the same point had a finding in the repeat window before ``found_on``."""
    if point is None:
        return False
    window_start = found_on - dt.timedelta(days=campaign.repeat_window_days)
    earlier = Finding.objects.filter(
        campaign=campaign, point=point, indicator=indicator, found_on__gte=window_start, found_on__lt=found_on
    ).exclude(status=FindingStatus.WITHDRAWN)
    if exclude_pk is not None:
        earlier = earlier.exclude(pk=exclude_pk)
    return earlier.exists()


def suggest(
    *, campaign: Campaign, source_level: str, point: InspectionPoint | None, indicator: Indicator, found_on: dt.date
) -> Suggestion:
    repeat = is_repeat(campaign=campaign, point=point, indicator=indicator, found_on=found_on)
    rule = rule_for(campaign, source_level)
    return Suggestion(points=rule.repeat_points if repeat else rule.base_points, is_repeat=repeat, source_level=source_level)


def suggest_points(
    *, campaign: Campaign, source_level: str, point: InspectionPoint | None, indicator: Indicator, found_on: dt.date
) -> Decimal:
    """The points the rules give for one problem (base, or repeat within the window)."""
    return suggest(campaign=campaign, source_level=source_level, point=point, indicator=indicator, found_on=found_on).points


def month_total(
    *, campaign: Campaign, unit: Unit, indicator: Indicator, month: dt.date, exclude_pk: int | None = None
) -> Decimal:
    """Points already deducted from ``unit`` on ``indicator`` in ``month`` (findings not withdrawn)."""
    qs = Finding.objects.filter(campaign=campaign, unit=unit, indicator=indicator, month=month_start(month)).exclude(
        status=FindingStatus.WITHDRAWN
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    # SQLite sums decimals as floats: bring the total back to two places.
    return Decimal(qs.aggregate(total=Sum("points"))["total"] or ZERO).quantize(Decimal("0.01"))


def validate_points(
    *,
    campaign: Campaign,
    source_level: str,
    point: InspectionPoint | None,
    indicator: Indicator,
    unit: Unit,
    found_on: dt.date,
    points: Decimal,
    exclude_pk: int | None = None,
) -> Suggestion:
    """Refuse ``points`` that the rules or the indicator's score do not allow.

    Returns the suggestion (so the caller knows whether it is a repeat).
    Raises a ValidationError in Chinese that names the numbers.
    """
    if points is None or points <= 0:
        raise ValidationError("扣分必须大于 0。")
    suggestion = suggest(campaign=campaign, source_level=source_level, point=point, indicator=indicator, found_on=found_on)
    if points > suggestion.points:
        raise ValidationError(
            f"扣分 {points} 分超过规则允许的上限：{suggestion.explanation}。",
            code="over_rule",
        )
    if indicator.score > 0:
        already = month_total(campaign=campaign, unit=unit, indicator=indicator, month=found_on, exclude_pk=exclude_pk)
        if already + points > indicator.score:
            raise ValidationError(
                f"{unit.display_name}{found_on.year}年{found_on.month}月在指标 {indicator.code} 上已扣 {already} 分，"
                f"再扣 {points} 分将超过该指标分值 {indicator.score} 分（最多还能扣 {max(indicator.score - already, ZERO)} 分）。",
                code="over_indicator",
            )
    return suggestion


def overdue_points(finding: Finding, rule: DeductionRule | None) -> Decimal:
    """The extra deduction for a finding not rectified in time: the rule's number, else its own points."""
    if rule is not None and rule.overdue_points is not None:
        return rule.overdue_points
    return finding.points
