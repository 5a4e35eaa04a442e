"""Hand-made workbooks for the import tests, built with openpyxl."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook


def xlsx(rows: Sequence[Sequence[Any]], *, merges: Sequence[str] = (), title: str = "Sheet1",
         extra_sheets: dict[str, Sequence[Sequence[Any]]] | None = None) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` (row 1 first), with ``merges`` such as "B2:B5"."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    for name, sheet_rows in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
