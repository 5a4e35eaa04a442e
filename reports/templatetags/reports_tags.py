"""Template filters of the reports app: figures read the same on every page as in the documents."""
from __future__ import annotations

from decimal import Decimal

from django import template

from reports.data import change_text as _change_text

register = template.Library()


@register.filter
def change_text(change: Decimal | None) -> str:
    """较上月 (``reports.data.change_text``): ▲ +0.30, ▼ -0.70, 持平, or — without a last month."""
    return _change_text(change)


@register.filter
def change_class(change: Decimal | None) -> str:
    """The colour of a 较上月: green up, red down, muted level or unknown."""
    if change is None or change == 0:
        return "text-muted"
    return "text-success" if change > 0 else "text-danger"
