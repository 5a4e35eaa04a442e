"""Open and published months: the one Python-level check every write goes through.

On PostgreSQL the database refuses changes to rows of a published month as
well (triggers installed by a ``reports`` migration); this check gives users a
clear message before that.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from .models import AssessmentPeriod, Campaign, PeriodStatus, month_start


def is_month_published(campaign: Campaign | int, month: dt.date) -> bool:
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    return AssessmentPeriod.objects.filter(
        campaign_id=campaign_id, month=month_start(month), status=PeriodStatus.PUBLISHED
    ).exists()


def ensure_month_open(campaign: Campaign | int, month: dt.date) -> None:
    """Raise a ValidationError in Chinese if ``month`` is published (frozen)."""
    if is_month_published(campaign, month):
        raise ValidationError(
            f"{month:%Y年%m月}的考核结果已发布并冻结，不能再修改。如需更正，请在未发布的月份录入更正记录并说明原因。",
            code="month_published",
        )


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def parse_month(text: str) -> dt.date:
    """'2026-10' → date(2026, 10, 1); raises ValueError with a Chinese message."""
    try:
        year, mon = text.strip().split("-")[:2]
        return dt.date(int(year), int(mon), 1)
    except (ValueError, TypeError):
        raise ValueError(f"月份格式应为 YYYY-MM（如 2026-10），收到：{text!r}") from None
