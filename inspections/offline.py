"""Offline capture: the data a phone keeps for working with no signal, and how a queued
checklist round is read back. Plain functions; the views in offline_views.py are thin.

See docs/inspections.md, section “离线登记”.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from campaign.models import Campaign, Indicator, InspectionPoint, PointType

from .models import CheckResult
from .services import ChecklistItem


def offline_data(campaign: Campaign) -> dict[str, Any]:
    """Points, point types, the indicator tree and the point-type × standard matrix of a campaign.

    The finding form and the checklist search these on the phone when there is no signal.
    Four queries whatever the size (a city has up to ~1,200 points).
    """
    points = [
        {
            "id": p.pk, "name": p.name, "address": p.address, "type": p.point_type_id,
            "type_name": p.point_type.name, "unit": p.unit_id, "unit_name": p.unit.display_name,
            "search": p.search_text,  # campaign/search.py: the same words, pinyin and ranking marks offline
            "lat": float(p.latitude) if p.latitude is not None else None,
            "lng": float(p.longitude) if p.longitude is not None else None,
        }
        for p in InspectionPoint.objects.filter(is_active=True).select_related("point_type", "unit").order_by("name")
    ]
    indicators = []
    matrix: dict[str, list[int]] = {}
    for ind in Indicator.objects.filter(campaign=campaign).prefetch_related("point_types").order_by("level", "order", "code"):
        indicators.append({
            "id": ind.pk, "code": ind.code, "name": ind.name, "level": ind.level, "parent": ind.parent_id,
            "score": str(ind.score), "standard_text": ind.standard_text,
        })
        for pt in ind.point_types.all():
            matrix.setdefault(str(pt.pk), []).append(ind.pk)
    return {
        "campaign": {"id": campaign.pk, "name": campaign.name},
        "point_types": [{"id": t.pk, "name": t.name} for t in PointType.objects.all()],
        "points": points,
        "indicators": indicators,
        "matrix": matrix,
        "generated_at": timezone.now().isoformat(),
    }


@dataclass
class ParsedChecklist:
    items: list[ChecklistItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def checklist_items_from_post(indicators: list[Indicator], post: Any, files: Any) -> ParsedChecklist:
    """Read a checklist round posted with the checklist form's field names
    (``result_<id>``, ``desc_<id>``, ``points_<id>``, ``photos_<id>``)."""
    out = ParsedChecklist()
    for ind in indicators:
        result = post.get(f"result_{ind.pk}", "")
        if not result:
            continue
        if result not in CheckResult.values:
            out.errors.append(f"指标 {ind.code} 的检查结果无效。")
            continue
        points = None
        raw_points = post.get(f"points_{ind.pk}", "").strip()
        if raw_points:
            try:
                points = Decimal(raw_points)
            except InvalidOperation:
                out.errors.append(f"指标 {ind.code} 的扣分“{raw_points}”不是数字。")
                continue
        out.items.append(ChecklistItem(
            indicator=ind, result=result, description=post.get(f"desc_{ind.pk}", "").strip(),
            points=points, photos=files.getlist(f"photos_{ind.pk}"),
        ))
    if not out.items and not out.errors:
        out.errors.append("请至少标记一项检查结果。")
    return out
