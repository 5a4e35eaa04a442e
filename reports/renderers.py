"""Renderers: lay out a :class:`reports.data.ReportData` as a PDF or a workbook.

Renderers know nothing about Celery, jobs or storage; each returns a
:class:`RenderedFile` ``(filename, mimetype, content)``. Tests and the
benchmark call them directly; ``reports.services.report_job_run`` calls them
for the worker and ``render_report`` calls them from the command line.

``progress`` (optional) is called as ``progress(percent, message)`` between
steps so the job page can show how far a render has come.
"""
from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.html import escape
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from campaign.excel import (
    SCORE_FORMAT,
    XLSX_CONTENT_TYPE,
    _display_width,
    header_cells,
    safe_value,
)
from campaign.pdf import CJK_FONT_FAMILY, STATIC_DIR, render_pdf, safe_url_fetcher
from campaign.periods import file_name
from campaign.textgrid import grid_header, grid_row

from .data import RANKING_LABELS, ReportData, deduction, ranking_cells, summary_figures, without_rows
from .scoring import KIND_LABELS

PDF_CONTENT_TYPE = "application/pdf"
Progress = Callable[[int, str], None]

# Above this many units in a group the chart shows the distribution of scores
# (units per 5-point band) instead of one bar per unit, which would not fit a page.
CHART_MAX_BARS = 40



class RenderedFile(NamedTuple):
    filename: str
    mimetype: str
    content: bytes
    # A file too large for memory (the 迎检 archive) is built on disk: ``path`` names it and
    # ``content`` is empty; job_services._store moves it into storage.
    path: str | None = None


def _noop(percent: int, message: str) -> None:
    return None


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------- the chart

def score_axis(low: Decimal, high: Decimal) -> tuple[Decimal, Decimal]:
    """The bar chart's axis (start, end): from 0 when scores spread widely, else from a round number
    (a multiple of 5) at least 5 points below the lowest score, so scores between 90 and 101 show
    their differences instead of ten bars of almost the same length."""
    high = Decimal(high)
    if low < 50:
        return Decimal(0), high
    start = Decimal(int((low - 5) // 5) * 5)
    return max(start, Decimal(0)), high


def score_chart_svg(title: str, units: Sequence[Any], full_score: Decimal | None = None) -> str:
    """A horizontal bar chart of scores as inline SVG (WeasyPrint renders it; no files, no network).

    Every piece of text is escaped: unit names are user data. Per-unit bars start at
    :func:`score_axis` (the axis' start and end are printed above the bars).
    """
    if not units:
        return ""
    full = Decimal(full_score if full_score is not None else max(u.full_score for u in units)) or Decimal(100)
    base = Decimal(0)
    if len(units) <= CHART_MAX_BARS:
        bars = [(u.unit_name, u.score) for u in units]
        value_label = _fmt
        base, full = score_axis(min(u.score for u in units), max([full, *(u.score for u in units)]))
    else:
        # Distribution: units per 5-point band, highest band first.
        counts: dict[int, int] = {}
        for u in units:
            band = min(int(u.score // 5) * 5, int(full) - 5 if full >= 5 else 0)
            counts[band] = counts.get(band, 0) + 1
        bars = [(f"{b}–{b + 5}分", Decimal(counts[b])) for b in sorted(counts, reverse=True)]
        full = Decimal(max(counts.values()))
        value_label = lambda v: f"{int(v)}个单位"  # noqa: E731
    label_w, bar_w, row_h, top = 150, 330, 16, 22
    width, height = label_w + bar_w + 70, top + row_h * len(bars) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart" role="img">',
        f'<text x="0" y="14" font-size="11" font-weight="bold">{escape(title)}</text>',
    ]
    if base > 0:
        parts.append(f'<text x="{label_w}" y="{top - 3}" font-size="8" fill="#555">{base:.0f}</text>'
                     f'<text x="{label_w + bar_w}" y="{top - 3}" font-size="8" fill="#555" text-anchor="end">{full:.0f}</text>')
    span = full - base
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        length = float(max(Decimal(0), min(value, full) - base) / span) * bar_w if span > 0 else 0
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 11}" font-size="9" text-anchor="end">{escape(str(label)[:14])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{length:.1f}" height="{row_h - 5}" fill="#c0392b"/>'
            f'<text x="{label_w + length + 3:.1f}" y="{y + 11}" font-size="9">{escape(value_label(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- PDF

# ---------------------------------------------------------------- the appendix lines
#
# Each appendix line (and ranking row) is one preformatted text in columns for the monospaced CJK
# font, laid out by campaign.textgrid.grid_row: a table row cost ~5× more boxes (and time) in
# WeasyPrint. Text whose width we cannot know in advance is only ever in the last column, 说明.

# (header, width in cells, right-aligned); one cell between columns. A4 at 9 pt holds 112 cells (178 mm).
APPENDIX_COLUMNS = (("类型", 13, False), ("指标", 8, False), ("日期", 8, False), ("分值", 6, True),
                    ("整改情况", 20, False), ("说明", 51, False))
# The ranking (二、考核排名) the same way: 1,000 units' rows cost as much as the appendix's lines did.
# Titles and cell texts are the page's (reports.data.RANKING_LABELS, ranking_cells); 较上月 holds
# "▼ -100.00" (▲/▼ are two cells). 101 cells + 8 gaps = 109.
RANKING_KEYS = (("rank", 4, True), ("name", 44, False), ("findings", 8, True), ("penalty", 8, True),
                ("task", 8, True), ("bonus", 6, True), ("corrections", 6, True), ("score", 7, True), ("change", 10, True))
RANKING_COLUMNS = tuple((RANKING_LABELS[key], width, right) for key, width, right in RANKING_KEYS)


def appendix_row(values: Sequence[str]) -> str:
    """One appendix line in ``APPENDIX_COLUMNS``."""
    return grid_row(values, APPENDIX_COLUMNS)


APPENDIX_HEADER = grid_header(APPENDIX_COLUMNS)
RANKING_HEADER = grid_header(RANKING_COLUMNS)


def ranking_row(unit: Any) -> str:
    """One unit's ranking row in ``RANKING_COLUMNS``: the cells the page shows (``ranking_cells``)."""
    cells = ranking_cells(unit)
    return grid_row([cells[key] for key, _width, _right in RANKING_KEYS], RANKING_COLUMNS)


def appendix_lines(data: ReportData, unit: Any) -> list[dict[str, Any]]:
    """A unit's score lines for the appendix: each with its kind, rectification state and ``text``,
    the line laid out by :func:`appendix_row` (说明 names the point unless it already does)."""
    lines = []
    for line in unit.lines:
        kind = KIND_LABELS.get(line.kind, line.kind)
        rectification = data.rectification_for(line)
        label = line.label
        if line.point_name and line.point_name not in label:
            label = f"{line.point_name}：{label}"
        date = f"{line.date.month}月{line.date.day}日" if line.date else ""
        text = appendix_row([kind, line.indicator_code, date, f"{line.points:.2f}", rectification, label])
        lines.append({"kind": kind, "line": line, "rectification": rectification, "text": text})
    return lines


def bulletin_context(data: ReportData, *, appendix: bool = True) -> dict[str, Any]:
    groups = [
        {"name": name, "units": members, "rows": [ranking_row(u) for u in members],
         "chart": score_chart_svg(f"{name}得分", members)}
        for name, members in data.groups
    ]
    appendix_units = []
    if appendix:
        for unit in data.units:
            lines = appendix_lines(data, unit)
            if lines:
                appendix_units.append({"unit": unit, "lines": lines})
    return {
        "data": data,
        "figures": summary_figures(data),
        "groups": groups,
        "appendix": appendix,
        "appendix_units": appendix_units,
        "appendix_header": APPENDIX_HEADER,
        "ranking_header": RANKING_HEADER,
        "generated_at": timezone.localtime(),
    }


def render_bulletin_pdf(data: ReportData, *, progress: Progress | None = None, appendix: bool = True) -> RenderedFile:
    """The monthly results bulletin (考核结果通报) as A4 PDF bytes."""
    progress = progress or _noop
    progress(40, "正在排版通报")
    context = bulletin_context(data, appendix=appendix)
    progress(50, "正在生成 PDF")
    content = render_pdf("reports/pdf_bulletin.html", context)
    progress(90, "PDF 已生成")
    return RenderedFile(file_name(data.title, "pdf"), PDF_CONTENT_TYPE, content)


# ---------------------------------------------------------------- workbook

def _cell(ws: Any, value: Any, number_format: str | None = None) -> Any:
    if number_format is None:
        return safe_value(value)
    cell = WriteOnlyCell(ws, value=safe_value(value))
    cell.number_format = number_format
    return cell


class _Sheet:
    """A write-only sheet with a frozen, filtered header row and fitted widths.

    Widths must be set before the first row in write-only mode, so they are
    estimated from the header and a sample of rows the caller passes in.
    """

    def __init__(self, wb: Workbook, title: str, headers: Sequence[str], formats: dict[int, str],
                 sample: Sequence[Sequence[Any]] = (), widths: dict[int, int] | None = None):
        self.ws = wb.create_sheet(title)
        self.headers = list(headers)
        self.formats = formats
        widths = widths or {}
        for i, header in enumerate(self.headers):
            width = widths.get(i) or max([_display_width(header)] + [_display_width(r[i]) for r in sample[:200]])
            self.ws.column_dimensions[get_column_letter(i + 1)].width = max(8, min(width + 2, 60))
        self.ws.freeze_panes = "A2"
        self.ws.append(header_cells(self.ws, self.headers))
        self.rows = 0

    def append(self, values: Sequence[Any]) -> None:
        ws, formats = self.ws, self.formats
        self.ws.append([_cell(ws, v, formats.get(i)) if v is not None else None for i, v in enumerate(values)])
        self.rows += 1

    def close(self) -> None:
        last = get_column_letter(len(self.headers))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def render_workbook_xlsx(data: ReportData, *, progress: Progress | None = None) -> RenderedFile:
    """The monthly workbook (月度考核数据): 概况, 排名, 扣分明细, 指标失分, 整改情况, 任务完成 and
    (when the data carries the year) 年度汇总: the year's published months up to this one.

    Written in openpyxl's write-only mode (rows stream to the file; memory
    stays flat for thousands of units). 排名 has the page's column titles
    (``RANKING_LABELS``) and signs: deductions negative, like 分值 in 扣分明细
    (the score lines); 指标失分 counts points lost, positive.
    """
    progress = progress or _noop
    wb = Workbook(write_only=True)
    # Dates need no explicit format: openpyxl gives date cells yyyy-mm-dd by itself, and every
    # styled cell costs about three plain ones in write-only mode.
    S, P = SCORE_FORMAT, "0.0%"

    progress(25, "正在写入概况")
    summary = _Sheet(wb, "概况", ["项目", "数值"], {}, widths={0: 30, 1: 60})
    summary.append(["标题", data.title])
    summary.append(["数据说明", data.data_note])
    if data.digest_short:
        summary.append(["快照摘要（SHA-256）", data.digest])
    for label, value in summary_figures(data):
        summary.append([label, value])
    for i, ind in enumerate(data.top_indicators, 1):
        summary.append([f"扣分较多的测评指标{i}：{ind.label}", f"问题{ind.findings}个，扣分{ind.points:.2f}，涉及{ind.units}个单位"])
    summary.close()

    progress(30, "正在写入排名")
    ranking = _Sheet(
        wb, "排名",
        ["考核组别", *(RANKING_LABELS[k] for k in ("rank", "name")), "满分",
         *(RANKING_LABELS[k] for k in ("findings", "penalty", "task", "bonus", "corrections")), "及格率",
         *(RANKING_LABELS[k] for k in ("score", "score_rate", "change"))],
        {3: S, 4: S, 5: S, 6: S, 7: S, 8: S, 9: P, 10: S, 11: P, 12: S},
        widths={0: 12, 2: 24},
    )
    for group, members in data.groups:
        for u in members:
            ranking.append([
                group, u.rank, u.unit_name, u.full_score, deduction(u.finding_deductions), deduction(u.penalty_deductions),
                deduction(u.task_deductions), u.bonus, u.corrections, u.pass_rate, u.score, u.score_rate, u.change,
            ])
    ranking.close()

    progress(45, "正在写入扣分明细")
    details = _Sheet(
        wb, "扣分明细",
        ["单位", "考核组别", "类型", "指标编号", "点位", "说明", "日期", "分值", "整改情况"],
        {7: S},
        widths={0: 24, 1: 12, 2: 12, 3: 10, 4: 20, 5: 50, 6: 12, 7: 8, 8: 16},
    )
    for u in data.units:
        for line in u.lines:
            details.append([
                u.unit_name, u.ranking_group, KIND_LABELS.get(line.kind, line.kind), line.indicator_code,
                line.point_name, line.label, line.date, line.points, data.rectification_for(line),
            ])
    details.close()

    progress(60, "正在写入指标失分矩阵")
    codes = data.matrix_codes
    matrix = _Sheet(
        wb, "指标失分",
        ["单位", "考核组别", *codes, "合计"],
        {i: S for i in range(2, len(codes) + 3)},
        widths={0: 24, 1: 12, **{i: 9 for i in range(2, len(codes) + 3)}},
    )
    for u in data.units:
        row = data.matrix.get(u.unit_id, {})
        values = [row.get(code) for code in codes]
        matrix.append([u.unit_name, u.ranking_group, *values, sum(row.values(), Decimal("0"))])
    matrix.close()

    progress(75, "正在写入整改情况")
    rect = _Sheet(
        wb, "整改情况",
        ["单位", "指标编号", "指标", "点位", "问题描述", "扣分", "发现日期", "整改时限", "状态", "销号日期", "整改情况"],
        {5: S},
        widths={0: 24, 1: 10, 2: 20, 3: 20, 4: 50, 5: 8, 6: 12, 7: 12, 8: 10, 9: 12, 10: 16},
    )
    for f in data.findings:
        rect.append([
            f.unit_name, f.indicator_code, f.indicator_name, f.point_name, f.description, f.points,
            f.found_on, f.rectify_deadline, f.status_label, f.accepted_on, f.rectification_label,
        ])
    rect.close()

    progress(85, "正在写入任务完成情况")
    tasks = _Sheet(
        wb, "任务完成",
        ["单位", "序号", "任务", "完成时限", "状态", "完成日期", "是否按时"],
        {},
        widths={0: 24, 1: 8, 2: 50, 3: 12, 4: 10, 5: 12, 6: 10},
    )
    for t in data.tasks:
        on_time = "" if t.on_time is None else ("按时" if t.on_time else "逾期")
        tasks.append([t.unit_name, t.code, t.title, t.deadline, t.status_label, t.completed_on, on_time])
    tasks.close()

    year = data.year_summary
    if year is not None:
        progress(88, "正在写入年度汇总")
        labels = [f"{m.month}月" + (f"（权重{year.weight(m).normalize()}）" if year.weighted else "") for m in year.months]
        # Where the campaign counts 材料审核 scores in the year: the months' average and their sum too.
        extra = ["月份平均", "材料审核"] if year.material_counted else []
        annual = _Sheet(
            wb, "年度汇总",
            ["考核组别", "年度排名", "单位", "年度得分", "计入月数", *labels, *extra],
            {3: S, **{i: S for i in range(5, len(labels) + len(extra) + 5)}},
            widths={0: 12, 1: 8, 2: 24, 3: 10, 4: 8, **{i: 9 for i in range(5, len(labels) + len(extra) + 5)}},
        )
        for u in year.units:
            annual.append([u.ranking_group, u.rank, u.unit_name, u.average, u.months_counted,
                           *[u.scores.get(m) for m in year.months],
                           *([u.months_average, u.material_points] if year.material_counted else [])])
        annual.close()

    buffer = io.BytesIO()
    wb.save(buffer)
    progress(90, "Excel 已生成")
    return RenderedFile(file_name(f"{data.file_stem}数据", "xlsx"), XLSX_CONTENT_TYPE, buffer.getvalue())


# ---------------------------------------------------------------- the full bulletin in parts (issue 14)
#
# One WeasyPrint document for a city's whole appendix (21,600 lines, 1,400 pages) takes minutes and
# gigabytes in one process. Instead: the front part (title, summary, ranking) and slices of the
# appendix (one ranking group at a time, at most ``max_rows`` lines each) are separate documents,
# rendered in parallel by Celery (reports/job_services.py) or one after another
# (:func:`render_bulletin_chunked`); :func:`merge_bulletin_parts` then joins them with pypdf, adds the
# 附件目录 (table of contents) with absolute page numbers, stamps 第 N 页 / 共 M 页 on every page
# (the parts carry no page numbers: none of them knows where it starts) and writes the PDF outline
# (bookmarks) per section, ranking group and unit.


class ChunkPlan(NamedTuple):
    label: str
    group: str
    unit_ids: tuple[int, ...]
    front: bool = False
    first_of_group: bool = False
    first_of_appendix: bool = False


class BulletinPart(NamedTuple):
    content: bytes
    pages: int
    # {"title", "page" (0-based within the part), "level" (1 section, 2 group, 3 unit), "unit_id", "group"}
    bookmarks: list[dict]


def plan_bulletin_chunks(data: ReportData, *, max_rows: int) -> list[ChunkPlan]:
    """Cut the bulletin: part 0 the front, then each ranking group's units with score lines in slices
    of at most ``max_rows`` lines (a unit is never split; a unit alone over the limit is its own part)."""
    plans = [ChunkPlan("通报正文（总体情况、考核排名）", "", (), front=True)]
    first_of_appendix = True
    for group, members in data.groups:
        slices: list[list[Any]] = []
        rows = 0
        for unit in members:
            if not unit.lines:
                continue
            if not slices or (rows + len(unit.lines) > max_rows and slices[-1]):
                slices.append([])
                rows = 0
            slices[-1].append(unit)
            rows += len(unit.lines)
        for n, units in enumerate(slices, start=1):
            label = f"附件·{group}" + (f"（第{n}/{len(slices)}段）" if len(slices) > 1 else "") + f"，{len(units)}个单位"
            plans.append(ChunkPlan(label, group, tuple(u.unit_id for u in units), first_of_group=n == 1,
                                   first_of_appendix=first_of_appendix))
            first_of_appendix = False
    return plans


def _slim(unit: Any) -> Any:
    return dataclasses.replace(unit, lines=[])


def bulletin_part_payload(data: ReportData, plan: ChunkPlan) -> dict[str, Any]:
    """What one part's worker needs (picklable, and only that part's lines)."""
    if plan.front:
        # The figures without their rows, keeping the findings' count: 按期整改率 printed 29/0 when
        # the rows were dropped here and the count read off the emptied list.
        return {"front": True, "data": without_rows(data)}
    by_id = {u.unit_id: u for u in data.units}
    items = []
    for unit_id in plan.unit_ids:
        unit = by_id[unit_id]
        items.append({"unit": _slim(unit), "lines": appendix_lines(data, unit)})
    return {"front": False, "title": data.title, "group": plan.group, "items": items, "appendix_header": APPENDIX_HEADER,
            "first_of_group": plan.first_of_group, "first_of_appendix": plan.first_of_appendix}


def _document(template_name: str, context: dict[str, Any]) -> Any:
    """A laid-out WeasyPrint document (pages, anchors, bookmarks), locked down like campaign.pdf."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template_name, {"cjk_font_family": CJK_FONT_FAMILY, **context})
    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=safe_url_fetcher).render()


def render_bulletin_part(payload: dict[str, Any]) -> BulletinPart:
    """Render one part as its own document, without page numbers; report where its headings fall."""
    if payload["front"]:
        doc = _document("reports/pdf_bulletin_front.html", bulletin_context(payload["data"], appendix=False))
        bookmarks = []

        def walk(nodes: Any, depth: int) -> None:
            for node in nodes:
                label, (page, _x, _y), children = node[0], node[1], node[2]
                if depth >= 1:  # depth 0 is the h1 title
                    bookmarks.append({"title": label, "page": page, "level": depth})
                walk(children, depth + 1)

        walk(doc.make_bookmark_tree(), 0)
        return BulletinPart(doc.write_pdf(), len(doc.pages), bookmarks)
    doc = _document("reports/pdf_bulletin_part.html", payload)
    where: dict[str, int] = {}
    for number, page in enumerate(doc.pages):
        for anchor in page.anchors:
            where.setdefault(anchor, number)
    bookmarks = []
    if payload["first_of_group"]:
        bookmarks.append({"title": payload["group"], "page": where.get("group", 0), "level": 2, "group": payload["group"]})
    for item in payload["items"]:
        unit = item["unit"]
        start = where.get(f"unit-{unit.unit_id}", 0)
        bookmarks.append({"title": unit.unit_name, "page": start, "level": 3, "unit_id": unit.unit_id,
                          "group": payload["group"], "last_page": max(start, where.get(f"end-{unit.unit_id}", start))})
    return BulletinPart(doc.write_pdf(), len(doc.pages), bookmarks)


# Rows of the 附件目录 per page (fixed row height in pdf_bulletin_toc.html), for the first guess of its length.
TOC_ROWS_PER_PAGE = 41  # 6 mm rows on 257 mm; the heading takes about two rows on the first page


def merge_bulletin_parts(parts: Sequence[BulletinPart], *, title: str, filename: str) -> tuple[RenderedFile, dict]:
    """Join the parts into one PDF: front, 附件目录, appendix; page numbers and bookmarks throughout.

    Returns the file and its outline ``{"pages": M, "units": [{"id", "name", "group", "start", "end"}]}``
    (1-based, inclusive page numbers of each unit's appendix, for the per-unit download).
    """
    from pypdf import PdfReader, PdfWriter

    front, appendix = parts[0], list(parts[1:])
    entries: list[dict] = []  # groups and units, page relative to the appendix's first page
    offset = 0
    for part in appendix:
        entries.extend({**b, "page": offset + b["page"], "last_page": offset + b.get("last_page", b["page"])}
                       for b in part.bookmarks)
        offset += part.pages
    appendix_pages = offset

    toc_doc, toc_pages = None, 0
    if entries:
        rows = len(entries) + 2
        guess = max(1, -(-rows // TOC_ROWS_PER_PAGE))
        for _ in range(4):  # the numbers depend on the 目录's own length; it settles at once in practice
            start = front.pages + guess + 1
            groups: list[dict] = []
            for e in entries:
                if e["level"] == 2:
                    groups.append({"name": e["title"], "page": start + e["page"], "units": []})
                elif groups:
                    groups[-1]["units"].append({"name": e["title"], "page": start + e["page"]})
            toc_doc = _document("reports/pdf_bulletin_toc.html", {"title": title, "groups": groups})
            if len(toc_doc.pages) == guess:
                break
            guess = len(toc_doc.pages)
        toc_pages = guess
    total = front.pages + toc_pages + appendix_pages

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front.content)), import_outline=False)
    if toc_doc is not None:
        writer.append(PdfReader(io.BytesIO(toc_doc.write_pdf())), import_outline=False)
    for part in appendix:
        writer.append(PdfReader(io.BytesIO(part.content)), import_outline=False)
    stamps = PdfReader(io.BytesIO(_page_number_stamps(total)))
    for number, page in enumerate(writer.pages):
        page.merge_page(_as_pagination(stamps.pages[number], stamps))
        page.compress_content_streams()  # merging leaves the page's content uncompressed (3–4× the size)
    writer.compress_identical_objects(remove_identicals=False, remove_orphans=True)  # drop the uncompressed originals

    parent = None
    for b in front.bookmarks:
        if b["level"] == 1:
            parent = writer.add_outline_item(b["title"], b["page"])
        else:
            writer.add_outline_item(b["title"], b["page"], parent=parent)
    units: list[dict] = []
    if entries:
        first = front.pages + toc_pages
        writer.add_outline_item("附件目录", front.pages)
        root = writer.add_outline_item("附件：各单位扣分明细", first)
        group_item = None
        for e in entries:
            if e["level"] == 2:
                group_item = writer.add_outline_item(e["title"], first + e["page"], parent=root)
            else:
                writer.add_outline_item(e["title"], first + e["page"], parent=group_item or root)
                units.append({"id": e["unit_id"], "name": e["title"], "group": e.get("group", ""),
                              "start": first + e["page"] + 1, "end": first + e["last_page"] + 1})
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return RenderedFile(filename, PDF_CONTENT_TYPE, buffer.getvalue()), {"pages": total, "units": units}


def _as_pagination(stamp: Any, reader: Any) -> Any:
    """The stamp's drawing marked as a pagination artifact (``/Artifact <</Type /Pagination>> BDC … EMC``,
    PDF 14.8.2.2): readers and screen readers know it is not content, and a page cut out of the
    bulletin can drop its number and take its own (:func:`extract_pages`)."""
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    content = ContentStream(stamp.get_contents(), reader)
    content.operations.insert(0, ([NameObject("/Artifact"), DictionaryObject({NameObject("/Type"): NameObject("/Pagination")})], b"BDC"))
    content.operations.append(([], b"EMC"))
    stamp.replace_contents(content)
    return stamp


def _without_pagination(page: Any, reader: Any) -> None:
    """Drop the page's pagination artifacts (the numbers :func:`_as_pagination` stamped)."""
    from pypdf.generic import ContentStream, DictionaryObject

    content = ContentStream(page.get_contents(), reader)
    kept, depth = [], 0
    for operands, operator in content.operations:
        if depth:
            depth += 1 if operator in (b"BDC", b"BMC") else -1 if operator == b"EMC" else 0
            continue
        if (operator == b"BDC" and len(operands) == 2 and operands[0] == "/Artifact"
                and isinstance(operands[1], DictionaryObject) and operands[1].get("/Type") == "/Pagination"):
            depth = 1
            continue
        kept.append((operands, operator))
    content.operations = kept
    page.replace_contents(content)


def _page_number_stamps(total: int) -> bytes:
    """``total`` blank A4 pages carrying only 第 N 页 / 共 M 页 where pdf/base.html puts it."""
    return _document("reports/pdf_page_numbers.html", {"pages": range(total)}).write_pdf()


def render_bulletin_chunked(data: ReportData, *, max_rows: int, progress: Progress | None = None) -> RenderedFile:
    """The whole chunked bulletin in this process, part after part (the command line, tests, bench)."""
    progress = progress or _noop
    plan = plan_bulletin_chunks(data, max_rows=max_rows)
    parts = []
    for n, chunk in enumerate(plan):
        progress(40 + 45 * n // len(plan), f"正在生成第 {n + 1}/{len(plan)} 部分")
        parts.append(render_bulletin_part(bulletin_part_payload(data, chunk)))
    progress(88, "正在合并各部分")
    rendered, _outline = merge_bulletin_parts(parts, title=data.title, filename=f"{data.title}.pdf")
    return rendered


def extract_pages(content: bytes, first: int, last: int, *, renumber: bool = False) -> bytes:
    """Pages ``first``..``last`` (1-based, inclusive) of a PDF as a PDF of their own; ``renumber``:
    the bulletin's page numbers replaced by the excerpt's own (第 1 页 / 共 N 页)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(content))
    writer = PdfWriter()
    for number in range(first - 1, min(last, len(reader.pages))):
        writer.add_page(reader.pages[number])
    if renumber:
        stamps = PdfReader(io.BytesIO(_page_number_stamps(len(writer.pages))))
        for number, page in enumerate(writer.pages):
            _without_pagination(page, writer)
            page.merge_page(_as_pagination(stamps.pages[number], stamps))
            page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _bulletin_docx(data: ReportData, *, progress: Progress | None = None) -> RenderedFile:
    from .word import render_bulletin_docx  # word.py imports RenderedFile from here

    return render_bulletin_docx(data, progress=progress)


RENDERERS: dict[str, Callable[..., RenderedFile]] = {
    "bulletin-pdf": render_bulletin_pdf,
    "workbook-xlsx": render_workbook_xlsx,
    "bulletin-docx": _bulletin_docx,
}

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(build: Callable[..., tuple[str, bytes]]) -> Callable[..., RenderedFile]:
    def render(*, user: Any, campaign: Any, params: dict, progress: Progress | None = None) -> RenderedFile:
        filename, content = build(user=user, campaign=campaign, params=params, progress=progress)
        return RenderedFile(filename, XLSX_CONTENT_TYPE, content)

    return render


def _findings_xlsx(**kwargs: Any) -> tuple[str, bytes]:
    from inspections.exports import findings_xlsx

    return findings_xlsx(**kwargs)


def _tasks_xlsx(**kwargs: Any) -> tuple[str, bytes]:
    from tasks.exports import tasks_xlsx

    return tasks_xlsx(**kwargs)


def _survey_file(name: str, **kwargs: Any) -> RenderedFile:
    """A survey's raw-response workbook or results PDF (built in ``surveys/exports.py``; params {"survey": id})."""
    from surveys import exports

    return RenderedFile(*getattr(exports, name)(**kwargs))


def _summary_docx(**kwargs: Any) -> RenderedFile:
    """A unit's or the city's 工作总结 draft (``reports/summary.py``; params: scope, unit, month, phase, year)."""
    from .summary import summary_docx

    return summary_docx(**kwargs)


# Lists exported by a report job when too large for a request (issue 14): not month reports but one
# person's list, so each takes the person who asked and the list's filters, and holds only the rows
# that person may see (reports.job_services: only they and admins/leaders open the job).
def _materials_zip(*, user: Any, campaign: Any, params: dict, progress: Progress | None = None) -> RenderedFile:
    """The 迎检 archive (``materials/archive.py``; params: phase), cut to the units the requester sees.

    Built on disk next to where it will be stored (the report spool folder on the local file
    system), never read into memory: gigabytes of photos and scans."""
    from django.core.files.storage import FileSystemStorage, default_storage

    from materials.archive import build_to_temp

    directory = None
    if isinstance(default_storage, FileSystemStorage):
        directory = default_storage.path("reports/tmp")
        os.makedirs(directory, exist_ok=True)
    filename, path = build_to_temp(campaign, user=user, params=params, progress=progress, directory=directory)
    return RenderedFile(filename, "application/zip", b"", path)


EXPORTS: dict[str, Callable[..., RenderedFile]] = {
    "findings-xlsx": _export(_findings_xlsx),
    "tasks-xlsx": _export(_tasks_xlsx),
    "survey-xlsx": lambda **kwargs: _survey_file("survey_xlsx", **kwargs),
    "survey-pdf": lambda **kwargs: _survey_file("survey_pdf", **kwargs),
    "summary-docx": _summary_docx,  # one person's document too: a unit official asks for their own unit's
    "materials-zip": _materials_zip,  # the requester's units only (an official: their own)
}
