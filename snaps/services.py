"""Writes for 随手拍: a resident files a report; the office files it as a finding, declines or merges it.

- :func:`snap_submit` (public, no user): photos checked by content, size-capped and stored without
  their EXIF; a form posted twice (same ``client_token``, same campaign and device) makes one report; the office hears of it
  through ``notices.services.notify()`` (event 新随手拍, in-app and digest).
- :func:`snap_file` turns a pending report into a finding through ``inspections.services.finding_create``
  (the one place findings are made: deduction rules, caps, month freezing, deadline, notice to the
  unit), charged under the day's “群众随手拍” inspection at the level the campaign's rule names.
  With ``SnapRule.deducts`` on, the points are the rule's (or the level's suggestion); with it off
  the finding is made without a deduction (``finding_create(deducts=False)``: 0 points, rectified as
  any other; only the level's own overdue number, if it has one, deducts when it is late).
- :func:`snap_decline` closes it with a reason the reporter reads.
- :func:`snap_merge` folds a report into another one about the same problem; the reporter of
  the merged one then follows that report's state.
Each is audited; each refuses a report that was already triaged.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from campaign import access, audit
from campaign.models import Campaign, Indicator, InspectionPoint, Unit
from campaign.uploads import atomic_with_files, store_upload
from inspections import services as inspections
from inspections.models import Finding, Inspection, InspectionKind
from notices import selectors as notice_selectors
from notices import services as notices

from . import selectors
from .models import Snap, SnapCategory, SnapPhoto, Triage

MAX_PHOTOS = 3
INSPECTION_TITLE = "群众随手拍"


def photo_max_bytes() -> int:
    """The size cap of one public photo (stated on the form)."""
    return int(getattr(settings, "SNAPS_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def _require(user: Any, perm: str) -> None:
    if not access.can(user, perm):
        raise PermissionDenied("您没有执行此操作的权限。")


def snap_submit(
    *,
    campaign: Campaign,
    category: SnapCategory,
    description: str,
    photos: Sequence[Any],
    place: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    point: InspectionPoint | None = None,
    phone: str = "",
    client_token: uuid.UUID | str | None = None,
    device_key: str = "",
    request: HttpRequest | None = None,
) -> Snap:
    """File a resident's report (see the module docstring). Raises ValidationError in Chinese."""
    if client_token:
        client_token = uuid.UUID(str(client_token))
        existing = Snap.objects.filter(client_token=client_token).first()
        if existing is not None:
            if _same_submission(existing, campaign, device_key):
                return existing
            # Not this submitter's form (a token copied from elsewhere): a new report under a new token,
            # never the other report (its code is the key to its status page).
            client_token = uuid.uuid4()
    if not selectors.rule_for(campaign).is_open:
        raise ValidationError("本活动暂未开放随手拍。")
    if category.campaign_id != campaign.pk or not category.is_active:
        raise ValidationError("请选择问题类别。")
    if not description.strip():
        raise ValidationError("请描述您看到的问题。")
    if not photos:
        raise ValidationError("请至少拍一张照片。")
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(f"最多上传 {MAX_PHOTOS} 张照片。")
    if not (place.strip() or point is not None or (latitude is not None and longitude is not None)):
        raise ValidationError("请填写问题所在位置，或允许获取手机定位。")
    try:
        with atomic_with_files():  # a refused photo takes the report and the photos already written with it
            snap = Snap.objects.create(
                campaign=campaign, category=category, description=description.strip(), place=place.strip(),
                latitude=latitude, longitude=longitude, point=point, phone=phone.strip(), client_token=client_token,
                device_key=device_key,
            )
            for upload in photos:
                store_upload(SnapPhoto(snap=snap), upload, folder="snaps", images_only=True, strip_metadata=True,
                             max_bytes=photo_max_bytes())
            audit.record("snap.submit", obj=snap, actor_name="群众", request=request,
                         message=f"{category.name}：{description.strip()[:60]}")
            _tell_office(snap)
    except IntegrityError:
        if client_token:
            existing = Snap.objects.filter(client_token=client_token).first()
            if existing is not None and _same_submission(existing, campaign, device_key):
                return existing
        raise
    return snap


def _same_submission(existing: Snap, campaign: Campaign, device_key: str) -> bool:
    """Whether ``existing`` is this very form posted again: same campaign and same device (its cookie's digest).

    Only then is the report (and with it the query code) handed back; a ``client_token`` alone is no proof.
    """
    return existing.campaign_id == campaign.pk and bool(device_key) and existing.device_key == device_key


def _tell_office(snap: Snap) -> None:
    """The office (创建办管理员) hears of a new report in-app and in its digest (event 新随手拍), with a
    link to the triage queue; written with the report, so a refused photo leaves no notice either."""
    where = snap.point.name if snap.point is not None else (snap.place or "手机定位")
    notices.notify(
        event=notices.Event.SNAP_NEW, users=notice_selectors.office_ids(), key=f"snap-new:{snap.pk}",
        url=reverse("snaps-queue"), message=f"新随手拍：{snap.category.name}，{where}：{snap.description[:60]}",
    )


def _pending(snap: Snap) -> Snap:
    """The report, locked and re-read; refused unless it still waits for triage (two officers at once)."""
    locked = Snap.objects.select_for_update().get(pk=snap.pk)
    if locked.triage != Triage.PENDING:
        raise ValidationError(f"该举报已处理（{locked.get_triage_display()}），请刷新页面。")
    return locked


def _snap_inspection(*, actor: Any, campaign: Campaign, source_level: str, day: dt.date,
                     request: HttpRequest | None) -> Inspection:
    """The day's “群众随手拍” inspection at ``source_level`` (made on first use) that findings from reports hang under."""
    existing = Inspection.objects.filter(
        campaign=campaign, date=day, title=INSPECTION_TITLE, source_level=source_level, kind=InspectionKind.PATROL,
    ).order_by("pk").first()
    if existing is not None:
        return existing
    return inspections.inspection_create(
        creator=actor, campaign=campaign, kind=InspectionKind.PATROL, source_level=source_level, date=day,
        title=INSPECTION_TITLE, scope="群众通过随手拍反映、经创建办核实的问题", request=request,
    )


def snap_file(
    *,
    actor: Any,
    snap: Snap,
    indicator: Indicator,
    description: str,
    unit: Unit | None = None,
    point: InspectionPoint | None = None,
    points: Decimal | None = None,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Finding:
    """Make ``snap`` a finding charged to ``unit`` (default: the point's 包保 unit), found today.

    The deduction follows the campaign's rule (module docstring); ``points`` given by the officer
    replaces the rule's number and is checked by the inspections rules like any finding's.
    The report's photos go to the finding as its evidence (already without EXIF).
    """
    _require(actor, "snaps.triage")
    rule = selectors.rule_for(snap.campaign)
    points = (points if points is not None else rule.points) if rule.deducts else None
    day = today or timezone.localdate()
    with atomic_with_files():
        locked = _pending(snap)
        inspection = _snap_inspection(actor=actor, campaign=snap.campaign, source_level=rule.source_level, day=day,
                                      request=request)
        text = description.strip()
        finding = inspections.finding_create(
            inspector=actor, inspection=inspection, indicator=indicator, description=text, unit=unit, point=point,
            points=points, deducts=rule.deducts, photos=[_reopen(p) for p in locked.photos.all()], request=request,
        )
        before = audit.snapshot(locked)
        locked.triage, locked.finding, locked.point = Triage.FILED, finding, point or locked.point
        locked.triaged_by, locked.triaged_at = actor, timezone.now()
        locked.save(update_fields=["triage", "finding", "point", "triaged_by", "triaged_at"])
        audit.record("snap.file", actor=actor, obj=locked, unit=finding.unit, before=before,
                     after=audit.snapshot(locked), message=f"转为问题 #{finding.pk}", request=request)
    snap.refresh_from_db()
    return finding


def _reopen(photo: SnapPhoto) -> Any:
    """A stored report photo as an upload for the finding (``store_upload`` checks it again and copies it)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    with photo.file.open("rb") as handle:
        data = handle.read()
    return SimpleUploadedFile(photo.original_name, data, content_type=photo.content_type)


def snap_decline(*, actor: Any, snap: Snap, reason: str, request: HttpRequest | None = None) -> Snap:
    """Close ``snap`` without a finding; ``reason`` is shown to the reporter."""
    _require(actor, "snaps.triage")
    reason = reason.strip()
    if not reason:
        raise ValidationError("不予受理必须填写原因（会告知举报人）。")
    with transaction.atomic():
        locked = _pending(snap)
        before = audit.snapshot(locked)
        locked.triage, locked.decline_reason = Triage.DECLINED, reason[:300]
        locked.triaged_by, locked.triaged_at = actor, timezone.now()
        locked.save(update_fields=["triage", "decline_reason", "triaged_by", "triaged_at"])
        audit.record("snap.decline", actor=actor, obj=locked, before=before, after=audit.snapshot(locked),
                     message=reason[:300], request=request)
    snap.refresh_from_db()
    return snap


def snap_merge(*, actor: Any, snap: Snap, into: Snap, request: HttpRequest | None = None) -> Snap:
    """Fold ``snap`` into ``into`` (the same problem reported twice); its reporter follows ``into`` from now on."""
    _require(actor, "snaps.triage")
    target = selectors.root_of(into)
    if target.campaign_id != snap.campaign_id:
        raise ValidationError("只能合并同一创建活动的举报。")
    if target.pk == snap.pk:
        raise ValidationError("不能把举报合并到它自己。")
    if target.triage == Triage.DECLINED:
        raise ValidationError("目标举报已不予受理，不能合并到它；请直接处理本举报。")
    with transaction.atomic():
        locked = _pending(snap)
        before = audit.snapshot(locked)
        locked.triage, locked.merged_into = Triage.MERGED, target
        locked.triaged_by, locked.triaged_at = actor, timezone.now()
        locked.save(update_fields=["triage", "merged_into", "triaged_by", "triaged_at"])
        audit.record("snap.merge", actor=actor, obj=locked, before=before, after=audit.snapshot(locked),
                     message=f"合并到 随手拍举报 #{target.pk}", request=request)
    snap.refresh_from_db()
    return snap
