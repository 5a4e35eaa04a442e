"""Reading real-world workbooks: headers, merged cells, deadlines, and every kind of bad file."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.test import override_settings

from campaign.models import Unit
from campaign.workbook import (
    OLE_MAGIC,
    CellError,
    WorkbookError,
    number_and_unit,
    open_workbook,
    parse_deadline,
    pick_sheet,
    read_table,
    split_names,
    strip_enumeration,
    to_decimal,
)
from dataload import imports
from tasks.importers import TASKS
from tests.import_workbooks import xlsx

UNIT_HEADER = ["单位名称", "简称", "上级单位", "单位类型", "考核组别"]


def _table(data: bytes, spec=TASKS.spec, sheet: str | None = None):
    return read_table(pick_sheet(open_workbook(data), sheet), spec)


# --------------------------------------------------------------------------- headers and merged cells


def test_a_two_row_header_with_a_merged_group_heading_is_flattened():
    data = xlsx(
        [
            ["泰和市创建全国文明城市责任分解表"],
            ["序号", "测评项目", "责任主体", None, "完成时限"],
            [None, None, "牵头单位", "配合单位", None],
            [1, "公共环境", "城东街道", "迎春社区", "2026年9月底"],
        ],
        merges=["A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"],
    )
    table = _table(data)
    assert [(c.letter, c.field) for c in table.columns] == [
        ("A", "code"), ("B", "project"), ("C", "unit"), ("D", "co"), ("E", "deadline"),
    ]
    assert len(table.rows) == 1
    row = table.rows[0]
    assert row.number == 4
    assert row.values["unit"] == "城东街道"
    assert row.values["co"] == "迎春社区"


def test_merged_project_cells_are_carried_down_to_every_row_they_span():
    rows = [["测评项目", "测评内容", "测评标准", "牵头单位"]]
    for i in range(6):
        rows.append(["公共环境" if i == 0 else None, "市容市貌" if i == 0 else ("农贸市场" if i == 3 else None), f"标准{i}", "城东街道"])
    data = xlsx(rows, merges=["A2:A7", "B2:B4", "B5:B7"])
    table = _table(data)
    assert [r.values["project"] for r in table.rows] == ["公共环境"] * 6
    assert [r.values["content"] for r in table.rows] == ["市容市貌"] * 3 + ["农贸市场"] * 3


def test_a_merged_cell_in_a_column_that_does_not_carry_is_read_once():
    data = xlsx(
        [["序号", "牵头单位", "工作标准"], [1, "城东街道", "每日清扫"], [2, "口岸街道", None]],
        merges=["C2:C3"],
    )
    table = _table(data)
    assert [r.values["work_standard"] for r in table.rows] == ["每日清扫", None]


def test_it_says_which_column_it_took_for_which_field():
    data = xlsx([["序号", "责任单位", "时限", "协办单位"], [1, "城东街道", "9月底", None]])
    table = _table(data)
    taken = {c.field: c.header for c in table.columns}
    assert taken == {"code": "序号", "unit": "责任单位", "deadline": "时限", "co": "协办单位"}
    notes = [p.message for p in table.problems if not p.is_error]
    assert "将“责任单位”列作为“牵头单位”读取。" in notes
    assert "将“时限”列作为“完成时限”读取。" in notes


def test_blank_lines_notes_and_total_rows_are_skipped():
    data = xlsx(
        [
            UNIT_HEADER,
            ["城东街道", None, None, "街道", None],
            [None, None, None, None, None],
            ["口岸街道", None, None, "街道", None],
            ["合计", None, None, None, None],
            ["注：单位类型按《单位分类》填写。"],
        ]
    )
    table = _table(data, imports.KINDS["units"].spec)
    assert [r.number for r in table.rows] == [2, 4]
    assert [p.row for p in table.problems if "合计" in p.message] == [5]


def test_the_named_sheet_is_read_and_a_missing_one_is_named_in_the_error():
    data = xlsx([["随便"]], extra_sheets={"单位表": [UNIT_HEADER, ["城东街道", None, None, "街道", None]]})
    table = _table(data, imports.KINDS["units"].spec, sheet="单位表")
    assert table.sheet == "单位表" and len(table.rows) == 1
    with pytest.raises(WorkbookError, match="没有名为“点位表”的工作表，现有工作表：Sheet1、单位表"):
        _table(data, imports.KINDS["units"].spec, sheet="点位表")


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "day", "ongoing"),
    [
        (dt.date(2026, 9, 30), dt.date(2026, 9, 30), False),
        (dt.datetime(2026, 10, 8, 0, 0), dt.date(2026, 10, 8), False),
        ("2026年9月底", dt.date(2026, 9, 30), False),
        ("2026年2月底前", dt.date(2026, 2, 28), False),
        ("9月30日前", dt.date(2026, 9, 30), False),
        ("9月底前", dt.date(2026, 9, 30), False),
        ("11月末", dt.date(2026, 11, 30), False),
        ("10月上旬", dt.date(2026, 10, 10), False),
        ("10月中旬", dt.date(2026, 10, 20), False),
        ("10月下旬", dt.date(2026, 10, 31), False),
        ("2026年10月15日", dt.date(2026, 10, 15), False),
        ("2026-11-05", dt.date(2026, 11, 5), False),
        ("2026/11/5", dt.date(2026, 11, 5), False),
        ("2026.11.5", dt.date(2026, 11, 5), False),
        ("年底前", dt.date(2026, 12, 31), False),
        ("2027年底", dt.date(2027, 12, 31), False),
        ("长期坚持", None, True),
        ("常态化推进", None, True),
        (None, None, False),
    ],
)
def test_deadlines_are_read_in_every_form_offices_write_them(value, day, ongoing):
    deadline = parse_deadline(value, year=2026)
    assert deadline.day == day
    assert deadline.ongoing is ongoing


def test_a_written_deadline_keeps_its_original_text_and_a_real_date_keeps_none():
    assert parse_deadline("9月30日前", year=2026).text == "9月30日前"
    assert parse_deadline(dt.date(2026, 9, 30), year=2026).text == ""


@pytest.mark.parametrize("value", ["尽快完成", "13月底", "2026年2月30日"])
def test_a_deadline_that_is_not_a_date_is_an_error_in_chinese(value):
    with pytest.raises(CellError, match="完成时限"):
        parse_deadline(value, year=2026)


def test_numbers_units_and_names_are_normalised():
    assert to_decimal("2分", label="分值") == Decimal("2.00")
    assert to_decimal(1.5) == Decimal("1.50")
    assert number_and_unit("20%") == (Decimal("20.00"), "%")
    assert number_and_unit("7个") == (Decimal("7.00"), "个")
    assert split_names("市城管局、市住建局，口岸街道 市城管局") == ["市城管局", "市住建局", "口岸街道"]
    with pytest.raises(CellError, match="分值应为数字"):
        to_decimal("两分", label="分值")


@pytest.mark.parametrize(
    ("name", "stripped"),
    [("一、公共环境", "公共环境"), ("（二）市容市貌", "市容市貌"), ("(3)农贸市场", "农贸市场"), ("1.2 市容市貌", "市容市貌"),
     ("二十、文明素质", "文明素质"), ("12345路", "12345路"), ("2026年工作", "2026年工作"), ("十字路口", "十字路口")],
)
def test_list_numbers_are_stripped_from_item_names_and_nothing_else(name, stripped):
    assert strip_enumeration(name) == stripped


# --------------------------------------------------------------------------- bad files


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _good_units_file() -> bytes:
    return xlsx([UNIT_HEADER, ["新城街道", None, "城东区", "街道", "乡镇街道组"]])


BAD_FILES = {
    "renamed_pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "内容与扩展名不符"),
    "renamed_text": ("单位名称,单位类型\n城东街道,街道\n".encode(), "内容与扩展名不符"),
    # An encrypted .xlsx is an OLE container whose directory names the EncryptedPackage stream.
    "password": (OLE_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64
                 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1024, "设置了打开密码"),
    "legacy_xls": (OLE_MAGIC + b"\0" * 2048 + "Workbook".encode("utf-16-le"), "旧版 Excel 97-2003"),
    "word": (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "Word 文档"),
    "truncated": (None, "文件已损坏"),
    "broken_xml": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not-closed"}), "工作簿内容已损坏"),
    "empty": (b"", "空文件"),
    "wrong_columns": (xlsx([["姓名", "年龄"], ["张三", 30]]), "找不到表头"),
    "missing_column": (xlsx([["简称", "单位类型"], ["城东", "街道"]]), "缺少必需的列：单位名称"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_gets_a_clear_message_and_writes_nothing(world, name):
    data, message = BAD_FILES[name]
    if data is None:
        good = _good_units_file()
        data = good[: len(good) // 2]
    before = Unit.objects.count()
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert preview.has_errors
    assert message in preview.errors[0].message
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="units", data=data, actor=world.admin)
    assert Unit.objects.count() == before


def test_a_real_password_protected_workbook_is_refused(world):
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(_good_units_file())).encrypt("Chuangwen#2026", encrypted)
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=encrypted.getvalue())
    assert preview.errors[0].message.startswith("工作簿设置了打开密码（已加密）")
    assert not Unit.objects.filter(name="新城街道").exists()


def test_a_formula_where_a_value_is_expected_is_reported_with_its_cell(world):
    data = xlsx([UNIT_HEADER, ["新城街道", "=LEFT(A2,2)", "城东区", "街道", None]])
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    [error] = preview.errors
    assert (error.row, error.column) == (2, "B（简称）")
    assert "公式“=LEFT(A2,2)”" in error.message
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(campaign=world.campaign, kind="units", data=data)
    assert not Unit.objects.filter(name="新城街道").exists()


@override_settings(IMPORT_MAX_ROWS=5)
def test_a_sheet_over_the_row_cap_is_refused(world):
    rows = [UNIT_HEADER] + [[f"新单位{i}", None, "城东区", "社区", None] for i in range(6)]
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=xlsx(rows))
    assert "超过 5 行的导入上限" in preview.errors[0].message
    assert not Unit.objects.filter(name__startswith="新单位").exists()


@override_settings(IMPORT_MAX_ROWS=6)
def test_a_sheet_at_the_row_cap_is_read():
    rows = [UNIT_HEADER] + [[f"新单位{i}", None, "城东区", "社区", None] for i in range(6)]
    assert len(_table(xlsx(rows), imports.KINDS["units"].spec).rows) == 6


@override_settings(IMPORT_MAX_BYTES=2000)
def test_a_file_over_the_size_cap_is_refused(world):
    rows = [UNIT_HEADER] + [[f"新单位{i}", "说明" * 20, "城东区", "社区", None] for i in range(50)]
    data = xlsx(rows)
    assert len(data) > 2000
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert "超过导入上限" in preview.errors[0].message


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(world):
    # 40 MB of one character compresses about 1000:1: far beyond any real workbook.
    bomb = _zip({
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": b"<workbook/>",
        "xl/worksheets/sheet1.xml": b"<sheetData>" + b"0" * (40 * 1024 * 1024) + b"</sheetData>",
    })
    assert len(bomb) < 200 * 1024
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=bomb)
    assert "压缩炸弹" in preview.errors[0].message


def _many_rows(n: int) -> bytes:
    """A workbook of ``n`` data rows written the cheap way (openpyxl write-only)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(UNIT_HEADER)
    for i in range(n):
        ws.append([f"新单位{i}", None, "城东区", "社区", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@override_settings(IMPORT_MAX_ROWS=50)
def test_rows_are_counted_before_the_workbook_is_loaded(world, monkeypatch):
    from campaign import workbook

    data = _many_rows(5000)
    assert workbook.count_rows(data) == 5001  # header + data, read from the XML without loading it

    def must_not_load(*args, **kwargs):
        raise AssertionError("the workbook was loaded before its rows were counted")

    monkeypatch.setattr(workbook, "load_workbook", must_not_load)
    preview = imports.import_preview(campaign=world.campaign, kind="units", data=data)
    assert "超过 1,062 行（数据上限 50 行）" in preview.errors[0].message  # 50 + 12 header rows + 1000 slack
    assert not Unit.objects.filter(name__startswith="新单位").exists()


def test_the_row_count_sees_prefixed_tags_and_tags_split_across_reads():
    from campaign.workbook import count_rows

    # Rows padded so that tags straddle the 1 MB read boundary somewhere.
    row = b'<x:row r="1"><x:c><x:v>1</x:v></x:c></x:row>' + b" " * 37
    sheet = b"<x:worksheet><x:sheetData>" + row * 60000 + b"</x:sheetData></x:worksheet>"
    assert len(sheet) > 4 * 1024 * 1024
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet})
    assert count_rows(data) == 60000
