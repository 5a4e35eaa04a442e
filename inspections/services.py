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
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from campaign import access, audit
from campaign.models import (
    Campaign,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    PointType,
    Role,
    SpecialAction,
    Unit,
    month_start,
)
from campaign.periods import ensure_month_open, is_month_published, month_label
from campaign.uploads import atomic_with_files, store_upload
from campaign.workdays import WorkCalendar
from notices import services as notices

from . import deductions, lifecycle
from .models import (
    Accountability,
    Appeal,
    AppealEvidence,
    AppealStatus,
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


def _notify_unit(unit: Unit, *, event: str, key: str, message: str, url: str) -> None:
    """A notice to the unit's officials (once per key and day), through ``notices.services.notify``."""
    _notify_roles(unit, event=event, roles=[Role.OFFICIAL], key=key, message=message, url=url, official_unit=unit)


def _notify_roles(
    unit: Unit, *, event: str, roles: Sequence[str], key: str, message: str, url: str, official_unit: Unit | None = None
) -> int:
    """A notice to everyone holding one of ``roles`` (officials: only of ``official_unit``)."""
    q = Q(role__in=[r for r in roles if r != Role.OFFICIAL])
    if Role.OFFICIAL in roles and official_unit is not None:
        q |= Q(role=Role.OFFICIAL, unit=official_unit)
    users = set(Membership.objects.filter(q, user__is_active=True).values_list("user_id", flat=True))
    notices.notify(event=event, users=users, unit=unit, key=key, message=message, url=url)
    return len(users)


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
    deducts: bool = True,
) -> Finding:
    """Log a problem found in ``inspection`` and charge it to a unit.

    - ``unit`` defaults to the point's 包保 unit; one of the two is required.
    - ``points`` defaults to the rules' suggestion and is refused past the
      rule's allowance or the indicator's monthly cap (deductions.py).
    - It counts in the month of the inspection date, which must be open.
    - Its rectification deadline is the inspection date plus the campaign's
      ``rectify_working_days`` working days.
    - A repeated ``client_token`` (a form posted twice) returns the first finding.
    - ``deducts=False`` makes a finding worth 0 points (a resident's report under a campaign rule
      without deduction, snaps): the unit rectifies it as any other; only an overdue rule with its
      own number (``DeductionRule.overdue_points``) can still deduct when it is not rectified in time.
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
    if not deducts:
        points = Decimal("0.00")
        repeat = deductions.is_repeat(campaign=campaign, point=point, indicator=indicator, found_on=found_on)
    else:
        if points is None:
            points = deductions.suggest_points(
                campaign=campaign, source_level=inspection.source_level, point=point, indicator=indicator, found_on=found_on
            )
        points = Decimal(points).quantize(Decimal("0.01"))
        repeat = deductions.validate_points(
            campaign=campaign, source_level=inspection.source_level, point=point, indicator=indicator, unit=unit,
            found_on=found_on, points=points,
        ).is_repeat
    deadline = WorkCalendar.load().add_working_days(found_on, campaign.rectify_working_days)
    try:
        with atomic_with_files():  # a refused photo rolls back the rows and the photos already written
            finding = Finding.objects.create(
                campaign=campaign, inspection=inspection, unit=unit, point=point, indicator=indicator,
                description=description.strip(), points=points, found_on=found_on, month=month,
                is_repeat=repeat, rectify_deadline=deadline, created_by=inspector,
                client_token=client_token,
            )
            for upload in photos:
                store_upload(FindingPhoto(finding=finding), upload, folder="findings", user=inspector, images_only=True)
            if point is not None:
                inspection.points.add(point)
            audit.record("finding.create", actor=inspector, obj=finding, after=audit.snapshot(finding), request=request)
            _notify_unit(
                unit, event=notices.Event.FINDING_NEW, key=f"finding-{finding.pk}", url=finding.get_absolute_url(),
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
    with atomic_with_files():
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
    early = [f for f in findings if deadline < f.found_on]
    if early:
        raise ValidationError(f"整改时限 {deadline} 早于问题 #{early[0].pk} 的发现日期 {early[0].found_on}。")
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
        # One problem, one deadline: the order's deadline becomes the deadline of its findings that the
        # unit still has to answer (an accepted finding keeps its history).
        for f in findings:
            if f.status != FindingStatus.ACCEPTED and f.rectify_deadline != deadline:
                f.rectify_deadline = deadline
                f.save(update_fields=["rectify_deadline"])
        _notify_unit(
            unit, event=notices.Event.ORDER_ISSUED, key=f"order-{order.pk}", url=order.get_absolute_url(),
            message=f"{order.label}：{len(findings)} 个问题需于 {deadline:%Y-%m-%d} 前整改到位。",
        )
        audit.record(
            "order.issue", actor=issuer, obj=order, request=request,
            after={**audit.snapshot(order), "findings": [f.pk for f in findings]},
        )
    return order


# --- rectification ----------------------------------------------------------------


def return_deadline(campaign: Campaign, returned_on: dt.date, calendar: WorkCalendar | None = None) -> dt.date:
    """The unit's new deadline after a return: ``campaign.return_working_days`` working days after it."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add_working_days(returned_on, max(campaign.return_working_days, 1))


def rectification_submit(
    *,
    official: Any,
    finding: Finding,
    description: str,
    before_photos: Sequence[Any] = (),
    after_photos: Sequence[Any] = (),
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Rectification:
    """The unit answers a finding: what was done, with before/after photos. A new round each time.

    The round records the deadline it answers (the finding's current ``rectify_deadline``);
    ``at`` is the submission time (default now; the demo and tests pass past times).
    """
    _require(official, "inspections.submit_rectification", finding)
    if finding.status not in (FindingStatus.OPEN, FindingStatus.RETURNED):
        raise ValidationError(f"该问题当前状态为“{finding.get_status_display()}”，不能提交整改。")
    if not description.strip():
        raise ValidationError("请填写整改情况。")
    if not after_photos:
        raise ValidationError("请上传至少一张整改后照片。")
    with atomic_with_files():  # 20 good photos and 1 refused file: no rows and no files
        # Lock the finding so two submissions cannot take the same round number.
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status not in (FindingStatus.OPEN, FindingStatus.RETURNED):
            raise ValidationError(f"该问题当前状态为“{locked.get_status_display()}”，不能提交整改。")
        round_no = locked.rectifications.count() + 1
        rect = Rectification.objects.create(
            finding=locked, round=round_no, description=description.strip(), submitted_by=official,
            submitted_at=at or timezone.now(), deadline=locked.rectify_deadline,
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
    *,
    reviewer: Any,
    rectification: Rectification,
    accept: bool,
    comment: str = "",
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Rectification:
    """The inspector accepts a round (finding 销号) or returns it with a reason (the unit answers again).

    A return gives the unit a new deadline, ``campaign.return_working_days`` working days after the
    return day (:func:`return_deadline`). ``at`` is the review time (default now).
    """
    _require(reviewer, "inspections.review_rectification")
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError("退回整改必须填写原因。")
    with transaction.atomic():
        rect = Rectification.objects.select_for_update().select_related("finding", "finding__campaign").get(pk=rectification.pk)
        if rect.status != RectificationStatus.PENDING:
            raise ValidationError("该轮整改已验收，不能重复操作。")
        finding = rect.finding
        before = {"finding_status": finding.status, "rectification_status": rect.status}
        now = at or timezone.now()
        rect.status = RectificationStatus.ACCEPTED if accept else RectificationStatus.RETURNED
        rect.reviewed_by, rect.reviewed_at, rect.review_comment = reviewer, now, comment
        rect.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
        finding.status = FindingStatus.ACCEPTED if accept else FindingStatus.RETURNED
        finding.accepted_at = now if accept else None
        fields = ["status", "accepted_at"]
        if not accept:
            # The unit gets a fresh deadline counted from the return, not from the finding.
            new_deadline = return_deadline(finding.campaign, timezone.localdate(now))
            rect.resubmit_deadline = new_deadline
            rect.save(update_fields=["resubmit_deadline"])
            finding.rectify_deadline = new_deadline
            fields.append("rectify_deadline")
        finding.save(update_fields=fields)
        if not accept:
            _notify_unit(
                finding.unit, event=notices.Event.RECT_RETURNED, key=f"rectification-{rect.pk}-returned", url=finding.get_absolute_url(),
                message=f"问题 #{finding.pk} 第{rect.round}轮整改被退回，请于 {finding.rectify_deadline:%Y-%m-%d} 前重新整改：{comment[:60]}",
            )
        else:
            _notify_unit(
                finding.unit, event=notices.Event.RECT_ACCEPTED, key=f"rectification-{rect.pk}-accepted",
                url=finding.get_absolute_url(), message=f"问题 #{finding.pk} 第{rect.round}轮整改已验收通过（销号）。",
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
    """Deduct once more for every finding whose unit missed a deadline (run daily, and before scoring).

    The rule is :func:`inspections.lifecycle.missed_deadline`: a finding is
    overdue when no rectification was *submitted* by its deadline (a round sent
    back gives a new deadline); time waiting for the inspector's review never
    counts. Each overdue finding gets one :class:`OverduePenalty` (OneToOne:
    "once" is a database fact), of the rule's ``overdue_points`` or the
    finding's own points, in the month after the missed deadline (or the next
    open month).
    """
    late_round = Rectification.objects.filter(
        finding=OuterRef("pk"), deadline__isnull=False, submitted_at__date__gt=F("deadline")
    )
    # Only findings that can have missed something come back from SQL, so the daily scan stays small.
    candidates = (
        Finding.objects.filter(overdue_penalty__isnull=True)
        .filter(
            Q(status__in=lifecycle.AWAITING_UNIT, rectify_deadline__lt=today)
            | Q(Exists(late_round))
        )
        .exclude(status=FindingStatus.WITHDRAWN)
        .select_related("inspection")
        .prefetch_related("rectifications")
        .order_by("pk")
    )
    rules = {(r.campaign_id, r.source_level): r for r in DeductionRule.objects.all()}
    created: list[OverduePenalty] = []
    for finding in list(candidates):
        missed = lifecycle.missed_deadline(finding, list(finding.rectifications.all()), today)
        if missed is None:
            continue
        rule = rules.get((finding.campaign_id, finding.inspection.source_level))
        points = deductions.overdue_points(finding, rule)
        if points <= 0:
            continue  # made without a deduction (snaps' rule) and no overdue number of its own: nothing to deduct
        month = penalty_month(finding.campaign_id, missed)
        try:
            with transaction.atomic():
                penalty = OverduePenalty.objects.create(
                    finding=finding, unit_id=finding.unit_id, campaign_id=finding.campaign_id, month=month, points=points
                )
                audit.record(
                    "finding.overdue_penalty", obj=penalty, unit=finding.unit, actor_name="system",
                    message=f"问题 #{finding.pk} 未在整改时限 {missed:%Y-%m-%d} 前提交整改，{month_label(month)}扣 {points} 分",
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


# --- appeals (申诉) -----------------------------------------------------------------


def appeal_deadline(finding: Finding, calendar: WorkCalendar | None = None) -> dt.date:
    """The last day the unit may appeal: ``campaign.appeal_working_days`` working days after the finding."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add_working_days(finding.found_on, finding.campaign.appeal_working_days)


def appeal_submit(
    *,
    official: Any,
    finding: Finding,
    reason: str,
    evidence: Sequence[Any] = (),
    today: dt.date | None = None,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Appeal:
    """The unit's official appeals a finding of their own unit, with a reason and evidence files.

    Once per finding, within ``campaign.appeal_working_days`` working days of the day it was
    found; evidence goes through ``campaign.uploads`` (images, PDF, Word, Excel). The office is notified.
    """
    _require(official, "inspections.appeal", finding)
    today = today or timezone.localdate()
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写申诉理由。")
    if finding.status == FindingStatus.WITHDRAWN:
        raise ValidationError("该问题已撤销，无需申诉。")
    if Appeal.objects.filter(finding=finding).exists():
        raise ValidationError("该问题已提出过申诉，每个问题只能申诉一次。")
    last_day = appeal_deadline(finding)
    if today > last_day:
        raise ValidationError(
            f"申诉期限已过：问题发现于 {finding.found_on:%Y-%m-%d}，应在 {finding.campaign.appeal_working_days} 个工作日内"
            f"（{last_day:%Y-%m-%d} 前）提出申诉。"
        )
    try:
        with atomic_with_files():
            appeal = Appeal.objects.create(
                finding=finding, campaign_id=finding.campaign_id, unit_id=finding.unit_id, reason=reason,
                submitted_by=official, submitted_at=at or timezone.now(), original_points=finding.points,
            )
            for upload in evidence:
                store_upload(AppealEvidence(appeal=appeal), upload, folder="appeals", user=official)
            audit.record(
                "appeal.submit", actor=official, obj=appeal, unit=finding.unit, request=request,
                after=audit.snapshot(appeal), message=reason[:300],
            )
            _notify_roles(
                finding.unit, roles=[Role.ADMIN], event=notices.Event.APPEAL_FILED, key=f"appeal-{appeal.pk}", url=appeal.get_absolute_url(),
                message=f"{finding.unit.name}对问题 #{finding.pk}（{finding.indicator.code}，扣{finding.points}分）提出申诉，请裁定。",
            )
    except IntegrityError:
        raise ValidationError("该问题已提出过申诉，每个问题只能申诉一次。") from None
    return appeal


def _first_open_month(campaign: Campaign | int, month: dt.date) -> dt.date:
    month = month_start(month)
    for _ in range(120):
        if not is_month_published(campaign, month):
            return month
        month = _next_month(month)
    raise ValidationError("找不到未发布的月份。")


def appeal_decide(
    *,
    actor: Any,
    appeal: Appeal,
    outcome: str,
    reason: str,
    new_points: Decimal | str | None = None,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Appeal:
    """The office decides an appeal: 维持 (upheld), 撤销 (revoked) or 改分 (rescored), with a reason.

    - 维持: nothing changes but the record.
    - 撤销: the finding deducts nothing (withdrawn, reason "申诉撤销：…"; its open overdue penalty goes).
    - 改分: the finding deducts ``new_points``: more than 0 (0 is 撤销), less than the original points
      (the same is 维持), so the indicator cap still holds.
    - A finding of a **published** month is never touched: the difference (original − new) is given
      back by a :class:`Correction` in the first open month from ``today``'s month on.
    """
    _require(actor, "inspections.manage")
    today = today or timezone.localdate()
    reason = reason.strip()
    if outcome not in (AppealStatus.UPHELD, AppealStatus.REVOKED, AppealStatus.RESCORED):
        raise ValidationError("请选择裁定结果：维持、撤销或改分。")
    if not reason:
        raise ValidationError("请填写裁定理由。")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("finding", "finding__campaign", "unit").get(pk=appeal.pk)
        if appeal.status != AppealStatus.PENDING:
            raise ValidationError(f"该申诉已裁定（{appeal.get_status_display()}），不能重复裁定。")
        finding = appeal.finding
        original = appeal.original_points
        if outcome == AppealStatus.RESCORED:
            if new_points in (None, ""):
                raise ValidationError("改分须填写新的扣分。")
            try:
                decided = Decimal(str(new_points)).quantize(Decimal("0.01"))
            except (ArithmeticError, ValueError):
                raise ValidationError("新的扣分必须是数字，如 0.20。") from None
            if not Decimal("0") < decided < original:
                raise ValidationError(
                    f"改分后的扣分须大于 0 且小于原扣分 {original} 分（不扣分请选择“撤销”，不变请选择“维持”）。"
                )
        elif outcome == AppealStatus.REVOKED:
            decided = Decimal("0.00")
        else:
            decided = original
        before = audit.snapshot(appeal)
        appeal.status, appeal.new_points, appeal.decision_reason = outcome, decided, reason
        appeal.decided_by, appeal.decided_at = actor, timezone.now()
        given_back = original - decided
        if given_back > 0:
            if is_month_published(finding.campaign_id, finding.month):
                month = _first_open_month(finding.campaign_id, today)
                label = "撤销" if outcome == AppealStatus.REVOKED else f"改分为{decided}分"
                appeal.correction = correction_create(
                    actor=actor, campaign=finding.campaign, unit=finding.unit, month=month, points=given_back,
                    reason=f"申诉{label}：{month_label(finding.month)}问题 #{finding.pk}（{finding.indicator.code}，原扣{original}分）：{reason}"[:500],
                    finding=finding, request=request,
                )
            elif outcome == AppealStatus.REVOKED:
                if finding.status != FindingStatus.WITHDRAWN:  # withdrawn meanwhile: nothing left to give back
                    finding_withdraw(actor=actor, finding=finding, reason=f"申诉撤销：{reason}", request=request)
            elif finding.status == FindingStatus.WITHDRAWN:
                raise ValidationError("该问题已撤销，不再扣分，不能改分；请选择“撤销”或“维持”。")
            else:
                finding_before = audit.snapshot(finding)
                finding.points = decided
                finding.save(update_fields=["points"])
                audit.record(
                    "finding.rescore", actor=actor, obj=finding, before=finding_before, after=audit.snapshot(finding),
                    message=f"申诉改分：{original} → {decided}", request=request,
                )
        appeal.save(update_fields=["status", "new_points", "decision_reason", "decided_by", "decided_at", "correction"])
        audit.record(
            "appeal.decide", actor=actor, obj=appeal, unit=finding.unit, before=before, after=audit.snapshot(appeal),
            message=f"{appeal.get_status_display()}：{reason}"[:300], request=request,
        )
        _notify_unit(
            finding.unit, event=notices.Event.APPEAL_DECIDED, key=f"appeal-{appeal.pk}-decided", url=appeal.get_absolute_url(),
            message=f"问题 #{finding.pk} 的申诉已裁定：{appeal.summary}。理由：{reason[:60]}",
        )
    return appeal


# --- 督办单 lifecycle -------------------------------------------------------------


def orders_overdue_notify(*, today: dt.date) -> list[SupervisionOrder]:
    """Tell the unit, the office and the leaders, once, about each 督办单 that became 逾期 (run daily).

    Once is the order's ``overdue_notified_at``: set in the same transaction as the notices.
    """
    candidates = (
        SupervisionOrder.objects.filter(
            overdue_notified_at__isnull=True,
            findings__status__in=lifecycle.AWAITING_UNIT,
            findings__rectify_deadline__lt=today,
        )
        .distinct()
        .select_related("unit")
        .prefetch_related("findings")
        .order_by("pk")
    )
    notified: list[SupervisionOrder] = []
    for order in candidates:
        if lifecycle.order_state(order.findings.all(), today) != lifecycle.OrderState.OVERDUE:
            continue
        with transaction.atomic():
            if SupervisionOrder.objects.filter(pk=order.pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=timezone.now()
            ) != 1:
                continue  # another worker notified it first
            late = [f for f in order.findings.all() if lifecycle.is_overdue_now(f, today)]
            _notify_roles(
                order.unit, roles=[Role.OFFICIAL, Role.ADMIN, Role.LEADER], official_unit=order.unit,
                event=notices.Event.OVERDUE, key=f"order-{order.pk}-overdue", url=order.get_absolute_url(),
                message=f"{order.label}（{order.unit.name}）已逾期：{len(late)} 个问题超过整改时限仍未提交整改。",
            )
            audit.record(
                "order.overdue", obj=order, unit=order.unit, actor_name="system",
                message=f"{order.label} 逾期：{', '.join(f'#{f.pk}' for f in late)}",
            )
        notified.append(order)
    _orders_overdue_watch(today)
    return notified


def findings_overdue_watch(*, today: dt.date) -> int:
    """Every finding still awaiting the unit past its deadline today stays on the escalation watch list
    (run daily after the penalties; ``notices.services.escalations_run`` escalates at 3 and 5 working days).

    The rule is :func:`inspections.lifecycle.is_overdue_now`: 待整改 or 已退回 after ``rectify_deadline``.
    A finding that is submitted, accepted or withdrawn is no longer reported and stops escalating. Each
    missed deadline is its own subject (a round sent back and missed again starts over). Findings on a
    督办单 are left to the order's own watch, so the office does not hear of one problem twice.
    Returns how many findings were reported overdue.
    """
    late = (
        Finding.objects.filter(status__in=lifecycle.AWAITING_UNIT, rectify_deadline__lt=today, orders__isnull=True)
        .select_related("unit", "indicator").order_by("pk")
    )
    entries = [
        notices.Watched(
            subject=f"finding-{finding.pk}-overdue-{finding.rectify_deadline:%Y%m%d}", unit_id=finding.unit_id,
            since=finding.rectify_deadline + dt.timedelta(days=1), url=finding.get_absolute_url(),
            message=(f"问题 #{finding.pk}（{finding.unit.name}，{finding.indicator.code}）超过整改时限 "
                     f"{finding.rectify_deadline:%Y-%m-%d} 仍未提交整改：{finding.description[:40]}"),
        )
        for finding in late
    ]
    notices.watch_overdue_many(entries, today=today)
    return len(entries)


def _orders_overdue_watch(today: dt.date) -> None:
    """Every 督办单 still overdue today stays on the escalation watch list (notices.services.escalations_run)."""
    still = (
        SupervisionOrder.objects.filter(findings__status__in=lifecycle.AWAITING_UNIT, findings__rectify_deadline__lt=today)
        .distinct().select_related("unit").prefetch_related("findings").order_by("pk")
    )
    for order in still:
        late = [f for f in order.findings.all() if lifecycle.is_overdue_now(f, today)]
        if late and lifecycle.order_state(order.findings.all(), today) == lifecycle.OrderState.OVERDUE:
            notices.watch_overdue(
                subject=f"order-{order.pk}-overdue", unit=order.unit, today=today, url=order.get_absolute_url(),
                since=min(f.rectify_deadline for f in late) + dt.timedelta(days=1),
                message=f"{order.label}（{order.unit.name}）{len(late)} 个问题超过整改时限仍未提交整改。",
            )
