"""Template filters of the tasks app."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any, default: str = "0") -> str:
    """A quantity without trailing zeros and never in exponent form: 18.50 → 18.5, 100.00 → 100."""
    if value is None or value == "":
        return default
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(d.normalize(), "f")
    return text
