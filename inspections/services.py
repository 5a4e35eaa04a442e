"""Writes for the inspections app: every rule is enforced here, once.

Services take keyword-only arguments, check the acting user's permission,
refuse writes into a published month (``campaign.periods.ensure_month_open``;
the database refuses them too on PostgreSQL), and record an audit row.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from campaign import access, audit
from campaign.models import (
    Campaign,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    Notification,
    PointType,
    Role,
    SpecialAction,
    Unit,
    month_start,
)
from campaign.periods import ensure_month_open, is_month_published, month_label
from campaign.uploads import store_upload
from campaign.workdays import WorkCalendar

from . import deductions
from .models import (
    Accountability,
    Bonus,
    BonusStatus,
    Check,
    CheckResult,
    Correction,
    Finding,
    FindingPhoto,
    FindingStatus,
    Inspection,
    OrderCounter,
    OverduePenalty,
    Rectification,
    RectificationPhoto,
    RectificationStatus,
    SupervisionOrder,
)

def _require(user: Any, perm: str, obj: Any = None) -> None:
    if not access.can(user, perm, obj):
        raise PermissionDenied("您没有执行此操作的权限。")


def _notify_unit(unit: Unit, *, key: str, message: str, url: str) -> None:
    """An in-app notice to the unit's officials (once per key and day)."""
    today = timezone.localdate()
    users = Membership.objects.filter(unit=unit, role=Role.OFFICIAL).values_list("user_id", flat=True)
    Notification.objects.bulk_create(
        [Notification(user_id=u, unit=unit, key=key, day=today, message=message[:300], url=url) for u in set(users)],
        ignore_conflicts=True,
    )


def _next_month(month: dt.date) -> dt.date:
    return (month_start(month) + dt.timedelta(days=32)).replace(day=1)


# --- inspections -----------------------------------------------------------


def inspection_create(
    *,
    creator: Any,
    campaign: Campaign,
    kind: str,
    source_level: str,
    date: dt.date,
    title: str,
    scope: str = "",
    special_action: SpecialAction | None = None,
    inspectors: Iterable[Any] = (),
    points: Iterable[InspectionPoint] = (),
    request: HttpRequest | None = None,
) -> Inspection:
    """Record an inspection event; the creator is always one of its inspectors."""
    _require(creator, "inspections.record")
    if special_action is not None and special_action.campaign_id != campaign.pk:
        raise ValidationError("专项行动不属于当前创建活动。")
    with transaction.atomic():
        inspection = Inspection.objects.create(
            campaign=campaign, kind=kind, source_level=source_level, date=date, title=title, scope=scope,
            special_action=special_action, created_by=creator,
        )
        inspection.inspectors.set({creator, *inspectors})
        if points:
            inspection.points.set(points)
        audit.record("inspection.create", actor=creator, obj=inspection, after=audit.snapshot(inspection), request=request)
    return inspection


# --- findings ----------------------------------------------------------------


def finding_create(
    *,
    inspector: Any,
    inspection: Inspection,
    indicator: Indicator,
    description: str,
    unit: Unit | None = None,
    point: InspectionPoint | None = None,
    points: Decimal | None = None,
    photos: Sequence[Any] = (),
    client_token: uuid.UUID | str | None = None,
    request: HttpRequest | None = None,
) -> Finding:
    """Log a problem found in ``inspection`` and charge it to a unit.

    - ``unit`` defaults to the point's 包保 unit; one of the two is required.
    - ``points`` defaults to the rules' suggestion and is refused past the
      rule's allowance or the indicator's monthly cap (deductions.py).
    - It counts in the month of the inspection date, which must be open.
    - Its rectification deadline is the inspection date plus the campaign's
      ``rectify_working_days`` working days.
    - A repeated ``client_token`` (a form posted twice) returns the first finding.
    """
    _require(inspector, "inspections.record")
    if client_token:
        client_token = uuid.UUID(str(client_token))
        existing = Finding.objects.filter(client_token=client_token).first()
        if existing is not None:
            return existing
    campaign = inspection.campaign
    if indicator.campaign_id != campaign.pk:
        raise ValidationError("测评指标不属于本次检查的创建活动。")
    if unit is None:
        if point is None:
            raise ValidationError("请选择点位或责任单位。")
        unit = point.unit
    if not description.strip():
        raise ValidationError("请填写问题描述。")
    found_on = inspection.date
    month = month_start(found_on)
    ensure_month_open(campaign, month)
    if points is None:
        points = deductions.suggest_points(
            campaign=campaign, source_level=inspection.source_level, point=point, indicator=indicator, found_on=found_on
        )
    points = Decimal(points).quantize(Decimal("0.01"))
    suggestion = deductions.validate_points(
        campaign=campaign, source_level=inspection.source_level, point=point, indicator=indicator, unit=unit,
        found_on=found_on, points=points,
    )
    deadline = WorkCalendar.load().add_working_days(found_on, campaign.rectify_working_days)
    try:
        with transaction.atomic():
            finding = Finding.objects.create(
                campaign=campaign, inspection=inspection, unit=unit, point=point, indicator=indicator,
                description=description.strip(), points=points, found_on=found_on, month=month,
                is_repeat=suggestion.is_repeat, rectify_deadline=deadline, created_by=inspector,
                client_token=client_token,
            )
            for upload in photos:
                store_upload(FindingPhoto(finding=finding), upload, folder="findings", user=inspector, images_only=True)
            if point is not None:
                inspection.points.add(point)
            audit.record("finding.create", actor=inspector, obj=finding, after=audit.snapshot(finding), request=request)
            _notify_unit(
                unit, key=f"finding-{finding.pk}", url=finding.get_absolute_url(),
                message=f"新问题：{indicator.code} {description.strip()[:40]}，扣 {points} 分，请于 {deadline:%Y-%m-%d} 前整改。",
            )
    except IntegrityError:
        # Two posts of the same form raced past the lookup above: the first one won.
        if client_token:
            existing = Finding.objects.filter(client_token=client_token).first()
            if existing is not None:
                return existing
        raise
    return finding


def finding_add_photos(*, actor: Any, finding: Finding, photos: Sequence[Any], request: HttpRequest | None = None) -> list[FindingPhoto]:
    """Attach more photos to a finding (a weak signal may have dropped them the first time)."""
    _require(actor, "inspections.record")
    with transaction.atomic():
        stored = [store_upload(FindingPhoto(finding=finding), p, folder="findings", user=actor, images_only=True) for p in photos]
        audit.record("finding.photos", actor=actor, obj=finding, message=f"补充照片 {len(stored)} 张", request=request)
    return stored


def finding_withdraw(*, actor: Any, finding: Finding, reason: str, request: HttpRequest | None = None) -> Finding:
    """Withdraw a finding (open month only); it stays, with the reason, and deducts nothing.

    Its overdue penalty, if any and in an open month, is cancelled (audited).
    """
    _require(actor, "inspections.withdraw_finding")
    if not reason.strip():
        raise ValidationError("撤销问题必须填写原因。")
    if finding.status == FindingStatus.WITHDRAWN:
        raise ValidationError("该问题已撤销。")
    ensure_month_open(finding.campaign_id, finding.month)
    before = audit.snapshot(finding)
    with transaction.atomic():
        finding.status = FindingStatus.WITHDRAWN
        finding.withdrawn_reason = reason.strip()
        finding.withdrawn_by = actor
        finding.withdrawn_at = timezone.now()
        finding.save(update_fields=["status", "withdrawn_reason", "withdrawn_by", "withdrawn_at"])
        audit.record(
            "finding.withdraw", actor=actor, obj=finding, before=before, after=audit.snapshot(finding),
            message=reason.strip(), request=request,
        )
        # A withdrawn finding was never a problem, so its overdue penalty goes too while its month is
        # open; in a published month it stays as published (an admin corrects it with a Correction).
        penalty = OverduePenalty.objects.filter(finding=finding).first()
        if penalty is not None and not is_month_published(penalty.campaign_id, penalty.month):
            audit.record(
                "finding.overdue_penalty_cancel", actor=actor, obj=penalty, before=audit.snapshot(penalty),
                message=f"问题撤销，逾期扣分随之取消：{reason.strip()}", request=request,
            )
            penalty.delete()
    return finding


# --- checklist rounds ---------------------------------------------------------


@dataclass
class ChecklistItem:
    """One standard marked at a point; a 不合格 item carries what the finding needs."""

    indicator: Indicator
    result: str
    description: str = ""
    points: Decimal | None = None
    photos: Sequence[Any] = field(default_factory=tuple)


def checklist_record(
    *,
    inspector: Any,
    inspection: Inspection,
    point: InspectionPoint,
    items: Sequence[ChecklistItem],
    request: HttpRequest | None = None,
) -> list[Check]:
    """Record a checklist round at a point: one Check per standard, a Finding per 不合格.

    All or nothing: if one finding is refused (points over the cap, a bad
    photo), no check of the round is saved. Items already checked in this
    inspection at this point are skipped, so posting the round twice is harmless.
    """
    _require(inspector, "inspections.record")
    month = month_start(inspection.date)
    ensure_month_open(inspection.campaign, month)
    done = set(Check.objects.filter(inspection=inspection, point=point).values_list("indicator_id", flat=True))
    created: list[Check] = []
    with transaction.atomic():
        for item in items:
            if item.indicator.pk in done:
                continue
            if item.result not in CheckResult.values:
                raise ValidationError(f"指标 {item.indicator.code} 的检查结果无效。")
            finding = None
            if item.result == CheckResult.FAIL:
                try:
                    finding = finding_create(
                        inspector=inspector, inspection=inspection, point=point, indicator=item.indicator,
                        description=item.description or f"{item.indicator.code} {item.indicator.name}：不合格",
                        points=item.points, photos=item.photos, request=request,
                    )
                except ValidationError as exc:
                    raise ValidationError(f"指标 {item.indicator.code}：{'；'.join(exc.messages)}") from None
            created.append(
                Check.objects.create(
                    inspection=inspection, point=point, indicator=item.indicator, unit=point.unit, result=item.result,
                    month=month, finding=finding, checked_by=inspector,
                )
            )
        inspection.points.add(point)
        audit.record(
            "checklist.record", actor=inspector, obj=inspection, unit=point.unit, request=request,
            message=f"{point.name}：检查 {len(created)} 项，不合格 {sum(1 for c in created if c.finding_id)} 项",
        )
    return created


def point_type_matrix_update(
    *, actor: Any, campaign: Campaign, pairs: set[tuple[int, int]], request: HttpRequest | None = None
) -> int:
    """Set which leaf standards apply to which point types: ``pairs`` of (indicator id, point type id).

    Returns the number of changed cells.
    """
    _require(actor, "inspections.manage")
    Through = Indicator.point_types.through
    leaves = Indicator.objects.filter(campaign=campaign, level=3)
    leaf_ids = set(leaves.values_list("pk", flat=True))
    type_ids = set(PointType.objects.values_list("pk", flat=True))
    wanted = {(i, t) for i, t in pairs if i in leaf_ids and t in type_ids}
    current = set(Through.objects.filter(indicator_id__in=leaf_ids).values_list("indicator_id", "pointtype_id"))
    added, removed = wanted - current, current - wanted
    with transaction.atomic():
        for i, t in removed:
            Through.objects.filter(indicator_id=i, pointtype_id=t).delete()
        Through.objects.bulk_create([Through(indicator_id=i, pointtype_id=t) for i, t in added])
        if added or removed:
            audit.record(
                "checklist.matrix", actor=actor, request=request,
                before={"removed": sorted(removed)}, after={"added": sorted(added)},
                message=f"{campaign.name}：点位类型×测评标准 新增 {len(added)} 项，取消 {len(removed)} 项",
            )
    return len(added) + len(removed)


# --- supervision orders ----------------------------------------------------------


def order_issue(
    *,
    issuer: Any,
    unit: Unit,
    findings: Sequence[Finding],
    deadline_working_days: int | None = None,
    deadline: dt.date | None = None,
    requirements: str = "",
    issued_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> SupervisionOrder:
    """Issue a 督办单 to ``unit`` for its findings, numbered per year without gaps.

    The number is taken from the year's :class:`OrderCounter` row, locked with
    SELECT … FOR UPDATE inside the same transaction that creates the order, so
    concurrent issues wait for each other and a rolled-back issue frees its
    number. The deadline is a date or a number of working days from today.
    """
    _require(issuer, "inspections.issue_order")
    findings = list(findings)
    if not findings:
        raise ValidationError("督办单至少要包含一个问题。")
    campaigns = {f.campaign_id for f in findings}
    if len(campaigns) != 1:
        raise ValidationError("督办单中的问题必须属于同一个创建活动。")
    others = [f for f in findings if f.unit_id != unit.pk]
    if others:
        raise ValidationError(f"问题“{others[0].description[:20]}”不属于{unit.name}，不能列入该单位的督办单。")
    if any(f.status == FindingStatus.WITHDRAWN for f in findings):
        raise ValidationError("已撤销的问题不能督办。")
    now = timezone.now()
    issued_on = issued_on or timezone.localdate(now)
    if deadline is None:
        if deadline_working_days is None:
            raise ValidationError("请填写整改时限（日期或工作日数）。")
        if deadline_working_days < 1:
            raise ValidationError("整改时限至少为 1 个工作日。")
        deadline = WorkCalendar.load().add_working_days(issued_on, deadline_working_days)
    if deadline < issued_on:
        raise ValidationError(f"整改时限 {deadline} 早于签发日期 {issued_on}。")
    year = issued_on.year
    # Create the year's row outside the locking transaction; get_or_create handles the insert race.
    OrderCounter.objects.get_or_create(year=year)
    with transaction.atomic():
        counter = OrderCounter.objects.select_for_update().get(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        order = SupervisionOrder.objects.create(
            campaign_id=findings[0].campaign_id, year=year, number=counter.last_number, unit=unit, deadline=deadline,
            requirements=requirements.strip(), issued_by=issuer, issued_at=now,
        )
        order.findings.set(findings)
        _notify_unit(
            unit, key=f"order-{order.pk}", url=order.get_absolute_url(),
            message=f"{order.label}：{len(findings)} 个问题需于 {deadline:%Y-%m-%d} 前整改到位。",
        )
        audit.record(
            "order.issue", actor=issuer, obj=order, request=request,
            after={**audit.snapshot(order), "findings": [f.pk for f in findings]},
        )
    return order


# --- rectification ----------------------------------------------------------------


def rectification_submit(
    *,
    official: Any,
    finding: Finding,
    description: str,
    before_photos: Sequence[Any] = (),
    after_photos: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Rectification:
    """The unit answers a finding: what was done, with before/after photos. A new round each time."""
    _require(official, "inspections.submit_rectification", finding)
    if finding.status not in (FindingStatus.OPEN, FindingStatus.RETURNED):
        raise ValidationError(f"该问题当前状态为“{finding.get_status_display()}”，不能提交整改。")
    if not description.strip():
        raise ValidationError("请填写整改情况。")
    if not after_photos:
        raise ValidationError("请上传至少一张整改后照片。")
    with transaction.atomic():
        # Lock the finding so two submissions cannot take the same round number.
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status not in (FindingStatus.OPEN, FindingStatus.RETURNED):
            raise ValidationError(f"该问题当前状态为“{locked.get_status_display()}”，不能提交整改。")
        round_no = locked.rectifications.count() + 1
        rect = Rectification.objects.create(
            finding=locked, round=round_no, description=description.strip(), submitted_by=official
        )
        for kind, uploads in ((RectificationPhoto.Kind.BEFORE, before_photos), (RectificationPhoto.Kind.AFTER, after_photos)):
            for upload in uploads:
                store_upload(
                    RectificationPhoto(rectification=rect, kind=kind), upload, folder="rectifications",
                    user=official, images_only=True,
                )
        locked.status = FindingStatus.SUBMITTED
        locked.save(update_fields=["status"])
        audit.record(
            "rectification.submit", actor=official, obj=rect, unit=locked.unit, request=request,
            message=f"第{round_no}轮整改", after=audit.snapshot(rect),
        )
    finding.status = locked.status
    return rect


def rectification_review(
    *, reviewer: Any, rectification: Rectification, accept: bool, comment: str = "", request: HttpRequest | None = None
) -> Rectification:
    """The inspector accepts a round (finding 销号) or returns it with a reason (the unit answers again)."""
    _require(reviewer, "inspections.review_rectification")
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError("退回整改必须填写原因。")
    with transaction.atomic():
        rect = Rectification.objects.select_for_update().select_related("finding").get(pk=rectification.pk)
        if rect.status != RectificationStatus.PENDING:
            raise ValidationError("该轮整改已验收，不能重复操作。")
        finding = rect.finding
        before = {"finding_status": finding.status, "rectification_status": rect.status}
        now = timezone.now()
        rect.status = RectificationStatus.ACCEPTED if accept else RectificationStatus.RETURNED
        rect.reviewed_by, rect.reviewed_at, rect.review_comment = reviewer, now, comment
        rect.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
        finding.status = FindingStatus.ACCEPTED if accept else FindingStatus.RETURNED
        finding.accepted_at = now if accept else None
        finding.save(update_fields=["status", "accepted_at"])
        if not accept:
            _notify_unit(
                finding.unit, key=f"rectification-{rect.pk}-returned", url=finding.get_absolute_url(),
                message=f"问题 #{finding.pk} 第{rect.round}轮整改被退回：{comment[:60]}",
            )
        audit.record(
            "rectification.accept" if accept else "rectification.return", actor=reviewer, obj=rect, unit=finding.unit,
            before=before, after={"finding_status": finding.status, "rectification_status": rect.status},
            message=comment, request=request,
        )
    rectification.refresh_from_db()
    return rect


# --- overdue penalties -----------------------------------------------------------


def penalty_month(campaign: Campaign | int, deadline: dt.date) -> dt.date:
    """The month an overdue penalty counts in: the month the deadline passed (deadline + 1 day),
    or the first open month after it when that month is already published."""
    month = month_start(deadline + dt.timedelta(days=1))
    # A campaign publishes at most one month at a time, so this loop is short.
    for _ in range(120):
        if not is_month_published(campaign, month):
            return month
        month = _next_month(month)
    raise ValidationError("找不到可计入逾期扣分的未发布月份。")


def overdue_penalties_apply(*, today: dt.date) -> list[OverduePenalty]:
    """Deduct once more for every finding not accepted by its deadline (run daily, and before scoring).

    A finding is overdue when it is not withdrawn, its deadline is before
    ``today``, and it was not accepted on or before the deadline. Each gets one
    :class:`OverduePenalty` (OneToOne: "once" is a database fact), of the rule's
    ``overdue_points`` or the finding's own points.
    """
    # Findings accepted on time drop out in SQL (``__date`` is the local date, as in the check below),
    # so the daily scan stays small as the campaign goes on.
    candidates = (
        Finding.objects.filter(rectify_deadline__lt=today, overdue_penalty__isnull=True)
        .filter(Q(accepted_at__isnull=True) | Q(accepted_at__date__gt=F("rectify_deadline")))
        .exclude(status=FindingStatus.WITHDRAWN)
        .select_related("inspection")
        .order_by("pk")
    )
    rules = {(r.campaign_id, r.source_level): r for r in DeductionRule.objects.all()}
    created: list[OverduePenalty] = []
    for finding in list(candidates):
        if finding.accepted_at is not None and timezone.localdate(finding.accepted_at) <= finding.rectify_deadline:
            continue
        rule = rules.get((finding.campaign_id, finding.inspection.source_level))
        points = deductions.overdue_points(finding, rule)
        month = penalty_month(finding.campaign_id, finding.rectify_deadline)
        try:
            with transaction.atomic():
                penalty = OverduePenalty.objects.create(
                    finding=finding, unit_id=finding.unit_id, campaign_id=finding.campaign_id, month=month, points=points
                )
                audit.record(
                    "finding.overdue_penalty", obj=penalty, unit=finding.unit, actor_name="system",
                    message=f"问题 #{finding.pk} 逾期未整改，{month_label(month)}扣 {points} 分",
                )
        except IntegrityError:
            # Another run (a second worker) took this finding first; once is enough.
            continue
        created.append(penalty)
    return created


# --- corrections, bonuses, accountability ---------------------------------------------


def correction_create(
    *,
    actor: Any,
    campaign: Campaign,
    unit: Unit,
    month: dt.date,
    points: Decimal,
    reason: str,
    finding: Finding | None = None,
    request: HttpRequest | None = None,
) -> Correction:
    """A reversing entry in an open month for a mistake in a published one (points signed)."""
    _require(actor, "inspections.manage")
    month = month_start(month)
    ensure_month_open(campaign, month)
    points = Decimal(points).quantize(Decimal("0.01"))
    if points == 0:
        raise ValidationError("更正分值不能为 0。")
    if not reason.strip():
        raise ValidationError("更正必须填写原因。")
    if finding is not None and (finding.unit_id != unit.pk or finding.campaign_id != campaign.pk):
        raise ValidationError("相关问题不属于该单位或该创建活动。")
    with transaction.atomic():
        correction = Correction.objects.create(
            campaign=campaign, unit=unit, month=month, points=points, reason=reason.strip(), finding=finding, created_by=actor
        )
        audit.record("correction.create", actor=actor, obj=correction, after=audit.snapshot(correction), request=request)
    return correction


def bonus_create(
    *, actor: Any, campaign: Campaign, unit: Unit, month: dt.date, points: Decimal, reason: str, request: HttpRequest | None = None
) -> Bonus:
    """Propose bonus points (加分) for a unit; they count only once an admin approves them."""
    _require(actor, "inspections.record")
    month = month_start(month)
    ensure_month_open(campaign, month)
    points = Decimal(points).quantize(Decimal("0.01"))
    if points <= 0:
        raise ValidationError("加分必须大于 0。")
    if points > campaign.bonus_cap:
        raise ValidationError(f"加分 {points} 分超过每月加分上限 {campaign.bonus_cap} 分。")
    if not reason.strip():
        raise ValidationError("请填写加分事由。")
    with transaction.atomic():
        bonus = Bonus.objects.create(campaign=campaign, unit=unit, month=month, points=points, reason=reason.strip(), created_by=actor)
        audit.record("bonus.create", actor=actor, obj=bonus, after=audit.snapshot(bonus), request=request)
    return bonus


def bonus_approve(*, approver: Any, bonus: Bonus, approve: bool = True, request: HttpRequest | None = None) -> Bonus:
    """An admin approves (or rejects) a pending bonus, in its open month."""
    _require(approver, "inspections.manage")
    if bonus.status != BonusStatus.PENDING:
        raise ValidationError(f"该加分已{bonus.get_status_display()}，不能重复审批。")
    ensure_month_open(bonus.campaign_id, bonus.month)
    before = audit.snapshot(bonus)
    with transaction.atomic():
        bonus.status = BonusStatus.APPROVED if approve else BonusStatus.REJECTED
        bonus.approved_by, bonus.approved_at = approver, timezone.now()
        bonus.save(update_fields=["status", "approved_by", "approved_at"])
        audit.record(
            "bonus.approve" if approve else "bonus.reject", actor=approver, obj=bonus, before=before,
            after=audit.snapshot(bonus), request=request,
        )
    return bonus


def accountability_create(
    *,
    actor: Any,
    campaign: Campaign,
    unit: Unit,
    kind: str,
    date: dt.date,
    reason: str,
    person_name: str = "",
    findings: Iterable[Finding] = (),
    request: HttpRequest | None = None,
) -> Accountability:
    """Record a 问责 against a unit (or a person in it), linked to the findings behind it."""
    _require(actor, "inspections.manage")
    if not reason.strip():
        raise ValidationError("请填写问责事由。")
    findings = list(findings)
    if any(f.unit_id != unit.pk for f in findings):
        raise ValidationError("关联的问题必须属于被问责单位。")
    with transaction.atomic():
        record = Accountability.objects.create(
            campaign=campaign, unit=unit, kind=kind, date=date, reason=reason.strip(), person_name=person_name.strip(),
            created_by=actor,
        )
        record.findings.set(findings)
        audit.record(
            "accountability.create", actor=actor, obj=record, request=request,
            after={**audit.snapshot(record), "findings": [f.pk for f in findings]},
        )
    return record
