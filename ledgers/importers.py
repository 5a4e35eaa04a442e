"""Excel import of the ledgers: 志愿者名册, 宣传栏, 文明家庭, 会议培训, 荣誉, 爱国卫生活动, 常住人口.

Each register is a :class:`campaign.importers.ImportKind` (registered in ``dataload/imports.py``),
so it gets the same two steps as every other table: a preview that writes nothing, then an apply
that reads the file again and writes all rows or none.

Rules of these kinds (beyond those of ``campaign/importers.py``):

- Each row names its 填报单位, matched like every other import (exact, then without 办事处 /
  人民政府 …, then 简称); a row whose unit is unknown is an error.
- A row is the same record as an existing one when its unit and its key columns match (志愿者:
  姓名; 宣传栏: 名称; 文明家庭: 户主、年度、级别; 会议培训: 日期、主题; 荣誉: 名称; 爱国卫生: 日期、活动名称;
  常住人口: the unit alone); it is then updated, never duplicated. Nothing is deleted.
- A 所在村（社区） must be a 村 or 社区 under the row's unit.
- Numbers may carry their unit (“12小时”, “30人”); negative numbers are errors.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaign.importers import ImportKind, Plan, UnitMatcher, all_units_matcher, diff, to_date
from campaign.models import Campaign, Unit
from campaign.workbook import CellError, Column, RowChange, Table, TableRow, TableSpec, to_decimal, to_text

from .models import (
    Board, BoardKind, Family, FamilyLevel, HonourLevel, Honour, HygieneActivity, LedgerRow, Meeting, MeetingKind, Population,
    Volunteer,
)
from .selectors import VILLAGE_TYPES


@dataclass(frozen=True)
class Field:
    """How one column becomes one model field."""

    name: str  # model field
    label: str
    kind: str = "text"  # text | int | decimal | date | year | choice | village
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: Any = None
    note: str = ""
    max_length: int = 200
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = None
    minimum: int = 0


def _choice(text: str, choices: tuple[tuple[str, str], ...], label: str) -> str:
    for value, name in choices:
        if text in (value, name):
            return value
    names = "、".join(name for _, name in choices)
    raise CellError(f"{label}“{text}”无法识别，可填写：{names}。")


class LedgerImportKind(ImportKind):
    """A register as a table: the unit column, the key columns that identify a row, the rest."""

    def __init__(self, *, key: str, label: str, model: type[LedgerRow], fields: tuple[Field, ...], keys: tuple[str, ...], intro: str):
        self.key = key
        self.label = label
        self.sheet_title = label
        self.model = model
        self.fields = fields
        self.keys = keys
        self.intro = intro
        unit_column = Column("unit", "填报单位", ("单位", "所属单位", "乡镇（街道）", "乡镇", "责任单位"), required=True, carry=True,
                             note="须为系统中已有的单位名称。", example="芦洲乡")
        columns = [unit_column] + [
            Column(f.name, f.label, f.aliases, required=f.required, note=f.note, example=f.example) for f in fields
        ]
        self.spec = TableSpec(tuple(columns))

    # -- reading

    def _value(self, f: Field, raw: Any, unit: Unit | None, villages: dict[str, Unit]) -> Any:
        if raw is None or raw == "":
            if f.required:
                raise CellError(f"{f.label}为空。")
            return "" if f.kind == "text" and f.default is None else f.default
        if f.kind == "text":
            text = to_text(raw)
            if len(text) > f.max_length:
                raise CellError(f"{f.label}超过{f.max_length}个字。")
            return text
        if f.kind in ("int", "year"):
            number = to_decimal(raw, label=f.label, places=0, minimum=Decimal(f.minimum))
            value = int(number) if number is not None else f.default
            if f.kind == "year" and value is not None and not 1949 <= value <= 2100:
                raise CellError(f"{f.label}“{raw}”不是有效年度。")
            return value
        if f.kind == "decimal":
            return to_decimal(raw, label=f.label, places=1, minimum=Decimal("0"))
        if f.kind == "date":
            return to_date(raw, label=f.label)
        if f.kind == "choice":
            return _choice(to_text(raw), f.choices, f.label)
        if f.kind == "village":
            name = to_text(raw)
            village = villages.get(name)
            if village is None or unit is None or not village.path.startswith(unit.path):
                where = f"“{unit.name}”下" if unit is not None else ""
                raise CellError(f"{where}没有名为“{name}”的村（社区）。")
            return village
        raise ValueError(f.kind)

    def _read(self, table: Table, row: TableRow, matcher: UnitMatcher, villages: dict[str, Unit]) -> dict[str, Any] | None:
        ok = True
        unit_name = to_text(row.get("unit"))
        unit = None
        if not unit_name:
            table.problem("填报单位为空。", row, "unit")
            ok = False
        else:
            found = matcher.resolve(table, row, "unit", [unit_name])
            unit = found[0] if found else None
            ok = ok and unit is not None
        values: dict[str, Any] = {"unit": unit}
        for f in self.fields:
            try:
                values[f.name] = self._value(f, row.get(f.name), unit, villages)
            except CellError as exc:
                table.problem(str(exc), row, f.name)
                ok = False
        return values if ok else None

    def _identity(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return (values["unit"].pk, *(values[k] for k in self.keys))

    def _row_label(self, values: dict[str, Any]) -> str:
        parts = [values["unit"].name] + [str(values[k]) for k in self.keys]
        return " · ".join(parts)

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        matcher = all_units_matcher()
        villages = {u.name: u for u in Unit.objects.filter(unit_type__in=VILLAGE_TYPES).only("id", "name", "path")}
        existing = {
            (obj.unit_id, *(getattr(obj, k) for k in self.keys)): obj
            for obj in self.model.objects.filter(campaign=campaign).select_related("unit")
        }
        seen: dict[tuple[Any, ...], int] = {}
        changes: list[RowChange] = []
        creates: list[LedgerRow] = []
        updates: list[tuple[LedgerRow, dict[str, Any]]] = []
        for row in table.rows:
            values = self._read(table, row, matcher, villages)
            if values is None:
                continue
            identity = self._identity(values)
            label = self._row_label(values)
            if identity in seen:
                table.problem(f"“{label}”与第{seen[identity]}行重复。", row)
                continue
            seen[identity] = row.number
            current = existing.get(identity)
            written = {k: v for k, v in values.items() if k == "unit" or k in has}
            if current is None:
                creates.append(self.model(campaign=campaign, **{k: v for k, v in values.items() if v is not None}))
                changes.append(RowChange("create", label, row.number))
                continue
            pairs = [
                (f.label, getattr(current, f.name), written[f.name]) for f in self.fields if f.name in written and f.name not in self.keys
            ]
            changed = diff(pairs)
            if changed:
                updates.append((current, written))
            changes.append(RowChange("update" if changed else "unchanged", label, row.number, changed))

        def apply() -> None:
            self.model.objects.bulk_create(creates, batch_size=500)
            for obj, written in updates:
                for name, value in written.items():
                    if name != "unit" and name not in self.keys:
                        setattr(obj, name, value if value is not None else self.model._meta.get_field(name).get_default())
                obj.save()

        return Plan(changes, apply)

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        return self.table_rows(self.model.objects.filter(campaign=campaign).order_by("unit__path", "pk"))

    def table_rows(self, queryset: Any) -> list[list[Any]]:
        """``queryset``'s rows in the template's columns (the list page's export imports back unchanged)."""
        rows = []
        related = ["unit"] + [f.name for f in self.fields if f.kind == "village"]
        for obj in queryset.select_related(*related):
            line: list[Any] = [obj.unit.name]
            for f in self.fields:
                value = getattr(obj, f.name)
                if f.kind == "choice":
                    value = dict(f.choices).get(value, value)
                elif f.kind == "village":
                    value = value.name if value is not None else ""
                line.append(value)
            rows.append(line)
        return rows


NOTE = Field("note", "备注", aliases=("说明",), example="")

VOLUNTEERS = LedgerImportKind(
    key="ledger-volunteers", label="志愿者名册", model=Volunteer, keys=("name",),
    intro="每行一名注册志愿者，按“填报单位 + 姓名”新增或更新；同一单位有同名志愿者的，请在姓名后注明区分。参加活动人次和服务时长为累计数。",
    fields=(
        Field("name", "姓名", required=True, aliases=("志愿者", "志愿者姓名"), example="李红梅", max_length=50),
        Field("team", "服务队", aliases=("志愿服务队", "所属服务队", "队伍"), example="芦洲乡青年志愿服务队", max_length=100),
        Field("registered_on", "注册日期", "date", aliases=("注册时间",), example=dt.date(2026, 5, 12)),
        Field("activity_count", "参加活动人次", "int", aliases=("人次", "参加活动次数", "活动人次"), example=2, default=0),
        Field("hours", "服务时长", "decimal", aliases=("服务时长（小时）", "志愿服务时长", "时长", "小时"), example=4, note="小时，可带一位小数", default=Decimal("0")),
        NOTE,
    ),
)

BOARDS = LedgerImportKind(
    key="ledger-boards", label="宣传栏台账", model=Board, keys=("name",),
    intro="每行一个宣传栏或公益广告，按“填报单位 + 名称/位置”新增或更新。所在村（社区）须为该单位下的村或社区。照片请在页面上补传。",
    fields=(
        Field("name", "名称/位置", required=True, aliases=("名称", "位置", "宣传栏名称", "设置地点"), example="芦洲村村委会门口宣传栏", max_length=150),
        Field("kind", "类别", "choice", choices=tuple(BoardKind.choices), aliases=("类型",), example="宣传栏", default=BoardKind.BOARD,
              note="宣传栏 或 公益广告；留空为宣传栏"),
        Field("village", "所在村（社区）", "village", aliases=("所在村", "村（社区）", "村居"), example="芦洲村"),
        Field("built_on", "建成日期", "date", aliases=("建成时间", "设置日期"), example=dt.date(2026, 7, 20)),
        NOTE,
    ),
)

FAMILIES = LedgerImportKind(
    key="ledger-families", label="文明家庭台账", model=Family, keys=("household", "year", "level"),
    intro="每行一户文明家庭（文明户），按“填报单位 + 户主 + 年度 + 级别”新增或更新。",
    fields=(
        Field("household", "户主/家庭", required=True, aliases=("户主", "家庭", "户名"), example="刘建国家庭", max_length=50),
        Field("village", "所在村（社区）", "village", aliases=("所在村", "村（社区）", "村居"), example="芦洲村"),
        Field("level", "级别", "choice", required=True, choices=tuple(FamilyLevel.choices), aliases=("等级",), example="县级"),
        Field("year", "评选年度", "year", required=True, aliases=("年度", "年份"), example=2026),
        NOTE,
    ),
)

MEETINGS = LedgerImportKind(
    key="ledger-meetings", label="会议培训台账", model=Meeting, keys=("held_on", "topic"),
    intro="每行一次会议或培训，按“填报单位 + 日期 + 主题”新增或更新。照片请在页面上补传。",
    fields=(
        Field("held_on", "日期", "date", required=True, aliases=("时间", "召开日期", "举办日期"), example=dt.date(2026, 5, 8)),
        Field("kind", "类别", "choice", choices=tuple(MeetingKind.choices), aliases=("类型",), example="会议", default=MeetingKind.MEETING,
              note="会议 或 培训；留空为会议"),
        Field("topic", "主题", required=True, aliases=("会议主题", "培训主题", "名称"), example="创建全国文明城市动员会"),
        Field("attendance", "参加人数", "int", required=True, aliases=("人数", "参会人数", "参训人数"), example=60),
        NOTE,
    ),
)

HONOURS = LedgerImportKind(
    key="ledger-honours", label="荣誉台账", model=Honour, keys=("name",),
    intro="每行一项荣誉，按“填报单位 + 荣誉名称”新增或更新。",
    fields=(
        Field("name", "荣誉名称", required=True, aliases=("荣誉", "称号", "荣誉称号"), example="省级卫生乡镇", max_length=150),
        Field("level", "级别", "choice", required=True, choices=tuple(HonourLevel.choices), aliases=("等级",), example="省级"),
        Field("awarded_on", "授予日期", "date", required=True, aliases=("日期", "获得时间"), example=dt.date(2026, 6, 30)),
        Field("issuer", "授予单位", required=True, aliases=("发文单位", "颁发单位"), example="省爱卫会", max_length=100),
        NOTE,
    ),
)

HYGIENE = LedgerImportKind(
    key="ledger-hygiene", label="爱国卫生活动台账", model=HygieneActivity, keys=("held_on", "topic"),
    intro="每行一次爱国卫生活动，按“填报单位 + 日期 + 活动名称”新增或更新。",
    fields=(
        Field("held_on", "日期", "date", required=True, aliases=("时间", "活动日期"), example=dt.date(2026, 8, 15)),
        Field("topic", "活动名称", required=True, aliases=("活动", "主题"), example="“六清”清洁家园灭蚊防病行动"),
        Field("participants", "参加人数", "int", required=True, aliases=("参加活动人数", "人数"), example=1200),
        Field("containers", "清除积水容器", "int", aliases=("积水容器",), example=230, default=0),
        Field("tyres", "清理露天轮胎", "int", aliases=("露天轮胎",), example=40, default=0),
        Field("blackspots", "清理卫生死角", "int", aliases=("卫生死角",), example=85, default=0),
        NOTE,
    ),
)

POPULATION = LedgerImportKind(
    key="ledger-population", label="常住人口", model=Population, keys=(),
    intro="每行一个单位的常住人口，按单位新增或更新；用于计算注册志愿者占比。",
    fields=(
        Field("residents", "常住人口", "int", required=True, minimum=1, aliases=("人口", "常住人口（人）", "人数"), example=4650),
        Field("source", "数据来源", aliases=("来源",), example="2025年统计年鉴", max_length=100),
        NOTE,
    ),
)

# The import kind of each ledger page (ledgers/kinds.py key → kind), for the list page's export.
BY_LEDGER: dict[str, LedgerImportKind] = {
    "population": POPULATION, "volunteers": VOLUNTEERS, "boards": BOARDS, "families": FAMILIES, "meetings": MEETINGS,
    "honours": HONOURS, "hygiene": HYGIENE,
}
