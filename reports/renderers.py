"""Renderers: lay out a :class:`reports.data.ReportData` as a PDF or a workbook.

Renderers know nothing about Celery, jobs or storage; each returns a
:class:`RenderedFile` ``(filename, mimetype, content)``. Tests and the
benchmark call them directly; ``reports.services.report_job_run`` calls them
for the worker and ``render_report`` calls them from the command line.

``progress`` (optional) is called as ``progress(percent, message)`` between
steps so the job page can show how far a render has come.
"""
from __future__ import annotations

import io
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
from campaign.pdf import render_pdf

from .data import ReportData, summary_figures
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


def _noop(percent: int, message: str) -> None:
    return None


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------- the chart

def score_chart_svg(title: str, units: Sequence[Any], full_score: Decimal | None = None) -> str:
    """A horizontal bar chart of scores as inline SVG (WeasyPrint renders it; no files, no network).

    Every piece of text is escaped: unit names are user data.
    """
    if not units:
        return ""
    full = Decimal(full_score if full_score is not None else max(u.full_score for u in units)) or Decimal(100)
    if len(units) <= CHART_MAX_BARS:
        bars = [(u.unit_name, u.score) for u in units]
        value_label = _fmt
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
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        length = float(max(Decimal(0), min(value, full)) / full) * bar_w if full else 0
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 11}" font-size="9" text-anchor="end">{escape(str(label)[:14])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{length:.1f}" height="{row_h - 5}" fill="#c0392b"/>'
            f'<text x="{label_w + length + 3:.1f}" y="{y + 11}" font-size="9">{escape(value_label(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- PDF

def bulletin_context(data: ReportData, *, appendix: bool = True) -> dict[str, Any]:
    groups = [
        {"name": name, "units": members, "chart": score_chart_svg(f"{name}得分", members)}
        for name, members in data.groups
    ]
    appendix_units = []
    if appendix:
        for unit in data.units:
            lines = [
                {
                    "kind": KIND_LABELS.get(line.kind, line.kind),
                    "line": line,
                    "rectification": data.rectification_for(line),
                }
                for line in unit.lines
            ]
            if lines:
                appendix_units.append({"unit": unit, "lines": lines})
    return {
        "data": data,
        "figures": summary_figures(data),
        "groups": groups,
        "appendix": appendix,
        "appendix_units": appendix_units,
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
    return RenderedFile(f"{data.title}.pdf", PDF_CONTENT_TYPE, content)


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
    """The monthly workbook (月度考核数据): 排名, 扣分明细, 指标失分, 整改情况, 任务完成.

    Written in openpyxl's write-only mode (rows stream to the file; memory
    stays flat for thousands of units). Deductions are shown as positive
    numbers of points lost; 分值 in 扣分明细 is signed like the score lines.
    """
    progress = progress or _noop
    wb = Workbook(write_only=True)
    # Dates need no explicit format: openpyxl gives date cells yyyy-mm-dd by itself, and every
    # styled cell costs about three plain ones in write-only mode.
    S, P = SCORE_FORMAT, "0.0%"

    progress(30, "正在写入排名")
    ranking = _Sheet(
        wb, "排名",
        ["考核组别", "排名", "单位", "满分", "问题扣分", "逾期整改扣分", "任务扣分", "加分", "更正", "及格率", "得分", "得分率", "较上月"],
        {3: S, 4: S, 5: S, 6: S, 7: S, 8: S, 9: P, 10: S, 11: P, 12: S},
        widths={0: 12, 2: 24},
    )
    for group, members in data.groups:
        for u in members:
            ranking.append([
                group, u.rank, u.unit_name, u.full_score, u.finding_deductions, u.penalty_deductions,
                u.task_deductions, u.bonus, u.corrections, u.pass_rate, u.score, u.score_rate, u.change,
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

    buffer = io.BytesIO()
    wb.save(buffer)
    progress(90, "Excel 已生成")
    return RenderedFile(f"{data.file_stem}数据.xlsx", XLSX_CONTENT_TYPE, buffer.getvalue())


RENDERERS: dict[str, Callable[..., RenderedFile]] = {
    "bulletin-pdf": render_bulletin_pdf,
    "workbook-xlsx": render_workbook_xlsx,
}
