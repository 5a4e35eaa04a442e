"""Template helpers of the ledger pages: a row's cell by its column's attribute path."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def cell(row: Any, attr: str) -> str:
    """``row|cell:"unit.name"`` → the value as the list shows it ("—" when empty)."""
    value: Any = row
    for part in attr.split("."):
        value = getattr(value, part, None)
        if callable(value):
            value = value()
        if value is None:
            return "—"
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value) if value != "" else "—"


@register.filter
def get_figure(figures: dict, key: str) -> Any:
    return figures.get(key)
