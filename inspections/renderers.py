"""Exports of inspection data: findings workbook, findings-with-photos PDF, 督办单 PDF.

Renderers take data already fetched by selectors and return bytes or a
workbook; they know nothing about requests.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from openpyxl import Workbook
from PIL import Image, ImageOps

from campaign.excel import SCORE_FORMAT, table_workbook
from campaign.pdf import render_pdf

from .models import Finding, FindingStatus, SupervisionOrder

FINDING_HEADERS = [
    "编号", "发现日期", "计分月份", "检查", "责任单位", "点位", "指标编号", "指标名称", "问题描述",
    "扣分", "重复问题", "整改时限", "状态", "督查员", "撤销原因",
]
# Photos in a PDF are shrunk to this many pixels on the long side.
THUMB_PX = 640
MAX_PDF_FINDINGS = 300


def finding_rows(findings: Iterable[Finding]) -> Iterable[list[Any]]:
    for f in findings:
        yield [
            f.pk, f.found_on, f.month.strftime("%Y-%m"), f.inspection.title, f.unit.name, f.point.name if f.point else "",
            f.indicator.code, f.indicator.name, f.description, f.points, "是" if f.is_repeat else "", f.rectify_deadline,
            f.get_status_display(), f.created_by.get_full_name() or f.created_by.get_username(), f.withdrawn_reason,
        ]


# The columns of FINDING_HEADERS read as one tuple per finding (joins in SQL, no model instances).
FINDING_EXPORT_FIELDS = (
    "pk", "found_on", "month", "inspection__title", "unit__name", "point__name", "indicator__code", "indicator__name",
    "description", "points", "is_repeat", "rectify_deadline", "status", "created_by__first_name",
    "created_by__last_name", "created_by__username", "withdrawn_reason",
)


def finding_export_rows(findings: QuerySet[Finding], *, chunk_size: int = 2000) -> Iterable[list[Any]]:
    """The rows of :func:`finding_rows` for a queryset, streamed as tuples in chunks.

    Same values as ``finding_rows`` (status label, the inspector's full name or username), without
    building six model instances per row: the findings export of a whole city costs what
    ``values_list`` + a write-only sheet costs.
    """
    labels = dict(FindingStatus.choices)
    for (pk, found_on, month, title, unit, point, code, name, description, points, is_repeat, deadline, status,
         first_name, last_name, username, withdrawn_reason) in findings.values_list(*FINDING_EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        full_name = f"{first_name} {last_name}".strip()
        yield [
            pk, found_on, month.strftime("%Y-%m"), title, unit, point or "", code, name, description, points,
            "是" if is_repeat else "", deadline, labels.get(status, status), full_name or username, withdrawn_reason,
        ]


def findings_workbook(findings: Iterable[Finding]) -> Workbook:
    """All the listed findings as one safe sheet (text never becomes a formula)."""
    return table_workbook("问题清单", FINDING_HEADERS, finding_rows(findings), number_formats={9: SCORE_FORMAT})


def photo_data_uri(stored: Any, size: int = THUMB_PX) -> str | None:
    """A JPEG thumbnail of a stored photo as a ``data:`` URI (the PDF fetcher loads nothing else)."""
    try:
        with default_storage.open(stored.file.name, "rb") as handle, Image.open(handle) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((size, size))
            buffer = io.BytesIO()
            img.convert("RGB").save(buffer, "JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def findings_pdf(findings: list[Finding], *, title: str, subtitle: str = "") -> bytes:
    """One block per finding: photo, point, indicator, points, status."""
    blocks = []
    for f in findings[:MAX_PDF_FINDINGS]:
        photos = [uri for uri in (photo_data_uri(p) for p in list(f.photos.all())[:2]) if uri]
        blocks.append({"finding": f, "photos": photos})
    return render_pdf(
        "inspections/pdf/findings.html",
        {"title": title, "subtitle": subtitle, "blocks": blocks, "truncated": len(findings) > MAX_PDF_FINDINGS,
         "max": MAX_PDF_FINDINGS},
    )


def order_pdf(order: SupervisionOrder) -> bytes:
    findings = list(order.findings.all())
    return render_pdf("inspections/pdf/order.html", {"order": order, "findings": findings})


def order_receipt_pdf(order: SupervisionOrder, *, today: Any) -> bytes:
    """督办单回执: the unit's reply — each finding with its rectification rounds and review — and the order's state."""
    from . import lifecycle
    from .models import Rectification

    findings = list(order.findings.all())
    rounds: dict[int, list[Rectification]] = {}
    for rect in Rectification.objects.filter(finding__in=findings).select_related("submitted_by", "reviewed_by").order_by("finding_id", "round"):
        rounds.setdefault(rect.finding_id, []).append(rect)
    rows = [{"finding": f, "rounds": rounds.get(f.pk, []), "last": (rounds.get(f.pk) or [None])[-1]} for f in findings]
    state = lifecycle.order_state(findings, today)
    return render_pdf("inspections/pdf/order_receipt.html", {
        "order": order, "rows": rows, "state_label": lifecycle.order_state_label(state), "today": today,
        "accepted": sum(1 for f in findings if f.status == "accepted"), "total": len(findings),
    })
