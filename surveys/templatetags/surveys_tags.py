"""Template helpers of the surveys pages."""
from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """``mapping|get_item:key`` (rates per measure, charts per question)."""
    return mapping.get(key) if mapping else None


@register.filter
def percent(share: Any) -> str:
    """A share (0.9333) as "93.33%"; "—" when there is none."""
    return "—" if share is None else f"{share * 100:.2f}%"
