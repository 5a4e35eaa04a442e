"""Open and published months: the one Python-level check every write goes through.

On PostgreSQL the database refuses changes to rows of a published month as
well (triggers installed by a ``reports`` migration); this check gives users a
clear message before that.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Max

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
            f"{month_label(month)}的考核结果已发布并冻结，不能再修改。如需更正，请在未发布的月份录入更正记录并说明原因。",
            code="month_published",
        )


def new_unit_active_from() -> dt.date | None:
    """The 启用日期 the units import gives a new unit when the file has none: the first day after the
    latest month that has ever been published (any campaign; a revoked month counts, it was published
    without the unit). So re-publishing a past month never ranks a unit set up after it; None (always
    active) while nothing has been published, as when a campaign's past months are entered at setup."""
    latest = AssessmentPeriod.objects.filter(events__action="publish").aggregate(m=Max("month"))["m"]
    if latest is None:
        return None
    return (latest.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_label(month: dt.date) -> str:
    """The one way a month is written, on pages and in file names: 2026年9月 (no leading zero)."""
    return f"{month.year}年{month.month}月"


_UNSAFE_IN_NAMES = str.maketrans({c: "-" for c in '/\\:*?"<>|'})


def file_name(stem: str, ext: str, *, month: dt.date | None = None, day: dt.date | None = None) -> str:
    """The one way generated files are named (downloads, report jobs, archives).

    The month is written by :func:`month_label`, where the stem has ``{month}``
    (``file_name("泰和市{month}考核数据", "xlsx", month=…)`` → ``泰和市2026年9月考核数据.xlsx``) or at
    its end; a day is appended as ``-YYYYMMDD``. Characters Windows refuses in names become "-".
    """
    name = stem
    if month is not None:
        label = month_label(month)
        name = name.replace("{month}", label) if "{month}" in name else f"{name}{label}"
    if day is not None:
        name = f"{name}-{day:%Y%m%d}"
    return f"{name.translate(_UNSAFE_IN_NAMES).strip() or '文件'}.{ext.lstrip('.')}"


def parse_month(text: str) -> dt.date:
    """'2026-10' → date(2026, 10, 1); raises ValueError with a Chinese message."""
    try:
        year, mon = text.strip().split("-")[:2]
        return dt.date(int(year), int(mon), 1)
    except (ValueError, TypeError):
        raise ValueError(f"月份格式应为 YYYY-MM（如 2026-10），收到：{text!r}") from None
