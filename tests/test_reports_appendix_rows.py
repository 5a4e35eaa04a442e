"""The bulletin appendix's lines: one preformatted text per score line, in columns for a monospaced
CJK font (reports.renderers.appendix_row), read back from the PDF."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from campaign.textgrid import text_cells, wrap_cells
from reports.data import build_report_data
from reports.renderers import (
    APPENDIX_COLUMNS,
    APPENDIX_HEADER,
    appendix_lines,
    appendix_row,
    render_bulletin_pdf,
)
from reports.scoring import ScoreLine, UnitScore

OCT = dt.date(2026, 10, 1)
# Where each column starts, in cells: widths 13, 8, 8, 6, 20 and one cell between columns.
STARTS = [0, 14, 23, 32, 39, 60]


def at(line: str, cell: int) -> str:
    """The rest of ``line`` from the given cell on (ASCII 1 cell, anything else 2)."""
    used = 0
    for index, ch in enumerate(line):
        if used == cell:
            return line[index:]
        assert used < cell, (line, cell)  # no character straddles a column start
        used += text_cells(ch)
    return ""


def test_the_columns_start_where_the_header_says_and_fit_the_page():
    assert STARTS == [sum(w + 1 for _t, w, _r in APPENDIX_COLUMNS[:i]) for i in range(6)]
    assert sum(w for _t, w, _r in APPENDIX_COLUMNS) + len(APPENDIX_COLUMNS) - 1 == 111  # 178 mm at 9 pt: 112 cells
    for start, (title, _width, _right) in zip(STARTS, APPENDIX_COLUMNS):
        assert at(APPENDIX_HEADER, start).startswith(title) or (title == "分值" and at(APPENDIX_HEADER, start).strip().startswith("分值"))


def test_a_line_puts_each_value_in_its_column_and_wraps_the_description_under_its_own_column():
    label = "人民路（城东段）：" + "主干道两侧垃圾未及时清运" * 4
    text = appendix_row(["问题扣分", "1.2.1", "10月3日", "-0.30", "逾期未整改（待整改）", label])
    first, *rest = text.split("\n")
    assert at(first, 0).startswith("问题扣分 ") and at(first, 14).startswith("1.2.1 ")
    assert at(first, 23).startswith("10月3日 ") and at(first, 32).startswith(" -0.30 ")  # 分值 right-aligned
    assert at(first, 39).startswith("逾期未整改（待整改） ") and at(first, 60).startswith("人民路（城东段）：")
    assert len(rest) == 2  # 120 cells of description in a 51-cell column
    for line in rest:
        assert line[:60] == " " * 60 and line[60] != " "  # continued under 说明, nothing else on the line
    pieces = [at(first, 60)] + [line[60:] for line in rest]
    assert "".join(pieces) == label and all(text_cells(p) <= 51 for p in pieces)


def test_wrapping_keeps_ascii_words_whole_hangs_closing_punctuation_and_flattens_newlines():
    assert wrap_cells("整改时限2025-10-28，已完成", 10) == ["整改时限", "2025-10-28，", "已完成"]
    assert wrap_cells("第一行\n第二行\t第三行", 40) == ["第一行 第二行 第三行"]
    assert wrap_cells("ABCDEFGHIJKLMNOPQRSTUVWXY", 10) == ["ABCDEFGHIJ", "KLMNOPQRST", "UVWXY"]
    assert wrap_cells("", 10) == [""]


def _unit(lines):
    return UnitScore(unit_id=1, unit_name="城东街道", unit_type="street", ranking_group="乡镇街道组",
                     full_score=Decimal("100.00"), finding_deductions=Decimal("0.40"), penalty_deductions=Decimal("0"),
                     task_deductions=Decimal("0"), bonus=Decimal("0"), corrections=Decimal("0"), pass_rate=None,
                     score=Decimal("99.60"), score_rate=None, rank=1, change=None, lines=lines)


def _data(lines):
    unit = _unit(lines)
    return build_report_data(campaign_name="泰和市2026年创建全国文明城市", city_name="泰和市", year=2026, month=OCT,
                             is_published=True, units=[unit], groups=[("乡镇街道组", [unit])], kind_label="全国文明城市")


def test_the_description_names_the_point_once():
    lines = [
        ScoreLine("finding", "人民路：垃圾未清运", Decimal("-0.30"), "1.1.1", "人民路", dt.date(2026, 10, 5)),
        ScoreLine("finding", "占道经营", Decimal("-0.10"), "1.1.2", "农贸市场", dt.date(2026, 10, 12)),
        ScoreLine("bonus", "获评省级卫生乡镇", Decimal("1.00")),
    ]
    data = _data(lines)
    texts = [row["text"] for row in appendix_lines(data, data.units[0])]
    assert at(texts[0], 60) == "人民路：垃圾未清运" and at(texts[1], 60) == "农贸市场：占道经营"
    assert at(texts[0], 23).startswith("10月5日") and at(texts[2], 0).startswith("加分") and at(texts[2], 32).startswith("  1.00")


def test_the_pdf_appendix_reads_back_one_line_per_score_line_with_its_columns(tmp_path):
    lines = [ScoreLine("finding", f"人民路：第{i}处垃圾未清运", Decimal("-0.10"), f"1.1.{i}", "人民路", dt.date(2026, 10, i))
             for i in range(1, 4)]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_bulletin_pdf(_data(lines)).content)).pages)
    appendix = text[text.index("附件：各单位扣分明细"):]
    assert "类型" in appendix and "整改情况" in appendix and "说明" in appendix
    for i in range(1, 4):
        row = next(r for r in appendix.splitlines() if f"第{i}处" in r)
        assert row.split() == ["问题扣分", f"1.1.{i}", f"10月{i}日", "-0.10", f"人民路：第{i}处垃圾未清运"], row


def test_a_ranking_row_right_aligns_the_numbers_under_their_headers():
    from reports.renderers import RANKING_COLUMNS, RANKING_HEADER, ranking_row

    # 排名 4 | 单位 44 | 问题扣分 8 | 逾期整改 8 | 任务逾期 8 | 加分 6 | 更正 6 | 得分 7 | 较上月 10: 109 of the 112 cells
    assert sum(w for _t, w, _r in RANKING_COLUMNS) + len(RANKING_COLUMNS) - 1 == 109
    assert [t for t, _w, _r in RANKING_COLUMNS] == ["排名", "单位", "问题扣分", "逾期整改", "任务逾期", "加分", "更正", "得分", "较上月"]
    unit = _unit([])
    unit.rank, unit.change = 12, Decimal("1.50")
    row = ranking_row(unit)
    # Deductions negative as on the page (0 when none), 较上月 with its arrow.
    assert row.startswith("  12 城东街道 ") and at(row, 50) == "   -0.40        0        0      0      0   99.60   ▲ +1.50"
    assert at(RANKING_HEADER, 50).startswith("问题扣分") and at(RANKING_HEADER, 68).startswith("任务逾期")
    assert at(RANKING_HEADER, 91) == "   得分     较上月"
    unit.change = Decimal("-0.30")
    assert ranking_row(unit).endswith("   99.60   ▼ -0.30") and "\n" not in row
    unit.change = Decimal("0")
    assert ranking_row(unit).endswith("   99.60       持平")
    unit.change = None
    assert ranking_row(unit).endswith("   99.60 " + " " * 8 + "—")
    # The widest values still fit their columns (one line, nothing pushed right).
    unit.finding_deductions, unit.penalty_deductions, unit.task_deductions = Decimal("100.00"), Decimal("10.00"), Decimal("5.00")
    unit.bonus, unit.corrections, unit.score, unit.change = Decimal("5.00"), Decimal("-10.00"), Decimal("0.00"), Decimal("-100.00")
    row = ranking_row(unit)
    assert "\n" not in row and at(row, 50) == " -100.00   -10.00    -5.00  +5.00 -10.00    0.00 ▼ -100.00"


def test_a_change_against_last_month_reads_alike_on_pages_and_in_documents():
    """较上月: one text (reports.data.change_text) for the ranking, the PDF, Word, the unit's page and the cockpit."""
    from django.template import Context, Template

    from reports.data import change_text

    assert [change_text(v) for v in (Decimal("0.30"), Decimal("-0.70"), Decimal("0.00"), None)] == [
        "▲ +0.30", "▼ -0.70", "持平", "—"]
    page = Template("{% load reports_tags %}{% for v in values %}<span class=\"{{ v|change_class }}\">{{ v|change_text }}</span>{% endfor %}")
    assert page.render(Context({"values": [Decimal("1.5"), Decimal("-0.1"), Decimal("0"), None]})) == (
        '<span class="text-success">▲ +1.50</span><span class="text-danger">▼ -0.10</span>'
        '<span class="text-muted">持平</span><span class="text-muted">—</span>')
