"""Template filters of the tasks app."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from tasks.selectors import plain_number

register = template.Library()


@register.filter
def num(value: Any, default: str = "0") -> str:
    """A quantity as people write it (see :func:`tasks.selectors.plain_number`); empty shows ``default``."""
    if value is None or value == "":
        return default
    try:
        return plain_number(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
