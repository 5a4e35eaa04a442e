"""Form widgets shared by the apps."""
from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """An HTML date input that shows its value.

    A browser's ``<input type="date">`` accepts only ``yyyy-MM-dd``; Django would
    otherwise render the value in the active locale's first input format
    (2026/11/30 under zh-hans), which the browser drops, leaving the field empty.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:  # noqa: A002
        super().__init__(attrs=attrs, format=format or ISO_DATE)
