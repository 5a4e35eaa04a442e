"""Reading real-world Excel tables safely: the generic half of the importers.

Offices keep their 测评体系, unit lists, 点位 lists and 责任分解表 in Excel, and real
tables have title rows, two-row headers, merged cells, blank lines, notes and
the odd formula. This module turns such a sheet into plain rows keyed by field
names, and reports every problem with sheet, row and column, in Chinese:

1. :func:`open_workbook` checks the bytes before openpyxl sees them: the size
   cap (``IMPORT_MAX_BYTES``), that it is a zip (an OLE container is either an
   encrypted workbook or a legacy .xls), that it is an Excel package, and that
   the zip does not expand to something huge (zip bomb), and that no sheet holds
   far more rows than the cap (:func:`count_rows` scans the XML without loading
   it: a million-row file is refused in about a second). Then it loads with
   plain openpyxl (not read-only: merged cells need the full model) and
   ``data_only=False``, so formulas are seen as formulas and reported.
2. :func:`read_table` finds the header row (or two-row header) by the column
   aliases of a :class:`TableSpec`, says which column it took for which field,
   carries vertically merged cells down for the fields that ask for it, skips
   blank, note and total rows and enforces the row cap (``IMPORT_MAX_ROWS``).
3. Small parsers for values (:func:`to_text`, :func:`to_decimal`,
   :func:`parse_deadline`, :func:`split_names`) that raise :class:`CellError`
   with a Chinese message.

The result types (:class:`Problem`, :class:`RowChange`, :class:`ImportPreview`)
are shared by every kind's importer and by the preview page and commands.
"""
from __future__ import annotations

import calendar
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Header rows are looked for among the first rows only: above them sit titles.
HEADER_SEARCH_ROWS = 12
# A first cell starting with one of these on an otherwise empty row is a note.
NOTE_PREFIXES = ("注", "说明", "备注", "填表说明", "制表", "填报说明")
TOTAL_WORDS = {"合计", "总计", "小计", "总分"}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_bytes() -> int:
    return _setting("IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def max_rows() -> int:
    return _setting("IMPORT_MAX_ROWS", 50_000)


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


class WorkbookError(Exception):
    """The file as a whole cannot be read; the message is for the user, in Chinese."""


class CellError(ValueError):
    """One value cannot be understood; the message is for the user, in Chinese."""


# --------------------------------------------------------------------------- results


@dataclass
class Problem:
    """Something wrong (``error``) or worth knowing (``warning``) about one place in the file."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    level: str = "error"

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"{self.column}列")
        return " ".join(parts)

    def __str__(self) -> str:
        label = "错误" if self.is_error else "提示"
        return f"[{label}] {self.where}：{self.message}" if self.where else f"[{label}] {self.message}"


@dataclass
class RowChange:
    """What importing one record does: ``create``, ``update`` (with the changes) or ``unchanged``."""

    action: str
    label: str
    row: int | None = None
    changes: list[str] = field(default_factory=list)

    ACTION_LABELS = {"create": "新增", "update": "更新", "unchanged": "无变化"}

    @property
    def action_label(self) -> str:
        return self.ACTION_LABELS.get(self.action, self.action)


@dataclass
class ColumnMatch:
    """Which sheet column was taken for which field, and under what header text."""

    letter: str
    header: str
    field: str
    label: str

    @property
    def via_alias(self) -> bool:
        return _norm_header(self.header) != _norm_header(self.label)

    def __str__(self) -> str:
        if self.via_alias:
            return f"{self.letter}列“{self.header}”→ {self.label}"
        return f"{self.letter}列“{self.header}”"


@dataclass
class ImportPreview:
    """Everything the preview page, the command and the apply step need to show."""

    kind: str
    kind_label: str
    sheet: str = ""
    columns: list[ColumnMatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    data_rows: int = 0
    applied: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def summary(self) -> str:
        return (
            f"{self.kind_label}：读取 {self.data_rows} 行，新增 {self.creates} 条，更新 {self.updates} 条，"
            f"无变化 {self.unchanged} 条；错误 {len(self.errors)} 个，提示 {len(self.warnings)} 个"
        )

    def as_text(self, *, limit: int | None = None) -> str:
        """The preview as plain text (management commands print this)."""
        lines = [self.summary]
        if self.sheet:
            lines.append(f"工作表：{self.sheet}")
        if self.columns:
            lines.append("列对应：" + "；".join(str(c) for c in self.columns))
        for problem in self.problems[:limit]:
            lines.append(str(problem))
        shown = [c for c in self.changes if c.action != "unchanged"]
        for change in shown[:limit]:
            where = f"第{change.row}行 " if change.row else ""
            detail = f"（{'；'.join(change.changes)}）" if change.changes else ""
            lines.append(f"{change.action_label}：{where}{change.label}{detail}")
        if limit is not None and len(shown) > limit:
            lines.append(f"…… 另有 {len(shown) - limit} 条变更未列出")
        return "\n".join(lines)


# --------------------------------------------------------------------------- opening


def _is_encrypted_ole(data: bytes) -> bool:
    # An encrypted .xlsx is an OLE compound file holding the streams
    # "EncryptionInfo" and "EncryptedPackage"; directory names are UTF-16LE.
    return "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data


def check_zip(data: bytes) -> None:
    """Refuse zips that are not Excel packages or that would expand to far more than they weigh."""
    limit = _setting("IMPORT_MAX_UNCOMPRESSED", 300 * 1024 * 1024)
    ratio_limit = _setting("IMPORT_MAX_RATIO", 200)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {info.filename for info in infos}
            total = sum(info.file_size for info in infos)
            packed = sum(info.compress_size for info in infos) or 1
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise WorkbookError("文件已损坏，无法作为 Excel 工作簿打开，请在 Excel 中重新保存为 .xlsx 后再导入。") from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if any(n.startswith("word/") for n in names):
            raise WorkbookError("这是一个 Word 文档而不是 Excel 工作簿，请上传 .xlsx 文件。")
        raise WorkbookError("文件不是 Excel 工作簿（.xlsx），请上传用 Excel 或 WPS 保存的 .xlsx 文件。")
    # Text XML compresses about 10–30×; a ratio in the hundreds over megabytes is a zip bomb.
    if total > limit or (total > 10 * 1024 * 1024 and total / packed > ratio_limit):
        raise WorkbookError(
            f"文件解压后达 {_human(total)}（压缩比约 {total // packed}:1），疑似“压缩炸弹”，已拒绝导入。"
        )


# A row element in a sheet's XML: <row ...> or, from some generators, <x:row ...>.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
# Rows a sheet may hold beyond the data cap: titles, headers, notes, blank lines.
ROW_COUNT_SLACK = HEADER_SEARCH_ROWS + 1000


def count_rows(data: bytes, *, stop_after: int | None = None) -> int:
    """The most ``<row>`` elements in any worksheet of an .xlsx, counted without loading it.

    The sheets' XML is decompressed in 1 MB pieces and scanned for row tags, so
    a million-row file is counted in about a second and a few MB, where loading
    it takes minutes and gigabytes. ``stop_after`` ends the count early once a
    sheet passes it.
    """
    most = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            n, tail = 0, b""
            with zf.open(info) as stream:
                while chunk := stream.read(1024 * 1024):
                    block = tail + chunk
                    n += len(_ROW_TAG.findall(block))
                    # Keep the end of the block in case a tag is split, without counting it twice.
                    cut = block.rfind(b"<")
                    tail = block[cut:] if cut >= len(block) - 16 else b""
                    if tail:
                        n -= len(_ROW_TAG.findall(tail))
                    if stop_after is not None and n > stop_after:
                        return n
            most = max(most, n)
    return most


def check_row_count(data: bytes) -> None:
    """Refuse a workbook whose sheets hold far more rows than the import cap, before openpyxl loads it."""
    cap = max_rows()
    limit = cap + ROW_COUNT_SLACK
    try:
        rows = count_rows(data, stop_after=limit)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise WorkbookError("文件已损坏，无法作为 Excel 工作簿打开，请在 Excel 中重新保存为 .xlsx 后再导入。") from None
    if rows > limit:
        raise WorkbookError(
            f"工作簿中的工作表超过 {limit:,} 行（数据上限 {cap:,} 行），请拆分为多个文件后再导入。"
        )


def open_workbook(data: bytes) -> Workbook:
    """Check ``data`` and open it with openpyxl; :class:`WorkbookError` says what is wrong."""
    cap = max_bytes()
    if len(data) > cap:
        raise WorkbookError(f"文件大小为 {_human(len(data))}，超过导入上限 {_human(cap)}，请拆分后再导入。")
    if not data:
        raise WorkbookError("上传的文件是空文件。")
    if data.startswith(OLE_MAGIC):
        if _is_encrypted_ole(data):
            raise WorkbookError("工作簿设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为 .xlsx 再导入。")
        raise WorkbookError("这是旧版 Excel 97-2003（.xls）文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入。")
    if not data.startswith(ZIP_MAGIC):
        raise WorkbookError("文件不是 Excel 工作簿（.xlsx）：内容与扩展名不符，请上传用 Excel 或 WPS 保存的 .xlsx 文件。")
    check_zip(data)
    check_row_count(data)
    try:
        return load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except Exception:  # openpyxl raises many kinds on broken XML; all mean the same to the user.
        raise WorkbookError("工作簿内容已损坏，无法读取，请在 Excel 中打开并重新保存为 .xlsx 后再导入。") from None


def pick_sheet(wb: Workbook, name: str | None = None) -> Worksheet:
    """The sheet named ``name`` or, without a name, the first one."""
    if name:
        if name in wb.sheetnames:
            return wb[name]
        raise WorkbookError(f"工作簿中没有名为“{name}”的工作表，现有工作表：{'、'.join(wb.sheetnames)}。")
    return wb.worksheets[0]


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """One field of a kind's table: the Chinese header, accepted variants and a note for the template."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""
    example: Any = None
    carry: bool = False  # vertically merged cells are carried down to every row they span


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[Column, ...]

    def by_field(self, name: str) -> Column:
        for column in self.columns:
            if column.field == name:
                return column
        raise KeyError(name)

    @property
    def headers(self) -> list[str]:
        return [c.label for c in self.columns]


@dataclass
class TableRow:
    """One data row: field → cleaned value, and field → column letter for messages."""

    number: int
    values: dict[str, Any]
    letters: dict[str, str]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value


@dataclass
class Table:
    sheet: str
    columns: list[ColumnMatch]
    rows: list[TableRow]
    problems: list[Problem]

    def problem(self, message: str, row: TableRow | None = None, field_name: str = "", level: str = "error") -> Problem:
        column = ""
        if row is not None and field_name:
            letter = row.letters.get(field_name, "")
            label = next((c.label for c in self.columns if c.field == field_name), field_name)
            column = f"{letter}（{label}）" if letter else label
        problem = Problem(message, sheet=self.sheet, row=row.number if row else None, column=column, level=level)
        self.problems.append(problem)
        return problem

    @property
    def has_field(self) -> set[str]:
        return {c.field for c in self.columns}


_BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")
_SPACES = re.compile(r"\s+")


def _norm_header(text: Any) -> str:
    if text is None:
        return ""
    value = str(text)
    value = _BRACKETS.sub("", value)
    value = _SPACES.sub("", value).replace("\u3000", "")
    return value.strip("*＊:：")


def clean(value: Any) -> Any:
    """A cell value with whitespace tidied and empty strings as ``None``; numbers stay numbers."""
    if isinstance(value, str):
        if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
            value = value[1:]  # our own exports quote such text (campaign.excel.safe_value)
        value = value.replace("\u3000", " ").replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
        if "\n" in value:
            value = "\n".join(line.strip() for line in value.split("\n"))
        value = value.strip()
        return value or None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _is_formula(cell: Any) -> bool:
    return getattr(cell, "data_type", None) == "f" or type(getattr(cell, "value", None)).__name__ in (
        "ArrayFormula",
        "DataTableFormula",
    )


def _merged_sources(ws: Worksheet) -> dict[tuple[int, int], tuple[int, int, bool]]:
    """(row, col) of every covered cell → (source row, source col, spans rows)."""
    sources: dict[tuple[int, int], tuple[int, int, bool]] = {}
    for rng in ws.merged_cells.ranges:
        vertical = rng.max_row > rng.min_row
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if (r, c) != (rng.min_row, rng.min_col):
                    sources[(r, c)] = (rng.min_row, rng.min_col, vertical)
    return sources


def _alias_index(spec: TableSpec) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in spec.columns:
        for name in (column.label, *column.aliases):
            index.setdefault(_norm_header(name), column)
    return index


def read_table(ws: Worksheet, spec: TableSpec) -> Table:
    """Read ``ws`` as a table of ``spec``: header found, columns matched, rows cleaned.

    Raises :class:`WorkbookError` when required columns are missing or the sheet
    has more data rows than ``IMPORT_MAX_ROWS``; everything row-level goes to
    ``Table.problems``.
    """
    sheet = ws.title
    grid = [list(row) for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]
    if not grid:
        raise WorkbookError(f"工作表“{sheet}”是空的。")
    merged = _merged_sources(ws)
    index = _alias_index(spec)

    def raw(r: int, c: int) -> Any:
        source = merged.get((r, c))
        if source:
            r, c = source[0], source[1]
        if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
            return grid[r - 1][c - 1].value
        return None

    width = max(len(row) for row in grid)

    def header_labels(top: int, two_rows: bool) -> list[str]:
        labels = []
        for c in range(1, width + 1):
            upper = _norm_header(raw(top, c))
            if not two_rows:
                labels.append(upper)
                continue
            lower = _norm_header(raw(top + 1, c))
            if lower in index:
                labels.append(lower)
            elif upper in index or not lower or lower == upper:
                labels.append(upper)
            else:
                labels.append(f"{upper}/{lower}" if upper else lower)
        return labels

    def score(labels: list[str]) -> int:
        return len({index[label].field for label in labels if label in index})

    best: tuple[int, int, bool] | None = None  # (score, row, two rows)
    for r in range(1, min(HEADER_SEARCH_ROWS, len(grid)) + 1):
        for two in (False, True):
            if two and r + 1 > len(grid):
                continue
            s = score(header_labels(r, two))
            # A two-row header must add something over either of its rows alone.
            if two and s <= max(score(header_labels(r, False)), score(header_labels(r + 1, False))):
                continue
            if s and (best is None or s > best[0]):
                best = (s, r, two)
    if best is None:
        expected = "、".join(c.label for c in spec.columns if c.required)
        raise WorkbookError(f"工作表“{sheet}”前{HEADER_SEARCH_ROWS}行中找不到表头，应包含以下列：{expected}。")
    _, header_row, two_rows = best
    labels = header_labels(header_row, two_rows)
    first_data_row = header_row + (2 if two_rows else 1)

    problems: list[Problem] = []
    columns: list[ColumnMatch] = []
    taken: dict[str, int] = {}
    for c, label in enumerate(labels, start=1):
        if not label:
            continue
        letter = get_column_letter(c)
        original = raw(header_row + (1 if two_rows and _norm_header(raw(header_row + 1, c)) in index else 0), c)
        header_text = _SPACES.sub("", str(original if original is not None else label))
        column = index.get(label)
        if column is None:
            problems.append(Problem(f"未识别的列“{header_text}”，已忽略。", sheet=sheet, column=letter, level="warning"))
            continue
        if column.field in taken:
            problems.append(
                Problem(
                    f"“{header_text}”与{get_column_letter(taken[column.field])}列都对应“{column.label}”，已采用前者、忽略本列。",
                    sheet=sheet, column=letter, level="warning",
                )
            )
            continue
        taken[column.field] = c
        match = ColumnMatch(letter, header_text, column.field, column.label)
        columns.append(match)
        if match.via_alias:
            problems.append(
                Problem(f"将“{header_text}”列作为“{column.label}”读取。", sheet=sheet, column=letter, level="warning")
            )
    missing = [c.label for c in spec.columns if c.required and c.field not in taken]
    if missing:
        found = "、".join(str(m.header) for m in columns) or "无"
        raise WorkbookError(
            f"工作表“{sheet}”缺少必需的列：{'、'.join(missing)}（识别到的列：{found}）。请使用导入模板的列名。"
        )

    carry = {c.field for c in spec.columns if c.carry}
    rows: list[TableRow] = []
    cap = max_rows()
    for r in range(first_data_row, len(grid) + 1):
        values: dict[str, Any] = {}
        letters: dict[str, str] = {}
        formula_cells: list[tuple[str, str, Any]] = []
        for name, c in taken.items():
            letter = get_column_letter(c)
            letters[name] = letter
            source = merged.get((r, c))
            if source is not None:
                src_row, src_col, vertical = source
                # Only merges inside the data area carry down; a header merge is not data.
                if not (name in carry and vertical and src_row >= first_data_row):
                    values[name] = None
                    continue
                cell = grid[src_row - 1][src_col - 1]
            elif c - 1 < len(grid[r - 1]):
                cell = grid[r - 1][c - 1]
            else:
                values[name] = None
                continue
            if _is_formula(cell):
                formula_cells.append((name, letter, cell.value))
                values[name] = None
                continue
            values[name] = clean(cell.value)
        filled = [v for v in values.values() if v is not None]
        if not filled and not formula_cells:
            continue  # blank line (or only ignored columns)
        # What the row itself holds (merged cells carried down do not count): notes and totals.
        line = grid[r - 1]
        leading = [cell.value for cell in line[:2] if not isinstance(cell, MergedCell) and isinstance(cell.value, str)]
        if any(_SPACES.sub("", v) in TOTAL_WORDS for v in leading):
            problems.append(Problem("已跳过合计行。", sheet=sheet, row=r, level="warning"))
            continue
        if len(filled) <= 1:
            own = [v for v in (clean(cell.value) for cell in line if not isinstance(cell, MergedCell)) if v is not None]
            if len(own) == 1 and isinstance(own[0], str) and own[0].startswith(NOTE_PREFIXES):
                continue  # a note under the table
        row = TableRow(r, values, letters)
        for name, letter, formula in formula_cells:
            label = spec.by_field(name).label
            text = getattr(formula, "text", formula)
            problems.append(
                Problem(
                    f"单元格是公式“{text}”，导入需要数值：请复制后“选择性粘贴为数值”再导入。",
                    sheet=sheet, row=r, column=f"{letter}（{label}）",
                )
            )
        rows.append(row)
        if len(rows) > cap:
            raise WorkbookError(f"工作表“{sheet}”的数据超过 {cap:,} 行的导入上限，请拆分为多个文件导入。")
    return Table(sheet=sheet, columns=columns, rows=rows, problems=problems)


def fill_down(rows: Sequence[TableRow], fields: Sequence[str]) -> None:
    """Blank outer cells take the value above, as people leave them blank instead of merging.

    ``fields`` go from outer to inner (测评项目, 测评内容, 测评标准). On each row,
    the fields outside the innermost one given are filled from the rows above;
    the fields inside it stay empty, so a row naming a 测评项目 alone still
    describes the 测评项目.
    """
    previous: dict[str, Any] = {}
    for row in rows:
        present = [i for i, name in enumerate(fields) if row.values.get(name) is not None]
        if not present:
            continue
        deepest = present[-1]
        for i, name in enumerate(fields):
            if i > deepest:
                previous.pop(name, None)
                continue
            if row.values.get(name) is None and name in previous:
                row.values[name] = previous[name]
            elif row.values.get(name) is not None and previous.get(name) != row.values[name]:
                # A new outer value starts a new group: inner values above no longer apply.
                for inner in fields[i + 1:]:
                    if row.values.get(inner) is None:
                        previous.pop(inner, None)
            if row.values.get(name) is not None:
                previous[name] = row.values[name]


# --------------------------------------------------------------------------- values


def to_text(value: Any, *, max_length: int | None = None, label: str = "") -> str:
    """A cell as text (numbers without a trailing .0); empty → ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise CellError(f"{label or '内容'}过长（{len(text)} 个字，最多 {max_length} 个字）。")
    return text


def to_code(value: Any) -> str:
    """A 编号 / 序号 cell as text: 1 → "1", 1.2 stays "1.2", "1．2" → "1.2"."""
    text = to_text(value).replace("．", ".").replace("。", ".").replace(" ", "")
    return text.rstrip(".")


_NUMBER = re.compile(r"^[^\d\-+.]*?([-+]?\d+(?:\.\d+)?)\s*(.*)$")


def to_decimal(value: Any, *, label: str = "数值", places: int = 2, minimum: Decimal | None = None) -> Decimal | None:
    """A number cell (or text such as "2分", "20%") as a Decimal; empty → ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(f"{label}应为数字，而不是“{value}”。")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        match = _NUMBER.match(str(value).replace(",", "").replace("，", "").strip())
        if not match:
            raise CellError(f"{label}应为数字，而不是“{value}”。")
        try:
            number = Decimal(match.group(1))
        except InvalidOperation:
            raise CellError(f"{label}应为数字，而不是“{value}”。") from None
    quantum = Decimal(1).scaleb(-places)
    number = number.quantize(quantum)
    if minimum is not None and number < minimum:
        raise CellError(f"{label}不能小于 {minimum}（填写的是 {value}）。")
    return number


def number_and_unit(value: Any) -> tuple[Decimal | None, str]:
    """"20%" → (20, "%"), "7个" → (7, "个"), 7 → (7, "")."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return to_decimal(value, label="量化目标"), ""
    match = _NUMBER.match(str(value).replace(",", "").strip())
    if not match:
        raise CellError(f"量化目标应为数字（可带单位，如“20%”“7个”），而不是“{value}”。")
    return to_decimal(match.group(1), label="量化目标"), match.group(2).strip()[:20]


_SPLIT = re.compile(r"[、，,；;/\n]+|\s{1,}")


def split_names(value: Any) -> list[str]:
    """"市城管局、市住建局" → two names; duplicates and blanks dropped, order kept."""
    if value is None:
        return []
    names: list[str] = []
    for part in _SPLIT.split(str(value)):
        part = part.strip().strip("。.")
        if part and part not in names:
            names.append(part)
    return names


_ENUMERATION = re.compile(
    r"^\s*(?:[（(]?[一二三四五六七八九十百]+[）)、.．]|[（(]\d+[）)]|\d+(?:\.\d+)*(?:[、．)）]|\.(?!\d)|\s+))\s*"
)


def strip_enumeration(name: str) -> str:
    """"一、公共环境" / "（二）市容市貌" / "1.2 市容市貌" → the name without its list number."""
    return _ENUMERATION.sub("", name, count=1).strip() or name.strip()


@dataclass(frozen=True)
class Deadline:
    day: dt.date | None
    ongoing: bool
    text: str


ONGOING_WORDS = ("长期坚持", "长期", "持续推进", "常态化", "持续开展", "长期开展", "常年", "全年")
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YM = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(底|末|上旬|中旬|下旬|(\d{1,2})\s*[日号])?")
_YEAR_END = re.compile(r"^(?:(\d{4})\s*年)?\s*年?(底|末)")


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_deadline(value: Any, *, year: int) -> Deadline:
    """A 完成时限 cell as a date, or 长期坚持.

    Accepted: real dates; "2026-09-30", "2026/9/30", "2026年9月30日"; "9月30日前"
    (``year`` supplied); "2026年9月底" / "9月底前" / "9月末" (last day of the
    month); "9月上旬/中旬/下旬" (10th, 20th, last day); "年底"/"2026年底" (31
    Dec); "长期坚持" and similar words (no date). A trailing 前/之前/完成 is ignored.
    """
    if value is None or value == "":
        return Deadline(None, False, "")
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Deadline(value, False, "")
    text = str(value).strip()
    compact = _SPACES.sub("", text)
    if any(compact.startswith(word) for word in ONGOING_WORDS):
        return Deadline(None, True, text)
    try:
        match = _YMD.match(compact)
        if match:
            return Deadline(dt.date(int(match[1]), int(match[2]), int(match[3])), False, text)
        match = _YM.match(compact)
        if match:
            y = int(match[1]) if match[1] else year
            m = int(match[2])
            suffix = match[3]
            if not (1 <= m <= 12):
                raise ValueError
            if suffix is None or suffix in ("底", "末", "下旬"):
                day = _last_day(y, m)
            elif suffix == "上旬":
                day = dt.date(y, m, 10)
            elif suffix == "中旬":
                day = dt.date(y, m, 20)
            else:
                day = dt.date(y, m, int(match[4]))
            return Deadline(day, False, text)
        match = _YEAR_END.match(compact)
        if match:
            return Deadline(dt.date(int(match[1]) if match[1] else year, 12, 31), False, text)
    except ValueError:
        raise CellError(f"完成时限“{text}”不是有效日期。") from None
    raise CellError(
        f"无法识别完成时限“{text}”：请填写日期（如 2026-09-30）、“2026年9月底”、“9月30日前”或“长期坚持”。"
    )
