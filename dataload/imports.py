"""Excel import and export of every kind of table, in one place: the registry of import kinds.

The registry :data:`KINDS` holds 测评体系 (``indicators``), 责任单位 (``units``),
点位 (``points``), 责任分解表 (``tasks``) and whatever kinds other apps add. It
lives in ``dataload``, at the top of the import order, because it must know the
importers of every app; each app's importer (``campaign/importers.py``,
``tasks/importers.py`` …) knows nothing of the registry or of the apps above it.

**Adding a kind is one line**: write an :class:`campaign.importers.ImportKind`
in your app (e.g. ``VOLUNTEERS`` in ``ledgers/importers.py``) and append its
dotted path to :data:`KIND_PATHS` below. The page (``tasks-import``), its
template and export links, and the ``import_workbook`` / ``export_workbook``
commands all read :data:`KINDS`, so nothing else changes.

Every import runs in two steps, the same from the web page and the command:

1. :func:`import_preview` reads the workbook and says what would be created,
   updated or left unchanged, and every problem, without writing anything.
2. :func:`import_apply` reads it again inside one transaction, refuses if there
   is any error, writes everything, and records ``import.apply`` in the audit
   log. All rows or none.
"""
from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from campaign import audit
from campaign.excel import HEADER_FILL, HEADER_FONT, table_workbook, write_table
from campaign.importers import ImportKind, Plan
from campaign.models import Campaign
from campaign.periods import file_name
from campaign.workbook import ImportPreview, Problem, WorkbookError, open_workbook, pick_sheet, read_table

# The kinds, in the order the import page lists them. One line per kind.
KIND_PATHS: tuple[str, ...] = (
    "campaign.importers.INDICATORS",
    "materials.importers.REQUIREMENTS",  # the 材料要求 sheet beside the 测评体系 (materials/importers.py)
    "campaign.importers.UNITS",
    "campaign.importers.POINTS",
    "tasks.importers.TASKS",
    "ledgers.importers.POPULATION",
    "ledgers.importers.VOLUNTEERS",
    "ledgers.importers.BOARDS",
    "ledgers.importers.FAMILIES",
    "ledgers.importers.MEETINGS",
    "ledgers.importers.HONOURS",
    "ledgers.importers.HYGIENE",
)

KINDS: dict[str, ImportKind] = {kind.key: kind for kind in map(import_string, KIND_PATHS)}
NOTES_SHEET = "说明"


class ImportRejected(Exception):
    """Apply refused: the workbook has errors. ``preview`` lists them."""

    def __init__(self, preview: ImportPreview):
        super().__init__(preview.summary)
        self.preview = preview


def get_kind(key: str) -> ImportKind:
    try:
        return KINDS[key]
    except KeyError:
        names = "、".join(f"{k}（{v.label}）" for k, v in KINDS.items())
        raise WorkbookError(f"未知的导入类型“{key}”，可选：{names}。") from None


def _build(campaign: Campaign, kind: ImportKind, data: bytes, sheet: str | None) -> tuple[ImportPreview, Plan | None]:
    preview = ImportPreview(kind=kind.key, kind_label=kind.label)
    try:
        wb = open_workbook(data)
        ws = pick_sheet(wb, sheet)
        preview.sheet = ws.title
        table = read_table(ws, kind.spec)
    except WorkbookError as exc:
        preview.problems.append(Problem(str(exc)))
        return preview, None
    plan = kind.plan(campaign, table)
    preview.columns = table.columns
    preview.problems = table.problems
    preview.changes = plan.changes
    preview.data_rows = len(table.rows)
    return preview, plan


def import_preview(*, campaign: Campaign, kind: str, data: bytes, sheet: str | None = None) -> ImportPreview:
    """What importing ``data`` as ``kind`` would do. Writes nothing."""
    preview, _ = _build(campaign, get_kind(kind), data, sheet)
    return preview


def import_apply(
    *,
    campaign: Campaign,
    kind: str,
    data: bytes,
    sheet: str | None = None,
    actor: Any = None,
    request: HttpRequest | None = None,
    filename: str = "",
    actor_name: str = "",
) -> ImportPreview:
    """Import ``data`` as ``kind`` in one transaction, or raise :class:`ImportRejected` and write nothing.

    The workbook is read again here rather than trusting an earlier preview:
    the database may have changed since.
    """
    import_kind = get_kind(kind)
    with transaction.atomic():
        # One import per campaign at a time: the second waits for the first to finish.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        preview, plan = _build(campaign, import_kind, data, sheet)
        if plan is None or preview.has_errors:
            raise ImportRejected(preview)
        plan.apply()
        audit.record(
            "import.apply",
            actor=actor,
            actor_name=actor_name,
            obj=campaign,
            request=request,
            after={
                "kind": import_kind.key,
                "kind_label": import_kind.label,  # the audit page says 导入了测评体系
                "file": filename,
                "sha256": hashlib.sha256(data).hexdigest(),
                "sheet": preview.sheet,
                "rows": preview.data_rows,
                "created": preview.creates,
                "updated": preview.updates,
                "unchanged": preview.unchanged,
                "changes": [
                    f"第{c.row}行 {c.label}：{'；'.join(c.changes)}" for c in preview.changes if c.action == "update"
                ][:200],
            },
            message=f"导入{preview.summary}"[:300],
        )
    preview.applied = True
    return preview


def template_workbook(kind: str) -> Workbook:
    """The template for ``kind``: headers, one example row, and a 说明 sheet explaining each column."""
    import_kind = get_kind(kind)
    wb = table_workbook(import_kind.sheet_title, import_kind.spec.headers, [import_kind.example_row()])
    notes = wb.create_sheet(NOTES_SHEET)
    notes.append([f"{import_kind.label}导入说明"])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append([import_kind.intro])
    notes.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    notes["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    notes.row_dimensions[2].height = 60
    notes.append([
        "表头可以有标题行、两行表头和合并单元格；空行和“注：”开头的说明行会被跳过。公式请先粘贴为数值。"
        "导入前会先预览，确认无误后一次性全部写入。"
    ])
    notes.merge_cells(start_row=3, start_column=1, end_row=3, end_column=4)
    notes["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    notes.row_dimensions[3].height = 40
    notes.append([])
    start = notes.max_row + 1
    headers = ["列名", "是否必填", "说明", "也可写作"]
    notes.append(headers)
    for cell in notes[start]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in import_kind.spec.columns:
        notes.append([column.label, "必填" if column.required else "选填", column.note, "、".join(column.aliases)])
    for letter, width in zip("ABCD", (16, 10, 60, 40)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=start + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return wb


def export_workbook(*, campaign: Campaign, kind: str) -> Workbook:
    """``kind`` as it is in the database, in the template's columns (so it imports back unchanged)."""
    import_kind = get_kind(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = import_kind.sheet_title
    write_table(ws, import_kind.spec.headers, import_kind.export_rows(campaign))
    return wb


def export_filename(campaign: Campaign, kind: str) -> str:
    return file_name(f"{campaign.name}-{get_kind(kind).label}", "xlsx")
