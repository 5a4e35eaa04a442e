"""Writes of 材料审核: requirements, a unit's submission round, the office's review, scores, overdue notices.

Each service checks who may do it (``campaign.access``), keeps the rule once, records an audit row.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from campaign import access, audit, uploads
from campaign.models import Campaign, Indicator, Membership, Notification, Phase, Role, Unit
from inspections.models import RectificationPhoto
from tasks.models import Evidence

from . import selectors
from .models import (
    MaterialScore,
    MaterialSettings,
    Requirement,
    RequirementItem,
    ReviewStatus,
    Submission,
    SubmissionFile,
)

FILES_FOLDER = "materials"
MAX_FILES_PER_ROUND = 30


@dataclass(frozen=True)
class ItemSpec:
    name: str
    min_files: int = 1
    description: str = ""


# "活动照片 ≥ 10 张", "活动照片>=10", "活动照片|10|说明", "会议记录" (1 file)
_COUNT_TAIL = re.compile(r"^(?P<name>.+?)\s*(?:≥|>=|＞=|不少于)\s*(?P<n>\d+)\s*(?:张|份|个|件|篇)?\s*$")


def parse_items(text: str) -> list[ItemSpec]:
    """Items written one per line: ``名称``, ``名称 ≥ 10 张`` or ``名称|最少文件数|说明``."""
    specs: list[ItemSpec] = []
    seen: set[str] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[|｜]", line)]
        name, count, description = parts[0], "", ""
        if len(parts) > 1:
            count = parts[1]
            description = "｜".join(parts[2:])
        else:
            match = _COUNT_TAIL.match(name)
            if match:
                name, count = match["name"].strip(), match["n"]
        if not name:
            raise ValidationError(f"第{number}行没有材料名称。")
        if len(name) > 100:
            raise ValidationError(f"第{number}行的材料名称超过100个字。")
        if count and not count.isdigit():
            raise ValidationError(f"第{number}行的最少文件数“{count}”不是整数。")
        if name in seen:
            raise ValidationError(f"材料“{name}”重复出现。")
        seen.add(name)
        specs.append(ItemSpec(name=name, min_files=int(count) if count else 1, description=description[:300]))
    if not specs:
        raise ValidationError("请至少填写一项申报材料。")
    return specs


def items_text(requirement: Requirement) -> str:
    """The items as the form (and the workbook) write them: ``名称|最少文件数|说明`` per line."""
    lines = []
    for item in requirement.items.all():
        line = f"{item.name}|{item.min_files}"
        if item.description:
            line += f"|{item.description}"
        lines.append(line)
    return "\n".join(lines)


def settings_for(campaign: Campaign) -> MaterialSettings:
    found = MaterialSettings.objects.filter(campaign=campaign).first()
    return found or MaterialSettings(campaign=campaign)


def can_review(user: Any, campaign: Campaign) -> bool:
    """The office reviews; inspectors only where the campaign allows it."""
    if access.can(user, "materials.manage"):
        return True
    return access.can(user, "materials.review") and settings_for(campaign).inspectors_review


def _require(ok: bool, message: str = "您没有执行此操作的权限。") -> None:
    if not ok:
        raise PermissionDenied(message)


def _notify_officials(unit: Unit, *, key: str, message: str, url: str, day: dt.date | None = None) -> int:
    """An in-app notice to the unit's officials, once per key and day (the project's Notification pattern)."""
    users = set(
        Membership.objects.filter(unit=unit, role=Role.OFFICIAL, user__is_active=True).values_list("user_id", flat=True)
    )
    Notification.objects.bulk_create(
        [Notification(user_id=u, unit=unit, key=key[:100], day=day or timezone.localdate(), message=message[:300], url=url)
         for u in users],
        ignore_conflicts=True,
    )
    return len(users)


# ---------------------------------------------------------------- requirements

def requirement_save(
    *,
    user: Any,
    campaign: Campaign,
    indicator: Indicator,
    deadline: dt.date,
    items: Sequence[ItemSpec],
    units: Sequence[Unit] | None = None,
    phase: Phase | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Requirement:
    """Create or update the requirement of ``indicator``.

    ``units`` None means the indicator's lead and co-units. Items are matched by name: new names
    are added, changed counts updated, names left out removed (refused when a unit already
    submitted for one, so no submission loses its item).
    """
    if user is not None:
        _require(access.can(user, "materials.manage"), "只有创建办管理员可以设置申报要求。")
    if indicator.campaign_id != campaign.pk:
        raise ValidationError("该测评标准不属于当前创建活动。")
    if not indicator.is_leaf:
        raise ValidationError(f"“{indicator}”不是测评标准（第三级指标），不能设置申报要求。")
    if phase is not None and phase.campaign_id != campaign.pk:
        raise ValidationError("工作阶段不属于当前创建活动。")
    if units is None:
        units = [u for u in [indicator.lead_unit, *indicator.co_units.all()] if u is not None]
    if not units:
        raise ValidationError(f"“{indicator}”没有牵头单位或配合单位，请选择申报单位。")
    with transaction.atomic():
        requirement, created = Requirement.objects.select_for_update().get_or_create(
            indicator=indicator, defaults={"campaign": campaign, "deadline": deadline, "phase": phase, "note": note}
        )
        before = None if created else {"deadline": requirement.deadline.isoformat(), "items": items_text(requirement)}
        requirement.deadline, requirement.phase, requirement.note = deadline, phase, note
        requirement.save()
        requirement.units.set(units)
        existing = {i.name: i for i in requirement.items.all()}
        wanted = {spec.name for spec in items}
        gone = [i for name, i in existing.items() if name not in wanted]
        used = [i.name for i in gone if i.submissions.exists()]
        if used:
            raise ValidationError(f"材料“{'、'.join(used)}”已有单位报送，不能删除。")
        for item in gone:
            item.delete()
        for order, spec in enumerate(items, start=1):
            item = existing.get(spec.name)
            if item is None:
                RequirementItem.objects.create(
                    requirement=requirement, order=order, name=spec.name, min_files=spec.min_files, description=spec.description
                )
            elif (item.order, item.min_files, item.description) != (order, spec.min_files, spec.description):
                item.order, item.min_files, item.description = order, spec.min_files, spec.description
                item.save(update_fields=["order", "min_files", "description"])
        audit.record(
            "material.requirement", actor=user, obj=requirement, request=request, before=before,
            after={"deadline": deadline.isoformat(), "items": items_text(requirement), "units": [u.name for u in units]},
            message=f"{'设置' if created else '修改'}申报要求：{indicator.code} {indicator.name}",
        )
    return requirement


def requirements_seed(*, user: Any, campaign: Campaign, deadline: dt.date, items: Sequence[ItemSpec],
                      request: HttpRequest | None = None) -> int:
    """A requirement with ``items`` for every 材料审核 standard that has none yet and has a lead unit."""
    created = 0
    standards = (
        Indicator.objects.filter(campaign=campaign, level=3, method="material", material_requirement__isnull=True)
        .exclude(lead_unit__isnull=True).prefetch_related("co_units")
    )
    for indicator in standards:
        requirement_save(user=user, campaign=campaign, indicator=indicator, deadline=deadline, items=items, request=request)
        created += 1
    return created


# ---------------------------------------------------------------- submitting

def submission_create(
    *,
    item: RequirementItem,
    unit: Unit,
    user: Any,
    text: str = "",
    files: Sequence[Any] = (),
    evidence_ids: Sequence[int] = (),
    photo_ids: Sequence[int] = (),
    client_token: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[Submission, bool]:
    """A unit's new round for one item; returns ``(submission, created)``.

    Refused while the last round waits for review or once it is 合格. Picked evidence must be the
    unit's own (its tasks' progress evidence, its findings' rectification photos): linked, not
    copied. Uploaded files are checked by content; a refused file leaves nothing written. The same
    ``client_token`` posted twice gives back the first round.
    """
    if client_token is not None:
        existing = Submission.objects.filter(client_token=client_token).first()
        if existing is not None:
            if (existing.item_id, existing.unit_id) != (item.pk, unit.pk):
                raise ValidationError("提交标识与材料项不符，请刷新页面后重新提交。")
            return existing, False
    _require(access.can(user, "materials.submit", unit), "只有本单位联络员可以报送材料。")
    requirement = item.requirement
    if not requirement.units.filter(pk=unit.pk).exists():
        raise ValidationError(f"{unit.name}不是“{requirement}”的申报单位。")
    if len(files) > MAX_FILES_PER_ROUND:
        raise ValidationError(f"一次最多上传 {MAX_FILES_PER_ROUND} 个文件。")
    evidence = list(Evidence.objects.filter(pk__in=evidence_ids, entry__task__unit=unit, entry__task__campaign=requirement.campaign_id))
    photos = list(RectificationPhoto.objects.filter(
        pk__in=photo_ids, rectification__finding__unit=unit, rectification__finding__campaign=requirement.campaign_id
    ))
    if len(evidence) != len(set(evidence_ids)) or len(photos) != len(set(photo_ids)):
        raise ValidationError("只能引用本单位的佐证材料和整改照片。")
    if not (text.strip() or files or evidence or photos):
        raise ValidationError("请上传文件、引用已有材料或填写文字说明。")
    try:
        with uploads.atomic_with_files():
            last = Submission.objects.select_for_update().filter(item=item, unit=unit).order_by("-round").first()
            if last is not None and last.status == ReviewStatus.PENDING:
                raise ValidationError("上一轮报送正在审核中，请等待审核结果后再补充。")
            if last is not None and last.status == ReviewStatus.ACCEPTED:
                raise ValidationError("该项材料已审核合格，无需再报送。")
            submission = Submission.objects.create(
                item=item, unit=unit, round=(last.round + 1) if last else 1, text=text.strip(), submitted_by=user,
                client_token=client_token,
            )
            for upload in files:
                uploads.store_upload(SubmissionFile(submission=submission), upload, folder=FILES_FOLDER, user=user)
            submission.task_evidence.set(evidence)
            submission.rectification_photos.set(photos)
    except IntegrityError:
        if client_token is not None:
            existing = Submission.objects.filter(client_token=client_token, item=item, unit=unit).first()
            if existing is not None:
                return existing, False
        raise
    audit.record(
        "material.submit", actor=user, obj=submission, request=request,
        after={"round": submission.round, "files": len(files), "linked": len(evidence) + len(photos)},
        message=f"报送材料：{requirement.indicator.code} {item.name}（第{submission.round}轮）",
    )
    return submission, True


# ---------------------------------------------------------------- reviewing

def submission_review(
    *, submission: Submission, user: Any, status: str, comment: str = "", request: HttpRequest | None = None
) -> Submission:
    """合格, 需补充 (say what is missing) or 不合格 on the latest round; the unit is notified."""
    requirement = submission.item.requirement
    _require(can_review(user, requirement.campaign), "您没有审核材料的权限。")
    if status not in (ReviewStatus.ACCEPTED, ReviewStatus.SUPPLEMENT, ReviewStatus.REJECTED):
        raise ValidationError("请选择审核结果：合格、需补充或不合格。")
    comment = (comment or "").strip()
    if status != ReviewStatus.ACCEPTED and not comment:
        raise ValidationError("需补充或不合格时，请写明缺少什么或不合格的原因。")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != ReviewStatus.PENDING:
            raise ValidationError(f"该轮报送已审核（{locked.get_status_display()}），不能重复审核。")
        locked.status, locked.review_comment = status, comment
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at"])
        label = ReviewStatus(status).label
        message = f"材料审核：{requirement.indicator.code} {locked.item.name}（第{locked.round}轮）{label}"
        if comment:
            message += f"：{comment}"
        url = reverse("materials-unit", args=[requirement.pk, locked.unit_id])
        # Inside the transaction: the notice exists exactly when the review does.
        _notify_officials(locked.unit, key=f"material-review:{locked.pk}", message=message, url=url)
        audit.record("material.review", actor=user, obj=locked, request=request, after={"status": status, "comment": comment},
                     message=message)
    return locked


# ---------------------------------------------------------------- scores

def score_set(
    *, requirement: Requirement, unit: Unit, user: Any, points: Decimal | None = None, passed: bool | None = None,
    note: str = "", scored_on: dt.date | None = None, request: HttpRequest | None = None,
) -> MaterialScore:
    """The office scores one standard's materials for one unit: points, or 合格 (full 分值) / 不合格 (0)."""
    _require(access.can(user, "materials.manage"), "只有创建办管理员可以评定材料审核得分。")
    full = requirement.indicator.score
    if points is None:
        if passed is None:
            raise ValidationError("请填写得分，或选择合格/不合格。")
        points = full if passed else Decimal("0")
    points = Decimal(points)
    if points < 0 or points > full:
        raise ValidationError(f"得分应在 0 到 {full} 分（该标准分值）之间。")
    if not requirement.units.filter(pk=unit.pk).exists():
        raise ValidationError(f"{unit.name}不是该标准的申报单位。")
    score, _ = MaterialScore.objects.update_or_create(
        requirement=requirement, unit=unit,
        defaults={"points": points, "note": note[:300], "scored_by": user, "scored_on": scored_on or timezone.localdate()},
    )
    audit.record("material.score", actor=user, obj=score, unit=unit, request=request, after={"points": str(points)},
                 message=f"材料审核评分：{requirement} {unit.name} {points}分")
    return score


# ---------------------------------------------------------------- overdue

def overdue_notify(*, today: dt.date) -> int:
    """Notify each unit once (ever) per standard whose deadline passed with items still owed."""
    sent = 0
    requirements = list(
        Requirement.objects.filter(deadline__lt=today, campaign__is_active=True).select_related("indicator")
        .prefetch_related("units", "items")
    )
    if not requirements:
        return 0
    states = selectors.latest_states([r.pk for r in requirements])
    already = set(Notification.objects.filter(key__startswith="material-overdue:").values_list("key", flat=True))
    for req in requirements:
        for unit in req.units.all():
            owed = [i.name for i in req.items.all() if states.get((i.pk, unit.pk)) in selectors.OWED_STATES]
            key = f"material-overdue:{req.pk}:{unit.pk}"
            if not owed or key in already:
                continue
            message = (f"【材料逾期】{req.indicator.code} {req.indicator.name}的申报截止日期为{req.deadline:%Y年%m月%d日}，"
                       f"{unit.name}尚缺：{'、'.join(owed)}。")
            if _notify_officials(unit, key=key, message=message, url=reverse("materials-unit", args=[req.pk, unit.pk]), day=today):
                sent += 1
    return sent
