"""Writes of the monthly assessment: publishing a month (snapshot + freeze) and revoking it.

Publishing stores every unit's score row and its lines in ``UnitMonthScore`` /
``ScoreLineSnapshot`` *before* the period is flipped to published, in one
transaction: on PostgreSQL the freeze triggers (migration 0002) refuse rows
of a published month, so the order matters. The snapshot's SHA-256 digest,
chained to the previous published month's, is stored with the flip
(``reports/digest.py``). Revoking reopens the period and deletes the snapshot
— on PostgreSQL only through the security-definer function
``cw_revoke_publication`` (migration 0006); the revocation, its reason and the
scores that were withdrawn stay in ``PeriodEvent`` and the audit log.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from campaign import access, audit
from campaign.models import AssessmentPeriod, Campaign, PeriodEvent, PeriodStatus, month_start
from campaign.periods import month_label
from inspections.selectors import open_appeals as open_appeals_of
from inspections.services import overdue_penalties_apply

from .data import published_figures_write
from .digest import period_seal
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


def publish_order_check(*, campaign: Campaign, month: dt.date, confirm_empty: bool = False) -> bool:
    """The publish-order rule: raise a ValidationError (Chinese) when an earlier month of the
    campaign that holds data is still unpublished, or when ``month`` holds no data and the
    admin did not confirm publishing an empty month. Returns whether ``month`` holds data.

    "Holds data" is :func:`reports.selectors.months_with_data` (findings, checks, overdue
    penalties, bonuses or corrections recorded in the month)."""
    from .selectors import months_with_data

    month = month_start(month)
    with_data = months_with_data(campaign=campaign)
    published = set(
        AssessmentPeriod.objects.filter(campaign=campaign, status=PeriodStatus.PUBLISHED).values_list("month", flat=True)
    )
    waiting = sorted(m for m in with_data if m < month and m not in published)
    if waiting:
        names = "、".join(month_label(m) for m in waiting)
        raise ValidationError(
            f"{names}已有考核数据但尚未发布：请按月份顺序发布，先发布{month_label(waiting[0])}，再发布{month_label(month)}。",
            code="publish_order",
        )
    holds_data = month in with_data
    if not holds_data and not confirm_empty:
        raise ValidationError(
            f"{month_label(month)}没有任何检查、问题、逾期整改扣分、加分或更正记录，各单位将均为满分。"
            "如确需发布，请勾选“确认发布无考核数据的月份”后再发布。",
            code="empty_month",
        )
    return holds_data


def _notify_publication(*, period: AssessmentPeriod, scores: MonthScores, today: dt.date) -> int:
    """An in-app notice to every active unit official: the month is published, with their unit's
    score and rank and a link to the bulletin (once per publication and user). Returns the count."""
    from django.urls import reverse

    from campaign.models import Membership, Role
    from notices import services as notices

    label = month_label(period.month)
    url = reverse("reports-bulletin", args=[f"{period.month:%Y-%m}"])
    by_unit = {u.unit_id: u for u in scores.units}
    items: dict[int, notices.Item] = {}
    key = f"period-publish-{period.pk}-{period.published_at:%Y%m%d%H%M%S}"[:100]
    for user_id, unit_id, unit_name in (
        Membership.objects.filter(role=Role.OFFICIAL, user__is_active=True)
        .order_by("user_id", "unit__path").values_list("user_id", "unit_id", "unit__name")
    ):
        if user_id in items:
            continue
        unit = by_unit.get(unit_id)
        own = f"{unit_name}得分{unit.score}分，{unit.ranking_group}第{unit.rank}名。" if unit else ""
        items[user_id] = notices.Item(
            event=notices.Event.MONTH_PUBLISHED, user_id=user_id, unit_id=unit_id, key=key, url=url,
            message=f"{label}考核结果已发布：{own}请查看通报。"[:300],
        )
    notices.notify_many(list(items.values()), day=today)
    return len(items)


def period_publish(
    *, campaign: Campaign, month: dt.date, actor: Any, request: HttpRequest | None = None, today: dt.date | None = None,
    confirm_empty: bool = False, confirm_open_appeals: bool = False,
) -> AssessmentPeriod:
    """Publish ``month``: apply due overdue penalties, snapshot every unit's score and lines and the
    month's rectification and task figures as of ``today``, freeze, notify every unit official.

    Refused (ValidationError in Chinese) when the month is already published or
    has not ended yet, when an earlier month holding data is unpublished, or when
    the month holds no data and ``confirm_empty`` is not set (the confirmation is
    recorded in the publish event and the audit log); only admins may publish.
    """
    _require_admin(actor)
    month = month_start(month)
    today = today or timezone.localdate()
    if next_month(month) > today:
        raise ValidationError(f"{month_label(month)}尚未结束，不能发布考核结果（可先预览）。")
    if not (month_start(campaign.start_date) <= month <= campaign.end_date):
        raise ValidationError(f"{month_label(month)}不在创建活动“{campaign.name}”的起止时间内。")
    holds_data = publish_order_check(campaign=campaign, month=month, confirm_empty=confirm_empty)
    # Appeals not yet decided (inspections.selectors.open_appeals): publishing freezes their findings, so
    # the admin must confirm it explicitly; the confirmation is recorded in the event and the audit row.
    open_appeals = list(open_appeals_of(campaign, month).values_list("finding_id", flat=True))
    if open_appeals and not confirm_open_appeals:
        raise ValidationError(
            f"{month_label(month)}还有 {len(open_appeals)} 个申诉未裁定（问题 {'、'.join(f'#{pk}' for pk in open_appeals[:10])}）。"
            "请先裁定；如确需发布，请勾选“确认在申诉未裁定时发布”（发布后裁定将以更正记录计入未发布月份）。",
            code="open_appeals",
        )
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
        # Tamper evidence: the stored rows as read back, chained to the previous published month.
        period.digest, period.digest_previous = period_seal(period)
        # Flip the status last: from here on the triggers freeze the month (digest included).
        period.status = PeriodStatus.PUBLISHED
        period.published_at = timezone.now()
        period.published_by = actor
        period.save(update_fields=["status", "published_at", "published_by", "digest", "digest_previous"])
        empty_note = "" if holds_data else "确认发布无考核数据的月份"
        if open_appeals:
            appeals_note = f"确认在 {len(open_appeals)} 个申诉未裁定时发布（问题 {'、'.join(f'#{pk}' for pk in open_appeals)}）"
            empty_note = f"{empty_note}；{appeals_note}" if empty_note else appeals_note
        event = PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.PUBLISH, actor=actor, reason=empty_note)
        published_figures_write(period=period, event=event, as_of=today, unit_ids={u.unit_id for u in scores.units},
                                unit_names={u.unit_id: u.unit_name for u in scores.units})
        notified = _notify_publication(period=period, scores=scores, today=today)
        audit.record(
            "period.publish", actor=actor, obj=period, request=request,
            after={"units": count, "month": month.isoformat(), "digest": period.digest, "empty_confirmed": not holds_data, "notified": notified,
                   "open_appeals_confirmed": open_appeals},
            message=f"发布{month_label(month)}考核结果（{count}个单位）{'，' + empty_note if empty_note else ''}",
        )
    return period


def period_revoke(
    *, campaign: Campaign, month: dt.date, actor: Any, reason: str, request: HttpRequest | None = None
) -> AssessmentPeriod:
    """Revoke a published month (admin only, reason required): the month opens again and its
    snapshot is deleted; the reason is kept in ``PeriodEvent`` and the audit log (with the old scores
    and digest). A month is revoked only while no later month of the campaign is published (the
    later month's change column and digest chain rest on it).

    On PostgreSQL the revocation itself is ``cw_revoke_publication()`` (migration reports 0006): a
    SECURITY DEFINER function that checks the actor again, records the event, reopens the period
    and deletes the snapshot — the only way the database lets a published month reopen.
    """
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("撤销发布必须填写原因。")
    month = month_start(month)
    with transaction.atomic():
        period = AssessmentPeriod.objects.select_for_update().filter(campaign=campaign, month=month).first()
        if period is None or period.status != PeriodStatus.PUBLISHED:
            raise ValidationError(f"{month_label(month)}的考核结果尚未发布，无需撤销。")
        later = (
            AssessmentPeriod.objects.filter(campaign=campaign, month__gt=month, status=PeriodStatus.PUBLISHED)
            .order_by("-month").first()
        )
        if later is not None:
            raise ValidationError(
                f"{month_label(later.month)}的考核结果已发布，请先撤销{month_label(later.month)}的发布，再撤销{month_label(month)}。"
            )
        before = {
            "published_at": period.published_at.isoformat() if period.published_at else None,
            "digest": period.digest,
            "scores": {str(uid): str(score) for uid, score in UnitMonthScore.objects.filter(period=period).values_list("unit_id", "score")},
        }
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT cw_revoke_publication(%s, %s, %s)", [period.pk, actor.pk, reason])
            period.refresh_from_db()
        else:
            PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.REVOKE, actor=actor, reason=reason)
            period.status = PeriodStatus.OPEN
            period.digest = period.digest_previous = ""
            period.save(update_fields=["status", "digest", "digest_previous"])
            ScoreLineSnapshot.objects.filter(score__period=period).delete()
            UnitMonthScore.objects.filter(period=period).delete()
        audit.record(
            "period.revoke", actor=actor, obj=period, request=request, before=before, after={"status": "open"},
            message=f"撤销{month_label(month)}考核结果发布：{reason}"[:300],
        )
    return period
