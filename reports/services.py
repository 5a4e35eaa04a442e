"""Writes of the monthly assessment: publishing a month (snapshot + freeze) and revoking it.

Publishing stores every unit's score row and its lines in ``UnitMonthScore`` /
``ScoreLineSnapshot`` *before* the period is flipped to published, in one
transaction: on PostgreSQL the freeze triggers (migration 0002) refuse rows
of a published month, so the order matters. Revoking flips the period back
to open first and then deletes the snapshot (the revocation, its reason and
the scores that were withdrawn stay in ``PeriodEvent`` and the audit log).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from campaign import access, audit
from campaign.models import AssessmentPeriod, Campaign, PeriodEvent, PeriodStatus, month_start
from campaign.periods import month_label
from inspections.services import overdue_penalties_apply

from .models import ScoreLineSnapshot, UnitMonthScore
from .scoring import MonthScores, next_month, score_month


def _require_admin(actor: Any) -> None:
    if not access.can(actor, "reports.publish"):
        raise PermissionDenied("只有创建办管理员可以发布或撤销月度考核结果。")


def snapshot_write(*, period: AssessmentPeriod, scores: MonthScores) -> int:
    """Store ``scores`` as the period's snapshot (bulk inserts); returns the number of unit rows."""
    rows = [
        UnitMonthScore(
            period=period, unit_id=u.unit_id, ranking_group=u.ranking_group, full_score=u.full_score,
            finding_deductions=u.finding_deductions, penalty_deductions=u.penalty_deductions,
            task_deductions=u.task_deductions, bonus=u.bonus, corrections=u.corrections, pass_rate=u.pass_rate,
            score=u.score, score_rate=u.score_rate, rank=u.rank, change=u.change,
        )
        for u in scores.units
    ]
    created = UnitMonthScore.objects.bulk_create(rows, batch_size=500)
    if any(row.pk is None for row in created):  # backends without RETURNING: read the ids back
        ids = dict(UnitMonthScore.objects.filter(period=period).values_list("unit_id", "pk"))
        for row in created:
            row.pk = ids[row.unit_id]
    lines = [
        ScoreLineSnapshot(
            score_id=row.pk, kind=line.kind, label=line.label[:300], indicator_code=line.indicator_code,
            point_name=line.point_name[:150], date=line.date, points=line.points, object_type=line.object_type,
            object_id=line.object_id, order=i,
        )
        for row, unit in zip(created, scores.units)
        for i, line in enumerate(unit.lines)
    ]
    ScoreLineSnapshot.objects.bulk_create(lines, batch_size=2000)
    return len(rows)


def period_publish(
    *, campaign: Campaign, month: dt.date, actor: Any, request: HttpRequest | None = None, today: dt.date | None = None
) -> AssessmentPeriod:
    """Publish ``month``: apply due overdue penalties, snapshot every unit's score and lines, freeze.

    Refused (ValidationError in Chinese) when the month is already published or
    has not ended yet; only admins may publish.
    """
    _require_admin(actor)
    month = month_start(month)
    today = today or timezone.localdate()
    if next_month(month) > today:
        raise ValidationError(f"{month_label(month)}尚未结束，不能发布考核结果（可先预览）。")
    if not (month_start(campaign.start_date) <= month <= campaign.end_date):
        raise ValidationError(f"{month_label(month)}不在创建活动“{campaign.name}”的起止时间内。")
    # Penalties due by today go into their (open) months before this month is frozen.
    overdue_penalties_apply(today=today)
    with transaction.atomic():
        period, _ = AssessmentPeriod.objects.get_or_create(campaign=campaign, month=month)
        period = AssessmentPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status == PeriodStatus.PUBLISHED:
            raise ValidationError(f"{month_label(month)}的考核结果已于{timezone.localtime(period.published_at):%Y-%m-%d %H:%M}发布，不能重复发布。如需修改，请先撤销发布。")
        # Leftovers of an interrupted run would break the one-row-per-unit constraint.
        UnitMonthScore.objects.filter(period=period).delete()
        scores = score_month(campaign=campaign, month=month, with_lines=True, today=today)
        count = snapshot_write(period=period, scores=scores)
        # Flip the status last: from here on the triggers freeze the month.
        period.status = PeriodStatus.PUBLISHED
        period.published_at = timezone.now()
        period.published_by = actor
        period.save(update_fields=["status", "published_at", "published_by"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.PUBLISH, actor=actor)
        audit.record(
            "period.publish", actor=actor, obj=period, request=request,
            after={"units": count, "month": month.isoformat()},
            message=f"发布{month_label(month)}考核结果（{count}个单位）",
        )
    return period


def period_revoke(
    *, campaign: Campaign, month: dt.date, actor: Any, reason: str, request: HttpRequest | None = None
) -> AssessmentPeriod:
    """Revoke a published month (admin only, reason required): the month opens again and its
    snapshot is deleted; the reason is kept in ``PeriodEvent`` and the audit log (with the old scores)."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("撤销发布必须填写原因。")
    month = month_start(month)
    with transaction.atomic():
        period = AssessmentPeriod.objects.select_for_update().filter(campaign=campaign, month=month).first()
        if period is None or period.status != PeriodStatus.PUBLISHED:
            raise ValidationError(f"{month_label(month)}的考核结果尚未发布，无需撤销。")
        before = {
            "published_at": period.published_at.isoformat() if period.published_at else None,
            "scores": {str(uid): str(score) for uid, score in UnitMonthScore.objects.filter(period=period).values_list("unit_id", "score")},
        }
        # The event first: the PostgreSQL trigger lets a published period reopen only after a recorded revocation.
        PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.REVOKE, actor=actor, reason=reason)
        period.status = PeriodStatus.OPEN
        period.save(update_fields=["status"])
        ScoreLineSnapshot.objects.filter(score__period=period).delete()
        UnitMonthScore.objects.filter(period=period).delete()
        audit.record(
            "period.revoke", actor=actor, obj=period, request=request, before=before, after={"status": "open"},
            message=f"撤销{month_label(month)}考核结果发布：{reason}"[:300],
        )
    return period
