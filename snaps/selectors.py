"""Reads for 随手拍: what the reporter may see, the office's queue, and the figures.

:func:`public_status` is the one function that decides what a reporter is told. It derives the
state from the report's triage and, once it became a finding, from the finding's own state —
nothing is copied, so the status page follows the rectification loop by itself — and it returns
only what the office publishes: no unit, no official's name, no internal note.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from campaign import uploads
from campaign.models import Campaign, InspectionPoint
from inspections.models import FindingStatus, Rectification, RectificationPhoto, RectificationStatus
from inspections.selectors import nearest_points, search_points

from .models import Snap, SnapCategory, SnapRule, Triage, normalize_code

MERGE_DEPTH = 20  # a chain of merges is short; the bound only guards against a cycle made by hand in the admin

RECEIVED, IN_PROGRESS, DONE, DECLINED = "received", "in_progress", "done", "declined"
STATUS_LABELS = {RECEIVED: "已受理", IN_PROGRESS: "处理中", DONE: "已办结", DECLINED: "不予受理"}
# What the reporter reads when the office withdrew the finding (its own reason is an internal note).
WITHDRAWN_REASON = "经核查，该问题不属于需要整改的问题。"


@dataclass(frozen=True)
class PublicStatus:
    key: str
    label: str
    reason: str = ""
    done_on: dt.date | None = None
    after_photos: tuple[RectificationPhoto, ...] = ()
    merged: bool = False


def rule_for(campaign: Campaign) -> SnapRule:
    """The campaign's 群众举报 rule (the defaults until the office changes them)."""
    rule = SnapRule.objects.filter(campaign=campaign).first()
    return rule or SnapRule(campaign=campaign)


def active_categories(campaign: Campaign) -> QuerySet[SnapCategory]:
    return SnapCategory.objects.filter(campaign=campaign, is_active=True).order_by("order", "pk")


def root_of(snap: Snap) -> Snap:
    """The report a merged one stands for (itself when not merged)."""
    seen = 0
    while snap.triage == Triage.MERGED and snap.merged_into_id and seen < MERGE_DEPTH:
        snap = snap.merged_into
        seen += 1
    return snap


def _accepted_round(finding) -> Rectification | None:
    return (
        Rectification.objects.filter(finding=finding, status=RectificationStatus.ACCEPTED)
        .prefetch_related(Prefetch("photos", RectificationPhoto.objects.filter(kind=RectificationPhoto.Kind.AFTER)))
        .order_by("-round")
        .first()
    )


def public_status(snap: Snap) -> PublicStatus:
    """What the reporter of ``snap`` is told (see the module docstring)."""
    root = root_of(snap)
    merged = root.pk != snap.pk
    state = _state(root)
    if state == DECLINED:
        reason = root.decline_reason if root.triage == Triage.DECLINED else WITHDRAWN_REASON
        return PublicStatus(DECLINED, STATUS_LABELS[DECLINED], reason=reason, merged=merged)
    if state == DONE:
        accepted = _accepted_round(root.finding)
        photos = tuple(accepted.photos.all()) if accepted else ()
        done_at = root.finding.accepted_at or (accepted.reviewed_at if accepted else None)
        return PublicStatus(
            DONE, STATUS_LABELS[DONE], done_on=timezone.localtime(done_at).date() if done_at else None,
            after_photos=photos, merged=merged,
        )
    return PublicStatus(state, STATUS_LABELS[state], merged=merged)


def snap_by_code(raw_code: str) -> Snap | None:
    """The report with this query code, or None. One indexed lookup whatever the code."""
    code = normalize_code(raw_code)
    return (
        Snap.objects.select_related("campaign", "category", "merged_into", "finding")
        .prefetch_related("photos")
        .filter(code=code)
        .first()
    )


def public_photo(snap: Snap, kind: str, pk: int):
    """A photo the reporter of ``snap`` may see: one of their own, or an after-photo of the accepted round."""
    if kind == "report":
        return snap.photos.filter(pk=pk).first()
    if kind == "after":
        status = public_status(snap)
        return next((p for p in status.after_photos if p.pk == pk), None)
    return None


def public_photo_content(photo, kind: str, *, thumb: bool) -> IO[bytes] | bytes:
    """What a public page serves of ``photo`` (found by :func:`public_photo`): never a file with metadata,
    and never a photo decoded again per view.

    - ``thumb``: the thumbnail kept beside the file (``uploads.derived_file``: 320 px, no metadata).
    - the reporter's own photo (``report``): the stored file itself, stored without metadata
      (``snap_submit`` stores it through ``prepare_photo(strip_metadata=True)``).
    - an after-photo (``after``): a unit's evidence keeps its EXIF inside the platform, so the public
      gets the full-size copy without metadata kept beside it (made once, on its first request).

    Raises ``FileNotFoundError`` when the stored file is gone.
    """
    if thumb:
        return uploads.derived_file(photo, uploads.THUMB)
    if kind == "report":
        return default_storage.open(photo.file.name, "rb")
    return uploads.derived_file(photo, uploads.CLEAN)


def suggested_points(*, latitude: float | None = None, longitude: float | None = None, text: str = "",
                     limit: int = 5) -> list[tuple[InspectionPoint, float | None]]:
    """Inspection points near the reporter (by the phone's position) or matching what they typed."""
    if latitude is not None and longitude is not None:
        return [(p, d) for p, d in nearest_points(latitude, longitude, limit=limit) if d <= 2000]
    if text.strip():
        return [(p, None) for p in search_points(text)[:limit]]
    return []


# --- the office ------------------------------------------------------------------


def queue(campaign: Campaign, triage: str | None = Triage.PENDING) -> QuerySet[Snap]:
    """Reports of ``campaign`` in one triage state (oldest pending first), for the office's queue."""
    qs = Snap.objects.filter(campaign=campaign).select_related("category", "point", "finding", "merged_into")
    qs = qs.prefetch_related("photos")
    if triage:
        qs = qs.filter(triage=triage)
    return qs.order_by("created_at", "pk") if triage == Triage.PENDING else qs.order_by("-created_at", "-pk")


def merge_candidates(snap: Snap, limit: int = 10) -> list[Snap]:
    """Earlier or pending reports that may describe the same problem: same point, or same category, newest first."""
    qs = (
        Snap.objects.filter(campaign_id=snap.campaign_id)
        .exclude(pk=snap.pk)
        .exclude(triage__in=[Triage.MERGED, Triage.DECLINED])
        .select_related("category", "point")
    )
    if snap.point_id:
        qs = qs.filter(point_id=snap.point_id)
    else:
        qs = qs.filter(category_id=snap.category_id)
    return list(qs.order_by("-created_at")[:limit])


@dataclass
class Row:
    label: str
    received: int = 0
    declined: int = 0
    in_progress: int = 0
    done: int = 0
    timed: int = 0  # reports done whose 办结 time is known
    days_total: Decimal = Decimal("0")

    @property
    def pending(self) -> int:
        """Received and not yet triaged (已受理, awaiting the office)."""
        return self.received - self.declined - self.in_progress - self.done

    @property
    def average_days(self) -> Decimal | None:
        """Average days from report to 办结, over the reports done (None when none is)."""
        return (self.days_total / self.timed).quantize(Decimal("0.1")) if self.timed else None


@dataclass
class SnapFigures:
    total: Row
    by_month: list[Row] = field(default_factory=list)
    by_category: list[Row] = field(default_factory=list)
    by_unit: list[Row] = field(default_factory=list)


def figures(campaign: Campaign) -> SnapFigures:
    """Counts per month (of the report), category and unit (of the finding), and the average time to 办结.

    Every report counts once in ``received``. A merged report counts under its own month and
    category, with the state of the report it was merged into; the time to 办结 is counted for
    each report from its own submission (the reporter waited that long). Reports not filed have
    no unit and appear as “未转交”. One query of plain tuples (20,000 reports: docs/benchmarks.md).
    """
    rows_in = list(
        Snap.objects.filter(campaign=campaign)
        .order_by("created_at", "pk")
        .values_list("pk", "created_at", "category__name", "triage", "merged_into_id", "finding__status",
                     "finding__accepted_at", "finding__unit__short_name", "finding__unit__name")
    )
    by_pk = {r[0]: r for r in rows_in}
    tz = timezone.get_current_timezone()
    total = Row("合计")
    months: dict[dt.date, Row] = {}
    categories: dict[str, Row] = {}
    units: dict[str, Row] = {}
    day = Decimal(86400)
    for _pk, created_at, category, _triage, _merged, *_rest in rows_in:
        root = by_pk[_pk]
        for _ in range(MERGE_DEPTH):
            if root[3] != Triage.MERGED or root[4] not in by_pk:
                break
            root = by_pk[root[4]]
        _rpk, _created, _cat, triage, _into, finding_status, accepted_at, unit_short, unit_name = root
        filed = triage == Triage.FILED and finding_status is not None
        state = _state_of(triage, finding_status)
        unit_label = (unit_short or unit_name) if filed else "未转交"
        month = created_at.astimezone(tz).date().replace(day=1)
        if month not in months:
            months[month] = Row(f"{month.year}年{month.month}月")
        if category not in categories:
            categories[category] = Row(category)
        if unit_label not in units:
            units[unit_label] = Row(unit_label)
        days = None
        if state == DONE and accepted_at is not None and accepted_at >= created_at:
            days = Decimal((accepted_at - created_at).total_seconds()) / day
        for row in (total, months[month], categories[category], units[unit_label]):
            row.received += 1
            if state == DECLINED:
                row.declined += 1
            elif state == IN_PROGRESS:
                row.in_progress += 1
            elif state == DONE:
                row.done += 1
                if days is not None:
                    row.timed += 1
                    row.days_total += days
    return SnapFigures(
        total=total,
        by_month=[months[m] for m in sorted(months)],
        by_category=sorted(categories.values(), key=lambda r: (-r.received, r.label)),
        by_unit=sorted(units.values(), key=lambda r: (r.label == "未转交", -r.received, r.label)),
    )


def state_label(snap: Snap) -> str:
    """The reporter's state of ``snap`` in words, from its own rows (for lists; no photos read)."""
    return STATUS_LABELS[_state(root_of(snap))]


def _state(root: Snap) -> str:
    """The public state key of a root report, from rows already loaded (no photos needed)."""
    return _state_of(root.triage, root.finding.status if root.finding_id else None)


def _state_of(triage: str, finding_status: str | None) -> str:
    """The public state key from a root report's triage and its finding's status (the table in docs/snaps.md)."""
    if triage == Triage.DECLINED:
        return DECLINED
    if triage != Triage.FILED or finding_status is None:
        return RECEIVED
    if finding_status == FindingStatus.WITHDRAWN:
        return DECLINED
    if finding_status == FindingStatus.ACCEPTED:
        return DONE
    return IN_PROGRESS
