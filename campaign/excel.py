"""Writing .xlsx files that are safe and pleasant to open in Excel / WPS.

- Text that a spreadsheet would take for a formula (starting with ``=``, ``+``,
  ``-``, ``@``, tab or CR) is written as text: openpyxl stores it as a string
  cell, never a formula, and we prefix a single quote so the value shown is the
  user's text but no office suite evaluates it.
- Headers are frozen and filtered; widths fit Chinese text.

Table exports that can grow with the data go through :func:`stream_table`: a
write-only workbook written row by row into a temporary file (the rows are an
iterator, e.g. ``queryset.iterator(chunk_size=...)``), then streamed to the
browser as a ``FileResponse`` — memory stays flat however many rows there are.
Small fixed workbooks (import templates and their 说明 sheet) use
:func:`table_workbook` / :func:`write_table` and :func:`xlsx_response`. Every
download goes through ``campaign.downloads.send`` (audited).
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.http import HttpRequest, HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import downloads

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F8D7DA")
SCORE_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"


def safe_value(value: Any) -> Any:
    """A cell value that can never be evaluated as a formula."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
        return value
    if isinstance(value, (int, float, Decimal, dt.date, dt.datetime, bool)):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return safe_value(str(value))


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    number_formats: dict[int, str] | None = None,
    max_width: int = 60,
) -> int:
    """Write a header row and rows to a normal (not write-only) sheet; returns the row count."""
    number_formats = number_formats or {}
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [_display_width(h) for h in headers]
    count = 0
    for row in rows:
        values = [safe_value(v) for v in row]
        ws.append(values)
        count += 1
        for i, value in enumerate(values):
            if i < len(widths):
                widths[i] = max(widths[i], min(_display_width(value), max_width))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(width + 2, max_width))
        fmt = number_formats.get(i - 1)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
        else:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                if isinstance(cell.value, (dt.date, dt.datetime)):
                    cell.number_format = DATE_FORMAT
    ws.freeze_panes = "A2"
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def header_cells(ws: Worksheet, headers: Sequence[str]) -> list[Cell]:
    """Styled header cells for a write-only sheet (``ws.append(header_cells(ws, headers))``)."""
    cells = []
    for h in headers:
        # row/column must be set: write-only sheets repr() the cell while binding it.
        cell = Cell(ws, row=1, column=1, value=h)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


# Column widths of a streamed sheet are fitted to the header and the first rows (a write-only
# sheet takes its widths before any row).
WIDTH_SAMPLE_ROWS = 500
# Rows fetched from the database at a time by callers that stream a queryset.
STREAM_CHUNK_ROWS = 2000


def write_table_streamed(
    ws: Any,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    number_formats: dict[int, str] | None = None,
    max_width: int = 60,
) -> int:
    """Write a header row and rows to a write-only sheet; frozen header, filters, fitted widths, formats.

    Returns the number of data rows. ``rows`` is consumed once, lazily.
    """
    number_formats = number_formats or {}
    rows = iter(rows)
    sample = [[safe_value(v) for v in row] for row in itertools.islice(rows, WIDTH_SAMPLE_ROWS)]
    widths = [_display_width(h) for h in headers]
    for values in sample:
        for i, value in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], min(_display_width(value), max_width))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(width + 2, max_width))
    ws.freeze_panes = "A2"
    ws.append(header_cells(ws, headers))

    def cells(values: list[Any]) -> list[Any]:
        out = []
        for i, value in enumerate(values):
            fmt = number_formats.get(i)
            if fmt is None and isinstance(value, (dt.date, dt.datetime)):
                fmt = DATE_FORMAT
            if fmt is None or value is None:
                out.append(value)
                continue
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = fmt
            out.append(cell)
        return out

    count = 0
    for values in itertools.chain(sample, ([safe_value(v) for v in row] for row in rows)):
        ws.append(cells(values))
        count += 1
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def with_progress(rows: Iterable[Any], total: int, progress: Any, *, every: int = 10_000) -> Iterator[Any]:
    """Pass ``rows`` through, telling ``progress(percent, message)`` every ``every`` rows how far
    the writing got (10 % → 95 %: a report job's progress bar while a large export is written)."""
    for count, row in enumerate(rows, start=1):
        if progress and total and count % every == 0:
            progress(10 + 85 * min(count, total) // total, f"已写入 {count:,} / {total:,} 行")
        yield row


def table_file(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> IO[bytes]:
    """A one-sheet .xlsx written (write-only) into a temporary file, returned open at its start.

    The file disappears when it is closed (``FileResponse`` closes it after sending).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    write_table_streamed(ws, headers, rows, **kwargs)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        wb.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def stream_table(
    request: HttpRequest | None,
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    filename: str,
    number_formats: dict[int, str] | None = None,
    what: str = "导出表格",
    obj: Any = None,
    details: dict | None = None,
) -> HttpResponse:
    """A table export as an audited streamed download (see :func:`table_file`); ``obj``/``details`` go to its audit row."""
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    handle = table_file(title, headers, rows, number_formats=number_formats)
    return downloads.send(
        request, handle, filename=filename, content_type=XLSX_CONTENT_TYPE, what=what, obj=obj, details=details
    )


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    write_table(ws, headers, rows, **kwargs)
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(wb: Workbook | bytes, filename: str, *, request: HttpRequest | None = None, what: str = "导出表格") -> HttpResponse:
    """An attachment response (audited, through ``campaign.downloads.send``); ``filename`` may be Chinese."""
    data = wb if isinstance(wb, bytes) else workbook_bytes(wb)
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    return downloads.send(request, data, filename=filename, content_type=XLSX_CONTENT_TYPE, what=what)
