"""The bulletin PDF and the workbook, rendered from hand-built scores and read back."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports.data import FindingRow, TaskRow, build_report_data
from reports.renderers import render_bulletin_pdf, render_workbook_xlsx, score_chart_svg
from reports.scoring import ScoreLine, UnitScore

D = Decimal
OCT = dt.date(2026, 10, 1)
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext/pdffonts) 未安装")


def unit(uid, name, group, score, rank, lines=(), **extra):
    values = dict(
        unit_id=uid, unit_name=name, unit_type="street", ranking_group=group, full_score=D("100.00"),
        finding_deductions=D("0.00"), penalty_deductions=D("0.00"), task_deductions=D("0.00"), bonus=D("0.00"),
        corrections=D("0.00"), pass_rate=None, score=D(score), score_rate=None, rank=rank, change=None, lines=list(lines),
    )
    values.update(extra)
    return UnitScore(**values)


def finding_row(fid, uid, unit_name, code, points, *, accepted_on=None, deadline=dt.date(2026, 10, 20), description="垃圾未及时清运"):
    return FindingRow(
        finding_id=fid, unit_id=uid, unit_name=unit_name, indicator_code=code, indicator_name="主次干道整洁",
        point_name="人民路（城东段）", description=description, points=D(points), found_on=dt.date(2026, 10, 12),
        rectify_deadline=deadline, status_label="已销号" if accepted_on else "待整改", accepted_on=accepted_on,
        on_time=accepted_on is not None and accepted_on <= deadline,
        overdue=accepted_on is None and deadline < dt.date(2026, 11, 5),
    )


@pytest.fixture
def october():
    """Four units in two groups; 城东街道 lost 0.3 + 0.2 on 1.1.1 and 1 on a task; 口岸街道 0.3 on 1.2.1."""
    east_lines = [
        ScoreLine("finding", "人民路（城东段）：主干道两侧垃圾未及时清运", D("-0.30"), "1.1.1", "人民路（城东段）", dt.date(2026, 10, 12), "inspections.finding", 11),
        ScoreLine("finding", "=HYPERLINK(\"http://evil\")", D("-0.20"), "1.1.1", "人民路（城东段）", dt.date(2026, 10, 14), "inspections.finding", 12),
        ScoreLine("task", "任务逾期：公益广告占比达到20%", D("-1.00"), "", "", dt.date(2026, 10, 31)),
    ]
    west_lines = [
        ScoreLine("finding", "口岸农贸市场：占道经营", D("-0.30"), "1.2.1", "口岸农贸市场", dt.date(2026, 10, 15), "inspections.finding", 13),
        ScoreLine("bonus", "获评省级卫生乡镇", D("0.50")),
    ]
    east = unit(1, "城东街道", "乡镇街道组", "98.50", 2, east_lines, finding_deductions=D("0.50"), task_deductions=D("1.00"), change=D("-1.00"))
    west = unit(2, "口岸街道", "乡镇街道组", "100.20", 1, west_lines, finding_deductions=D("0.30"), bonus=D("0.50"), change=D("0.20"))
    dept = unit(3, "市城管局", "市直部门组", "100.00", 1)
    police = unit(4, "市公安局<script>", "市直部门组", "100.00", 1)
    findings = [
        finding_row(11, 1, "城东街道", "1.1.1", "0.30", accepted_on=dt.date(2026, 10, 18)),
        finding_row(12, 1, "城东街道", "1.1.1", "0.20", description="=HYPERLINK(\"http://evil\")"),
        finding_row(13, 2, "口岸街道", "1.2.1", "0.30", accepted_on=dt.date(2026, 10, 25)),
    ]
    tasks = [
        TaskRow("城东街道", "3", "公益广告占比达到20%", dt.date(2026, 10, 31), "进行中", None, None),
        TaskRow("口岸街道", "4", "+设置宣传栏7个", dt.date(2026, 10, 20), "已完成", dt.date(2026, 10, 19), True),
    ]
    return build_report_data(
        campaign_name="泰和市2026年创建全国文明城市", city_name="泰和市", year=2026, month=OCT, is_published=True,
        units=[west, east, dept, police],
        groups=[("乡镇街道组", [west, east]), ("市直部门组", [dept, police])],
        findings=findings, tasks=tasks, indicator_names={"1.1.1": "主次干道整洁", "1.2.1": "农贸市场管理规范"},
        as_of=dt.date(2026, 11, 5),
    )


def test_summary_figures_are_computed_from_the_findings_and_lines(october):
    assert october.title == "泰和市创建全国文明城市2026年10月考核结果通报"
    assert october.findings_count == 3
    assert october.findings_points == D("0.80")
    assert october.rectified_on_time == 1  # 11 accepted 10-18 ≤ 10-20; 13 accepted 10-25 > 10-20
    assert october.rectified_late == 1
    assert october.overdue_open == 1  # 12: open, deadline 10-20 before 11-05
    assert october.rectified_on_time_rate == D("33.3")
    assert [(i.code, i.points, i.units) for i in october.top_indicators] == [("1.1.1", D("0.50"), 1), ("1.2.1", D("0.30"), 1)]
    assert october.matrix[1] == {"1.1.1": D("0.50")}
    assert october.matrix_codes == ["1.1.1", "1.2.1"]
    assert october.average_score == D("99.68")  # (100.20 + 98.50 + 100 + 100) / 4 = 99.675 → 99.68


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_bulletin_pdf_shows_the_title_every_unit_and_their_scores(october, tmp_path):
    rendered = render_bulletin_pdf(october)
    assert rendered.mimetype == "application/pdf"
    assert rendered.filename == "泰和市创建全国文明城市2026年10月考核结果通报.pdf"
    assert rendered.content.startswith(b"%PDF")
    text = pdf_text(rendered.content, tmp_path)
    assert "泰和市创建全国文明城市2026年10月考核结果通报" in text
    for name, score in (("城东街道", "98.50"), ("口岸街道", "100.20"), ("市城管局", "100.00")):
        assert name in text
        assert any(name in line and score in line for line in text.splitlines()), (name, score)
    assert "市公安局<script>" in text  # escaped markup shows as text
    assert "33.3%" in text
    assert "第1页/共3页" in text.replace(" ", "")
    assert "逾期未整改" in text and "按期整改" in text  # appendix rectification status
    assert "1.2.1" in text


@needs_poppler
def test_bulletin_pdf_embeds_the_chinese_font_as_a_subset(october, tmp_path):
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(render_bulletin_pdf(october).content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk, fonts
    # pdffonts columns: name type encoding emb sub uni ...; a subset's name carries a prefix "ABCDEF+".
    for line in cjk:
        assert " yes yes " in line, line
        assert line.split()[0][6] == "+", line


def test_chart_escapes_unit_names_and_draws_one_bar_per_unit(october):
    svg = score_chart_svg("市直部门组得分", october.groups[1][1])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 2


def test_chart_of_a_big_group_shows_the_score_distribution():
    units = [unit(i, f"单位{i}", "社区组", "97.00" if i % 2 else "91.00", 1) for i in range(100)]
    svg = score_chart_svg("社区组得分", units)
    assert svg.count("<rect") == 2  # bands 95–100 and 90–95
    assert "50个单位" in svg


def read_workbook(october):
    rendered = render_workbook_xlsx(october)
    assert rendered.filename == "泰和市2026年10月考核数据.xlsx"
    return load_workbook(io.BytesIO(rendered.content))


def test_workbook_has_the_five_sheets_with_frozen_filtered_headers(october):
    wb = read_workbook(october)
    assert wb.sheetnames == ["概况", "排名", "扣分明细", "指标失分", "整改情况", "任务完成"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
    assert wb["排名"].auto_filter.ref == "A1:M5"
    assert wb["排名"].column_dimensions["C"].width >= 20


def test_workbook_ranking_reads_back_the_exact_numbers(october):
    ws = read_workbook(october)["排名"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[10]) for r in rows] == [
        ("乡镇街道组", 1, "口岸街道", 100.2),
        ("乡镇街道组", 2, "城东街道", 98.5),
        ("市直部门组", 1, "市城管局", 100),
        ("市直部门组", 1, "市公安局<script>", 100),
    ]
    # The page's titles and signs: deductions negative (0 when none), like the score lines.
    assert [c.value for c in ws[1]] == ["考核组别", "排名", "单位", "满分", "问题扣分", "逾期整改", "任务逾期", "加分", "更正",
                                        "及格率", "得分", "得分率", "较上月"]
    assert rows[1][4] == -0.5 and rows[1][6] == -1 and rows[1][12] == -1
    assert rows[2][4] == 0 and rows[2][5] == 0 and rows[2][6] == 0
    assert ws["K2"].number_format == "0.00"


def test_workbook_details_matrix_rectification_and_tasks(october):
    wb = read_workbook(october)
    details = list(wb["扣分明细"].iter_rows(min_row=2, values_only=True))
    assert len(details) == 5
    assert details[0][:4] == ("口岸街道", "乡镇街道组", "问题扣分", "1.2.1")
    assert details[0][7] == -0.3 and details[0][8] == "逾期整改"
    assert sum(d[7] for d in details) == pytest.approx(-1.3)
    matrix = list(wb["指标失分"].iter_rows(values_only=True))
    assert matrix[0] == ("单位", "考核组别", "1.1.1", "1.2.1", "合计")
    assert matrix[2] == ("城东街道", "乡镇街道组", 0.5, None, 0.5)
    rect = list(wb["整改情况"].iter_rows(min_row=2, values_only=True))
    assert [r[10] for r in rect] == ["按期整改", "逾期未整改（待整改）", "逾期整改"]
    tasks = list(wb["任务完成"].iter_rows(min_row=2, values_only=True))
    assert tasks[1][6] == "按时"


def test_workbook_neutralises_formula_injection(october):
    wb = read_workbook(october)
    cell = wb["扣分明细"]["F5"]  # 口岸街道's two lines, then 城东街道's second finding line
    assert cell.data_type == "s"
    assert cell.value == "'=HYPERLINK(\"http://evil\")"
    assert wb["任务完成"]["C3"].value == "'+设置宣传栏7个"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f"


def test_workbook_dates_and_scores_carry_their_number_formats(october):
    wb = read_workbook(october)
    assert wb["扣分明细"]["G2"].number_format == "yyyy-mm-dd"
    assert wb["扣分明细"]["G2"].value.date() == dt.date(2026, 10, 15)
    assert wb["扣分明细"]["H2"].number_format == "0.00"
    assert wb["整改情况"]["H2"].number_format == "yyyy-mm-dd"
