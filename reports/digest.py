"""Tamper evidence for published months: a SHA-256 digest chained month to month.

When a month is published (``reports.services.period_publish``) its snapshot —
per unit: ranking group, every score column, rank, change, and every line with
its points — is written out in one canonical form (``snapshot_canonical``) and
hashed together with the digest of the campaign's previous published month::

    digest = SHA-256("chuangwen-snapshot-v1\\n" + previous digest (hex, "" for the first) + "\\n" + canonical JSON)

The digest and the previous digest it was chained to are stored on the period
(``AssessmentPeriod.digest`` / ``digest_previous``; the database refuses to
change them while the month is published). ``verify_chain`` (and
``manage.py verify_published``) recomputes every published month from its rows
and names each month whose rows no longer match its digest, or whose link to
the previous month is broken. The bulletin prints ``short_digest``.

The database freeze (triggers, roles) stops the application from changing a
published month; the digest shows whether anybody — the table owner, a
superuser, a restore from a doctored dump — changed it anyway.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from campaign.models import AssessmentPeriod, Campaign, PeriodStatus
from campaign.periods import month_label

PREFIX = b"chuangwen-snapshot-v1\n"

# (column, decimal places or None)
SCORE_COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("unit_id", None), ("ranking_group", None), ("full_score", 2), ("finding_deductions", 2),
    ("penalty_deductions", 2), ("task_deductions", 2), ("bonus", 2), ("corrections", 2), ("pass_rate", 4),
    ("score", 2), ("score_rate", 4), ("rank", None), ("change", 2),
)
LINE_COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("order", None), ("kind", None), ("label", None), ("indicator_code", None), ("point_name", None),
    ("date", None), ("points", 2), ("object_type", None), ("object_id", None),
)


def _value(value: Any, places: int | None) -> Any:
    """One column in canonical form: decimals as fixed-point text, dates ISO, the rest as JSON has them."""
    if value is None:
        return None
    if places is not None:
        return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot_canonical(period: AssessmentPeriod, *, score_model: Any = None, line_model: Any = None) -> bytes:
    """The period's stored snapshot as canonical JSON bytes (units by id, lines in their order).

    ``score_model``/``line_model`` default to the live models; a migration passes its historical ones.
    """
    if score_model is None or line_model is None:
        from .models import ScoreLineSnapshot, UnitMonthScore

        score_model, line_model = UnitMonthScore, ScoreLineSnapshot
    score_names = [name for name, _ in SCORE_COLUMNS]
    line_names = [name for name, _ in LINE_COLUMNS]
    lines: dict[int, list[list[Any]]] = {}
    for row in (
        line_model.objects.filter(score__period_id=period.pk)
        .order_by("score__unit_id", "order", "pk")
        .values_list("score__unit_id", *line_names)
    ):
        lines.setdefault(row[0], []).append([_value(v, places) for v, (_, places) in zip(row[1:], LINE_COLUMNS)])
    units = []
    for row in score_model.objects.filter(period_id=period.pk).order_by("unit_id").values_list(*score_names):
        unit = {name: _value(v, places) for v, (name, places) in zip(row, SCORE_COLUMNS)}
        unit["lines"] = lines.get(unit["unit_id"], [])
        units.append(unit)
    document = {"campaign": period.campaign_id, "month": period.month.isoformat(), "units": units}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def chain_digest(previous: str, canonical: bytes) -> str:
    """SHA-256 (hex) of a snapshot chained to the previous published month's digest ("" for none)."""
    return hashlib.sha256(PREFIX + previous.encode("ascii") + b"\n" + canonical).hexdigest()


def previous_published(period: AssessmentPeriod, *, period_model: Any = AssessmentPeriod) -> Any:
    """The campaign's latest published month before ``period`` (None for the first)."""
    return (
        period_model.objects.filter(campaign_id=period.campaign_id, month__lt=period.month, status=PeriodStatus.PUBLISHED)
        .order_by("-month")
        .first()
    )


def period_seal(period: AssessmentPeriod) -> tuple[str, str]:
    """(digest, previous digest) for the period's snapshot as stored now; publishing stores both."""
    before = previous_published(period)
    previous = before.digest if before is not None else ""
    return chain_digest(previous, snapshot_canonical(period)), previous


def period_digest(period: AssessmentPeriod) -> str:
    """The stored digest (hex) of a published month, "" when the month is not published."""
    return period.digest if period.status == PeriodStatus.PUBLISHED else ""


def short_digest(digest: str) -> str:
    """The first 16 hex digits in groups of four, as the bulletin prints it ("" stays "")."""
    head = digest[:16]
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


@dataclass
class MonthCheck:
    period: AssessmentPeriod
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return f"{self.period.campaign.name} {month_label(self.period.month)}"


def verify_chain(campaign: Campaign | None = None) -> list[MonthCheck]:
    """Recompute every published month (of ``campaign``, or of all campaigns), oldest first.

    A month fails when its rows no longer give its stored digest (a score, rank or line was changed,
    added or removed), when it has no digest, or when the previous digest it was chained to is not
    the stored digest of the campaign's previous published month (that month was altered or
    replaced after this one was published).
    """
    periods = AssessmentPeriod.objects.filter(status=PeriodStatus.PUBLISHED).select_related("campaign")
    if campaign is not None:
        periods = periods.filter(campaign=campaign)
    results: list[MonthCheck] = []
    previous_by_campaign: dict[int, str] = {}
    for period in periods.order_by("campaign_id", "month"):
        check = MonthCheck(period)
        expected_previous = previous_by_campaign.get(period.campaign_id, "")
        if not period.digest:
            check.problems.append("没有记录快照摘要")
        else:
            if chain_digest(period.digest_previous, snapshot_canonical(period)) != period.digest:
                check.problems.append("快照数据（得分、排名或明细）与发布时的摘要不符，发布后被改动")
            if period.digest_previous != expected_previous:
                check.problems.append("与上一发布月份的摘要链接不符（上一月份的摘要在本月发布后被改动或替换）")
        previous_by_campaign[period.campaign_id] = period.digest
        results.append(check)
    return results


BROKEN_KEY = "published-digest-broken"


def verify_published_and_notify(*, today: Any = None) -> list[MonthCheck]:
    """The daily check (beat job ``reports.jobs.verify_published``): ``verify_chain`` for every campaign.

    Each broken month is reported once — an in-app notice to every active office admin
    (创建办管理员) and one ``period.digest_broken`` audit row — however many days it stays
    broken; a month whose digest changes (revoked and republished) and breaks again is reported
    again. Returns the broken months reported now (new), for logs and tests.
    """
    from django.urls import reverse
    from django.utils import timezone

    from campaign import audit
    from campaign.models import AuditLog, Membership, Role
    from notices import services as notices

    today = today or timezone.localdate()
    admins = sorted(set(
        Membership.objects.filter(role=Role.ADMIN, user__is_active=True).values_list("user_id", flat=True)
    ))
    reported: list[MonthCheck] = []
    for check in verify_chain():
        if check.ok:
            continue
        period = check.period
        key = f"{BROKEN_KEY}-{period.pk}-{(period.digest or 'none')[:16]}"[:100]
        if AuditLog.objects.filter(action="period.digest_broken", object_id=str(period.pk), after__key=key).exists():
            continue  # reported already (the audit row is the durable mark; notices may be deleted)
        message = f"{check.label}已发布的考核结果与发布时的摘要不符：{'；'.join(check.problems)}。请核查数据库改动，必要时撤销后重新发布。"
        notices.notify(event=notices.Event.SYSTEM, users=admins, key=key, day=today, message=message, url=reverse("reports-months"))
        audit.record(
            "period.digest_broken", obj=period, actor_name="system",
            after={"key": key, "month": period.month.isoformat(), "problems": check.problems, "notified": len(admins)},
            message=message[:300],
        )
        reported.append(check)
    return reported

