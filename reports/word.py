"""Word documents (.docx) the office and the units edit in Word or WPS: the monthly bulletin and
the 工作总结 draft, laid out in the 公文 format of GB/T 9704.

Format (``GongwenDocument``): A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right;
the title in 2号小标宋 (方正小标宋简体, 22 pt; the font table names 宋体 as its substitute where
it is not installed), body in 3号仿宋_GB2312 (16 pt, fixed 28 pt lines, first line indented two
characters), first-level headings (一、) in 黑体 16 pt, second-level ones (（一）) in 楷体_GB2312
16 pt, tables in 仿宋_GB2312 10.5 pt, page numbers "— N —" centred in the footer. Chinese fonts
are set as ``w:rFonts w:eastAsia`` (the attribute Word and WPS read for Chinese text), Latin text
and digits in Times New Roman.

Like ``reports/renderers.py`` these functions know nothing about Celery; each returns a
:class:`~reports.renderers.RenderedFile`. The bulletin prints the figures of the same
:class:`reports.data.ReportData` as the PDF (``summary_figures``, ``top_indicators``, the
groups' rankings, each unit's lines); the summary prints a :class:`reports.summary.SummaryData`.
Large tables (1,000 units' ranking, 20,000 score lines) are written as one XML fragment per
table instead of python-docx's cell-by-cell API, which is quadratic in the number of rows.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from .data import RANKING_LABELS, ReportData, change_text, ranking_cells, summary_figures
from .renderers import RANKING_KEYS as PDF_RANKING_KEYS
from .renderers import RenderedFile
from .scoring import KIND_LABELS

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Progress = Callable[[int, str], None]

TITLE_FONT = "方正小标宋简体"
TITLE_FALLBACK = "宋体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# Fonts a machine may lack, and what Word/WPS should use instead (font table w:altName).
SUBSTITUTES = {TITLE_FONT: TITLE_FALLBACK, BODY_FONT: "仿宋", SUBHEADING_FONT: "楷体"}

STYLE_TITLE = "公文标题"
STYLE_H1 = "公文一级标题"
STYLE_H2 = "公文二级标题"
STYLE_TABLE = "公文表格"
STYLE_NOTE = "公文说明"

CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (enough for headings)."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_NUMBERS[tens - 1]) + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


def _set_fonts(rpr: Any, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    """Latin fonts and the East Asian font on a run or style's ``w:rPr``."""
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        rpr.get_or_add_sz().set(qn("w:val"), str(int(size * 2)))
        cs = rpr.find(qn("w:szCs"))
        if cs is None:
            cs = OxmlElement("w:szCs")
            rpr.append(cs)
        cs.set(qn("w:val"), str(int(size * 2)))
    if bold is not None:
        rpr.get_or_add_b().set(qn("w:val"), "1" if bold else "0")


class GongwenDocument:
    """A python-docx document set up in the 公文 format, with helpers for its parts."""

    def __init__(self) -> None:
        self.doc = Document()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.header_distance, section.footer_distance = Mm(15), Mm(25)
        self._styles()
        self._style_ids = {name: self.doc.styles[name].style_id for name in (STYLE_TITLE, STYLE_H1, STYLE_H2, STYLE_TABLE, STYLE_NOTE)}
        self._end = self.doc.element.body[-1]  # the final w:sectPr: content goes before it
        self._footer(section)
        self._substitutes()

    # ------------------------------------------------------------ set-up

    def _styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT, 16)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28)
        fmt.first_line_indent = Pt(32)  # two characters of 16 pt
        fmt.space_before = fmt.space_after = Pt(0)

        def paragraph_style(name: str, font: str, size: float, *, align=None, indent: float | None = None,
                            outline: int | None = None, line: float | None = None) -> None:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.quick_style = True
            _set_fonts(style.element.get_or_add_rPr(), font, size, bold=False)
            if align is not None:
                style.paragraph_format.alignment = align
            if indent is not None:
                style.paragraph_format.first_line_indent = Pt(indent)
            if line is not None:
                style.paragraph_format.line_spacing = Pt(line)
            if outline is not None:
                level = OxmlElement("w:outlineLvl")
                level.set(qn("w:val"), str(outline))
                style.element.get_or_add_pPr().append(level)

        paragraph_style(STYLE_TITLE, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, outline=0, line=36)
        paragraph_style(STYLE_H1, HEADING_FONT, 16, outline=1)
        paragraph_style(STYLE_H2, SUBHEADING_FONT, 16, outline=2)
        paragraph_style(STYLE_NOTE, SUBHEADING_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=0, line=24)
        paragraph_style(STYLE_TABLE, BODY_FONT, 10.5, indent=0, line=15)

    def _footer(self, section: Any) -> None:
        """"— N —" centred: the page number as a PAGE field, in 宋体 14 pt (4号)."""
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Pt(0)
        for text, field in (("— ", False), ("PAGE", True), (" —", False)):
            if field:
                element = parse_xml(
                    f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:rPr><w:rFonts w:ascii="{TITLE_FALLBACK}" '
                    f'w:hAnsi="{TITLE_FALLBACK}" w:eastAsia="{TITLE_FALLBACK}"/><w:sz w:val="28"/></w:rPr><w:t>1</w:t></w:r></w:fldSimple>'
                )
                paragraph._p.append(element)
            else:
                run = paragraph.add_run(text)
                _set_fonts(run._r.get_or_add_rPr(), TITLE_FALLBACK, 14)

    def _substitutes(self) -> None:
        """Name each 公文 font's substitute in the font table (w:altName), so a machine without
        方正小标宋简体 or 仿宋_GB2312 shows 宋体 / 仿宋 instead of some Latin font."""
        part = next((rel.target_part for rel in self.doc.part.rels.values() if rel.reltype.endswith("/fontTable")), None)
        if part is None:
            return
        table = parse_xml(part.blob)
        for name, alt in SUBSTITUTES.items():
            table.append(parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                f'<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            ))
        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)

    # ------------------------------------------------------------ content

    def _paragraph(self, text: str, style: str | None, font: str | None) -> Paragraph:
        """A paragraph appended before the section properties, built as XML: python-docx's
        ``add_paragraph(style=…)`` looks the style up by walking every style, thousands of times
        in a 1,000-unit bulletin."""
        p = OxmlElement("w:p")
        if style is not None:
            ppr, pstyle = OxmlElement("w:pPr"), OxmlElement("w:pStyle")
            pstyle.set(qn("w:val"), self._style_ids[style])
            ppr.append(pstyle)
            p.append(ppr)
        run = OxmlElement("w:r")
        if font is not None:  # also on the run: some WPS versions read only the run's fonts
            rpr = OxmlElement("w:rPr")
            run.append(rpr)
            _set_fonts(rpr, font)
        t = OxmlElement("w:t")
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
        p.append(run)
        self._end.addprevious(p)
        return Paragraph(p, self.doc._body)

    def title(self, text: str) -> Any:
        return self._paragraph(text, STYLE_TITLE, TITLE_FONT)

    def note(self, text: str) -> Any:
        return self._paragraph(text, STYLE_NOTE, SUBHEADING_FONT)

    def heading(self, text: str) -> Any:
        """一级标题, e.g. "一、基本情况" (黑体)."""
        return self._paragraph(text, STYLE_H1, HEADING_FONT)

    def subheading(self, text: str) -> Any:
        """二级标题, e.g. "（一）乡镇街道组" (楷体_GB2312)."""
        return self._paragraph(text, STYLE_H2, SUBHEADING_FONT)

    def body(self, text: str) -> Any:
        return self._paragraph(text, None, BODY_FONT)

    def prompt(self, text: str) -> Any:
        """A blank the writer fills in: the prompt in grey brackets, to be typed over."""
        paragraph = self._paragraph(text, None, BODY_FONT)
        color = OxmlElement("w:color")
        color.set(qn("w:val"), "808080")
        paragraph.runs[0]._r.get_or_add_rPr().append(color)
        return paragraph

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths_mm: Sequence[float]) -> Any:
        """A bordered table with a header row repeated on every page, written as one XML fragment."""
        grid = "".join(f'<w:gridCol w:w="{int(w * 56.7)}"/>' for w in widths_mm)
        style_id = self._style_ids[STYLE_TABLE]

        def cell(value: Any, width: float, bold: bool = False) -> str:
            text = escape("" if value is None else str(value))
            b = "<w:rPr><w:b/></w:rPr>" if bold else ""
            return (f'<w:tc><w:tcPr><w:tcW w:w="{int(width * 56.7)}" w:type="dxa"/></w:tcPr>'
                    f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr><w:r>{b}<w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>')

        head = '<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>' + "".join(
            cell(h, w, True) for h, w in zip(headers, widths_mm)) + "</w:tr>"
        body = "".join(
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cell(v, w) for v, w in zip(row, widths_mm)) + "</w:tr>"
            for row in rows
        )
        border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        borders = "".join(border.format(side) for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        xml = (f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
               f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr>'
               f'<w:tblGrid>{grid}</w:tblGrid>{head}{body}</w:tbl>')
        # Plain lxml: python-docx's parser looks up a custom class for every element, several times slower.
        element = etree.fromstring(xml.encode())
        self._end.addprevious(element)
        self._paragraph("", STYLE_TABLE, None)  # a paragraph after each table, as Word expects
        return element

    def save(self) -> bytes:
        core = self.doc.core_properties
        core.author = "创文工作平台"
        core.created = core.modified = timezone.now()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def _noop(percent: int, message: str) -> None:
    return None


def _day(day: Any) -> str:
    """2026年10月1日 (no leading zeros, as documents write dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------- the bulletin

# The ranking's columns: the PDF's (titles and cell texts from reports.data, as the page shows them).
RANKING_KEYS = tuple(key for key, _width, _right in PDF_RANKING_KEYS)
RANKING_HEADERS = tuple(RANKING_LABELS[key] for key in RANKING_KEYS)
RANKING_WIDTHS = (11, 38, 16, 16, 16, 13, 13, 15, 18)
LINE_HEADERS = ("类型", "指标", "点位", "说明", "日期", "分值", "整改情况")
LINE_WIDTHS = (15, 14, 24, 50, 14, 13, 26)


def render_bulletin_docx(data: ReportData, *, progress: Progress | None = None, appendix: bool = True) -> RenderedFile:
    """The monthly results bulletin as a .docx draft the office edits into its 红头文件: the same
    figures as the PDF (``render_bulletin_pdf``), from the same ``ReportData``."""
    progress = progress or _noop
    progress(40, "正在排版通报（Word）")
    doc = GongwenDocument()
    doc.title(data.title)
    doc.note(f"考核月份：{data.month_label}")
    doc.note(data.data_note + (f"（快照摘要 SHA-256：{data.digest_short}）" if data.digest_short else ""))

    doc.heading("一、总体情况")
    doc.body(f"本月共检查发现问题{data.findings_count}个，已按期整改销号{data.rectified_on_time}个、逾期整改"
             f"{data.rectified_late}个，逾期未整改{data.overdue_open}个。")
    doc.table(("项目", "数值"), summary_figures(data), (90, 50))
    if data.top_indicators:
        doc.subheading("（一）扣分较多的测评指标")
        doc.table(("序号", "指标编号", "指标名称", "问题数", "扣分", "涉及单位"),
                  [(i, ind.code, ind.name, ind.findings, f"{ind.points:.2f}", ind.units)
                   for i, ind in enumerate(data.top_indicators, 1)], (12, 20, 62, 20, 20, 22))

    doc.heading("二、考核排名")
    for i, (name, members) in enumerate(data.groups, 1):
        doc.subheading(f"（{chinese_number(i)}）{name}")
        doc.table(RANKING_HEADERS, [[cells[key] for key in RANKING_KEYS] for cells in map(ranking_cells, members)],
                  RANKING_WIDTHS)
    progress(60, "正在排版附件")
    if appendix:
        doc.heading("附件：各单位扣分明细")
        for unit in data.units:
            if not unit.lines:
                continue
            doc.subheading(f"{unit.unit_name}（{unit.ranking_group}，得分{unit.score:.2f}）")
            doc.table(LINE_HEADERS, [
                (KIND_LABELS.get(line.kind, line.kind), line.indicator_code, line.point_name, line.label,
                 f"{line.date.month}月{line.date.day}日" if line.date else "", f"{line.points:.2f}", data.rectification_for(line))
                for line in unit.lines
            ], LINE_WIDTHS)
    progress(85, "正在保存 Word 文件")
    return RenderedFile(f"{data.title}.docx", DOCX_CONTENT_TYPE, doc.save())


# ---------------------------------------------------------------- the 工作总结

PROMPTS = {
    "practice": [
        ("（一）加强组织领导", "（请填写：本期召开会议、成立专班、压实责任等情况……）"),
        ("（二）聚焦重点任务", "（请填写：本期主要做法、推进的重点工作和专项行动……）"),
        ("（三）取得的成效", "（请填写：群众获得感、市容环境变化、获得的荣誉等……）"),
    ],
    "problems": "（请填写：问题产生的原因分析……）",
    "plans": [
        ("（一）", "（请填写：下一步重点工作及完成时限……）"),
        ("（二）", "（请填写：整改措施和长效机制……）"),
    ],
}


def _figures_table(doc: GongwenDocument, figures: Sequence[Any]) -> None:
    doc.table(("指标", "数值", "口径"), [(f.label, f.value, f.rule) for f in figures], (45, 30, 80))


def render_summary_docx(data: Any, *, progress: Progress | None = None) -> RenderedFile:
    """The 工作总结 draft of a :class:`reports.summary.SummaryData`: 一、基本情况 with the platform's
    figures, 二、主要做法和成效 and 四、下一步打算 as headed blanks with prompts, 三、存在问题 with the
    facts the platform knows (overdue tasks and rectifications, frequent problems) and a blank."""
    progress = progress or _noop
    progress(60, "正在排版工作总结")
    doc = GongwenDocument()
    doc.title(data.title)
    doc.note(f"（初稿：数据由创文工作平台生成，截至{_day(data.as_of)}；统计期间{_day(data.start)}至{_day(data.end)}）")

    doc.heading("一、基本情况")
    doc.body(f"{data.scope_label}，{data.author}按照创建工作安排推进各项任务。现将有关情况总结如下。")
    doc.prompt("（请填写：本期工作总体情况概述……）")
    doc.subheading("（一）任务完成情况")
    by = {f.label: f.value for f in data.task_figures}
    doc.body(f"本期到期任务{by['期内到期任务']}，已完成{by['已完成']}，其中按期完成{by['按期完成']}，"
             f"按期完成率{by['按期完成率']}；逾期未完成{by['逾期未完成']}。")
    _figures_table(doc, data.task_figures)
    doc.subheading("（二）问题整改情况")
    fb = {f.label: f.value for f in data.finding_figures}
    doc.body(f"本期督查发现问题{fb['督查发现问题']}，已整改销号{fb['已整改销号']}，按期整改率{fb['按期整改率']}，"
             f"逾期未整改{fb['逾期未整改']}。")
    _figures_table(doc, data.finding_figures)
    doc.subheading("（三）考核得分情况")
    if data.score_rows:
        if data.unit_name:
            doc.table(("月份", "得分", "组内排名", "考核组别", "较上月", "状态"), [
                (r.month_label, f"{r.score:.2f}", f"{r.rank}/{r.group_size}", r.group, change_text(r.change),
                 "已发布" if r.published else "未发布（实时）") for r in data.score_rows
            ], (28, 20, 22, 35, 20, 30))
        else:
            doc.table(("月份", "参加考核单位", "平均得分", "状态"), [
                (r.month_label, r.group_size, "—" if r.score is None else f"{r.score:.2f}",
                 "已发布" if r.published else "未发布（实时）") for r in data.score_rows
            ], (35, 40, 35, 45))
    else:
        doc.body("本期没有月度考核得分（本单位不参加月度考核排名，或本期尚未开始）。")
    if data.ledger_figures:
        doc.subheading("（四）台账数据")
        _figures_table(doc, data.ledger_figures)

    doc.heading("二、主要做法和成效")
    for head, prompt in PROMPTS["practice"]:
        doc.subheading(head)
        doc.prompt(prompt)

    doc.heading("三、存在问题")
    facts = []
    if data.overdue_tasks:
        facts.append("逾期未完成的任务：" + "；".join(data.overdue_tasks) + "。")
    if data.overdue_findings:
        facts.append(f"超过整改时限仍未整改的问题{data.overdue_findings}个。")
    if data.frequent_indicators:
        facts.append("问题较多的测评指标：" + "；".join(f"{name}（{n}个）" for name, n in data.frequent_indicators) + "。")
    for i, fact in enumerate(facts, 1):
        doc.body(f"{i}. {fact}" if len(facts) > 1 else fact)
    doc.prompt(PROMPTS["problems"])

    doc.heading("四、下一步打算")
    for head, prompt in PROMPTS["plans"]:
        doc.prompt(f"{head}{prompt}")
    progress(90, "正在保存 Word 文件")
    return RenderedFile(data.filename, DOCX_CONTENT_TYPE, doc.save())
