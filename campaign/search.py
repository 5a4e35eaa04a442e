"""The point search column: what an inspector may type to find a point.

Each :class:`~campaign.models.InspectionPoint` keeps ``search_text``, one
lowercased string built from its name, point type, 包保 unit and address, with
the pinyin of the name, type and unit in full (``renminlu``) and as initials
(``rml``). Fields are marked so that a query can rank where it matched:

* ``^`` starts the name and its pinyin forms (rank 0: the name starts with what was typed),
* ``|`` starts every other field (rank 1: a type, unit or address starts with it),
* anything else is a match inside a word (rank 2).

The column is kept up to date by ``InspectionPoint.save()``, by the points
import (which writes in bulk) and by renaming a point type or unit (signals
below); ``refresh_point_search()`` rebuilds it for any set of points.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pypinyin import lazy_pinyin

SEARCH_TEXT_MAX = 600
NAME_MARK = "^"
FIELD_MARK = "|"
NOT_HAN = "\x00"
_KEEP = re.compile(r"[^0-9a-z]+")


def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of ``text``, letters and digits only: 人民路（城东段） → renminluchengdongduan, rmlcdd.

    Letters and digits already in the text stay whole in both (G105国道 → g105guodao, g105gd).
    """
    full, initials = [], []
    for piece in lazy_pinyin(text or "", errors=lambda rest: [NOT_HAN + rest]):
        kept = _KEEP.sub("", piece.lower())
        if not kept:
            continue
        full.append(kept)
        initials.append(kept if piece.startswith(NOT_HAN) else kept[0])
    return "".join(full), "".join(initials)


def build_search_text(*, name: str, type_name: str = "", unit_names: Iterable[str] = (), address: str = "") -> str:
    """The marked, lowercased search string of one point (see the module docstring)."""
    name_full, name_initials = pinyin_forms(name)
    parts = [NAME_MARK + (name or "").lower(), NAME_MARK + name_full, NAME_MARK + name_initials]
    others = [type_name, *unit_names, address]
    for text in others:
        if text:
            parts.append(FIELD_MARK + text.lower())
    for text in [type_name, *unit_names]:
        if text:
            full, initials = pinyin_forms(text)
            parts += [FIELD_MARK + full, FIELD_MARK + initials]
    return " ".join(p for p in parts if len(p) > 1)[:SEARCH_TEXT_MAX]


def point_search_text(point: Any) -> str:
    unit = point.unit if point.unit_id else None
    unit_names = [n for n in dict.fromkeys([unit.name, unit.short_name]) if n] if unit else []
    return build_search_text(
        name=point.name, type_name=point.point_type.name if point.point_type_id else "", unit_names=unit_names,
        address=point.address,
    )


def search_terms(text: str) -> list[str]:
    """What was typed, split on spaces, lowercased, without the markers (they only mean 'start of a field')."""
    cleaned = (text or "").lower().replace(NAME_MARK, " ").replace(FIELD_MARK, " ")
    return [t for t in cleaned.split() if t][:5]


def refresh_point_search(points: Iterable[Any] | None = None) -> int:
    """Rebuild ``search_text`` of these points (default: all); returns how many changed."""
    from .models import InspectionPoint

    qs = InspectionPoint.objects.select_related("point_type", "unit")
    rows = list(qs) if points is None else list(qs.filter(pk__in=[p.pk if hasattr(p, "pk") else p for p in points]))
    changed = []
    for point in rows:
        text = point_search_text(point)
        if text != point.search_text:
            point.search_text = text
            changed.append(point)
    InspectionPoint.objects.bulk_update(changed, ["search_text"], batch_size=500)
    return len(changed)


def _type_renamed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:
        refresh_point_search(instance.points.values_list("pk", flat=True))


def _unit_renamed(sender: Any, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if created or (update_fields is not None and not {"name", "short_name"} & set(update_fields)):
        return
    refresh_point_search(instance.points.values_list("pk", flat=True))


def connect() -> None:
    """Called from ``CampaignConfig.ready``: renaming a type or unit renames it in its points' search text."""
    from django.db.models.signals import post_save

    from .models import PointType, Unit

    post_save.connect(_type_renamed, sender=PointType, dispatch_uid="point_search_type")
    post_save.connect(_unit_renamed, sender=Unit, dispatch_uid="point_search_unit")
