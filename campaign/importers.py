"""Importers and exporters for the campaign's own tables: 测评体系, 责任单位 and 点位.

Each kind is an :class:`ImportKind`: the columns it reads (with the variants
real tables use), how one table becomes a :class:`Plan` (the changes to show
and a function that writes them), and how the database is written back to the
same columns (so export → import changes nothing).

Rules every kind follows:

- Nothing is deleted: rows missing from the file are left alone.
- Only the columns present in the file are compared and written, so a file
  without a 牵头单位 column does not clear the lead units.
- Units are matched by name, exactly, then with suffixes such as 办事处 /
  人民政府 ignored (:class:`UnitMatcher`). A unit that cannot be matched is an
  error on that row; units are never invented by other kinds' imports.
- Small vocabularies that real files introduce freely (点位类型, 考核组别) are
  created when missing, and the preview says so.

The 责任分解表 importer lives in ``tasks/importers.py``; the registry of every
kind and the preview/apply service in ``dataload/imports.py``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max

from .models import AssessmentMethod, Campaign, Indicator, InspectionPoint, PointType, RankingGroup, Unit, UnitType
from .periods import new_unit_active_from
from .search import refresh_point_search
from .workbook import (
    CellError, Column, Problem, RowChange, Table, TableRow, TableSpec, fill_down, split_names, strip_enumeration, to_code, to_decimal,
    to_text,
)

# --------------------------------------------------------------------------- shared helpers


@dataclass
class Plan:
    """What an import would do: the changes for the preview and the function that writes them."""

    changes: list[RowChange]
    apply: Callable[[], None]


class ImportKind:
    """One importable table. Subclasses set the class attributes and implement the two methods."""

    key: str = ""
    label: str = ""
    sheet_title: str = ""
    spec: TableSpec
    intro: str = ""

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        raise NotImplementedError

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        raise NotImplementedError

    def example_row(self) -> list[Any]:
        return [c.example for c in self.spec.columns]


def show(value: Any) -> str:
    """A value as the preview shows it."""
    if value is None or value == "" or value == [] or value == set():
        return "（空）"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(sorted(str(v) for v in value)) if isinstance(value, (set, frozenset)) else "、".join(map(str, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def diff(pairs: Iterable[tuple[str, Any, Any]]) -> list[str]:
    """["分值：2.00 → 3.00", ...] for the pairs whose old and new values differ."""
    return [f"{label}：{show(old)} → {show(new)}" for label, old, new in pairs if old != new]


UNIT_SUFFIXES = (
    "人民政府", "办事处", "管理委员会", "居民委员会", "村民委员会", "委员会", "居委会", "村委会", "党工委", "党委",
)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)$")


def to_date(value: Any, *, label: str) -> dt.date | None:
    """A date cell: a real date, "2026-11-01", "2026/11/1", "2026年11月1日", or a month ("2026-11",
    "2026年11月" → its first day); empty → None; anything else a CellError in Chinese."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = _DATE.match(text)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        pass
    raise CellError(f"{label}“{text}”不是有效日期：请填写如 2026-11-01 或 2026年11月1日。")


def strip_unit_suffix(name: str) -> str:
    """"城东街道办事处" → "城东街道"; names that are only a suffix stay as they are."""
    name = re.sub(r"\s+", "", name)
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class UnitMatcher:
    """Finds units by the names offices write: exact name, then suffixes ignored, then 简称."""

    def __init__(self, units: Iterable[Unit]):
        self.exact: dict[str, Unit] = {}
        self.loose: dict[str, list[Unit]] = defaultdict(list)
        self.short: dict[str, list[Unit]] = defaultdict(list)
        for unit in units:
            self.add(unit)

    def add(self, unit: Unit) -> None:
        self.exact[unit.name] = unit
        self.loose[strip_unit_suffix(unit.name)].append(unit)
        if unit.short_name:
            self.short[unit.short_name].append(unit)

    def find(self, name: str) -> tuple[Unit | None, str]:
        """The unit for ``name`` and, when it was not an exact match, a note saying how it was matched."""
        name = name.strip()
        if name in self.exact:
            return self.exact[name], ""
        for candidates in (self.loose.get(strip_unit_suffix(name), []), self.short.get(name, [])):
            unique = {u.name: u for u in candidates}
            if len(unique) == 1:
                unit = next(iter(unique.values()))
                return unit, f"“{name}”按单位“{unit.name}”匹配。"
            if len(unique) > 1:
                return None, f"“{name}”可对应多个单位（{'、'.join(sorted(unique))}），请写全称。"
        return None, f"找不到单位“{name}”：请先在单位表中添加或改为系统中的单位名称（导入不会自动新建单位）。"

    def resolve(self, table: Table, row: TableRow, field_name: str, names: list[str]) -> list[Unit] | None:
        """Units for ``names``; problems go to ``table``; ``None`` when any name failed."""
        found: list[Unit] = []
        ok = True
        for name in names:
            unit, note = self.find(name)
            if unit is None:
                table.problem(note, row, field_name)
                ok = False
            else:
                if note:
                    table.problem(note, row, field_name, level="warning")
                if unit not in found:
                    found.append(unit)
        return found if ok else None


def required_name(table: Table, row: TableRow, label: str, max_length: int) -> str:
    """The row's ``name`` cell, or ``""`` after reporting it empty or too long."""
    name = to_text(row.get("name"))
    if not name:
        table.problem(f"{label}为空。", row, "name")
    elif len(name) > max_length:
        table.problem(f"{label}超过{max_length}个字。", row, "name")
        return ""
    return name


def all_units_matcher() -> UnitMatcher:
    return UnitMatcher(Unit.objects.only("id", "name", "short_name", "unit_type", "path"))


UNIT_TYPE_ALIASES = {
    "区": UnitType.DISTRICT, "县": UnitType.DISTRICT, "区县": UnitType.DISTRICT, "县区": UnitType.DISTRICT,
    "县（市、区）": UnitType.DISTRICT, "镇": UnitType.TOWNSHIP, "乡": UnitType.TOWNSHIP, "乡镇（街道）": UnitType.TOWNSHIP,
    "处室": UnitType.OFFICE, "科室": UnitType.OFFICE, "村（社区）": UnitType.VILLAGE, "居委会": UnitType.COMMUNITY,
    "村委会": UnitType.VILLAGE, "单位": UnitType.DEPARTMENT, "市直部门": UnitType.DEPARTMENT, "市直单位": UnitType.DEPARTMENT,
}
ALL_WORDS = {"全部", "所有", "不限", "所有单位", "全部单位"}


def parse_unit_type(text: str) -> str:
    for value, label in UnitType.choices:
        if text in (value, label):
            return value
    if text in UNIT_TYPE_ALIASES:
        return UNIT_TYPE_ALIASES[text]
    labels = "、".join(label for _, label in UnitType.choices)
    raise CellError(f"无法识别的单位类型“{text}”，可填写：{labels}。")


def unit_type_label(value: str) -> str:
    return dict(UnitType.choices).get(value, value)


def point_types_by_name() -> dict[str, PointType]:
    return {pt.name: pt for pt in PointType.objects.all()}


# --------------------------------------------------------------------------- indicators

METHOD_WORDS = {
    "实地考察": AssessmentMethod.FIELD, "实地考查": AssessmentMethod.FIELD, "实地检查": AssessmentMethod.FIELD,
    "实地察看": AssessmentMethod.FIELD, "材料审核": AssessmentMethod.MATERIAL, "材料审查": AssessmentMethod.MATERIAL,
    "资料审核": AssessmentMethod.MATERIAL, "问卷调查": AssessmentMethod.SURVEY, "网络测评": AssessmentMethod.ONLINE,
    "网上测评": AssessmentMethod.ONLINE, "网络调查": AssessmentMethod.ONLINE,
}
CODE_PATTERN = re.compile(r"^\d{1,3}(\.\d{1,3}){0,2}$")


def derive_leaf_name(standard: str) -> str:
    """A 测评标准's short name when the file has none: its first sentence, at most 60 characters."""
    first = re.split(r"[。；;\n]", standard, maxsplit=1)[0].strip()
    return (first or standard)[:60]


@dataclass
class _Node:
    code: str
    level: int
    name: str = ""
    row: TableRow | None = None  # the row defining it; None for a parent only implied by its children
    origin: TableRow | None = None  # for an implied parent: the first row that needed it
    score: Decimal | None = None
    standard_text: str = ""
    method: str = ""
    unit_types: list[str] = field(default_factory=list)
    lead: Unit | None = None
    co: list[Unit] = field(default_factory=list)
    point_types: list[str] = field(default_factory=list)
    order: int = 0

    @property
    def parent_code(self) -> str:
        return self.code.rsplit(".", 1)[0] if "." in self.code else ""


def _natural(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdigit())


class IndicatorKind(ImportKind):
    """测评体系: 测评项目 → 测评内容 → 测评标准, by code (1, 1.2, 1.2.3) or by column nesting."""

    key = "indicators"
    label = "测评体系"
    sheet_title = "测评体系"
    intro = (
        "每行一条测评标准（也可以单独一行写测评项目或测评内容及其分值）。有“编号”列时按编号（1、1.2、1.2.3）建立"
        "层级并据此更新；没有编号时按“测评项目—测评内容—测评标准”的嵌套自动生成编号。合并单元格和空白的测评项目、"
        "测评内容会沿用上一行。"
    )
    spec = TableSpec((
        Column("code", "编号", ("指标编号", "测评编号", "编码", "代码", "指标代码"), note="1、1.2、1.2.3 三级编号；可留空，留空时按嵌套自动编号。", example="1.2.3"),
        Column("project", "测评项目", ("一级指标", "测评项目名称", "项目"), required=True, carry=True, note="一级指标名称，可合并单元格。", example="公共环境"),
        Column("content", "测评内容", ("二级指标", "测评内容名称", "内容"), carry=True, note="二级指标名称，可合并单元格。", example="户外广告"),
        Column("name", "标准名称", ("三级指标", "指标名称", "测评标准名称"), note="测评标准的简称；可留空，留空时取测评标准的第一句。", example="公益广告占比"),
        Column("standard", "测评标准", ("测评标准内容", "标准", "测评要求", "考核标准", "评分标准", "测评细则"), note="测评标准全文。", example="户外公益广告达20%以上比例，工地围挡公益广告达30%以上比例。"),
        Column("score", "分值", ("标准分", "分数", "分值（分）", "权重分", "满分", "分值分"), note="数字，最多两位小数；上级指标留空时取下级之和。", example=2),
        Column("method", "测评方法", ("考核方法", "测评方式", "评价方法", "考核方式"), note="实地考察、材料审核、问卷调查或网络测评。", example="实地考察"),
        Column("unit_types", "适用单位类型", ("适用单位", "适用对象", "适用范围"), note="多个用顿号分隔，如“街道、乡镇”；留空表示适用于所有单位。", example="街道、乡镇"),
        Column("lead", "牵头单位", ("责任单位", "主责单位", "牵头部门", "牵头责任单位"), note="须为系统中已有的单位名称。", example="市城管局"),
        Column("co", "配合单位", ("协办单位", "配合部门", "协助单位", "配合责任单位"), note="多个用顿号分隔；须为系统中已有的单位。", example="城东街道、口岸街道"),
        Column("point_types", "适用点位类型", ("点位类型", "适用点位", "检查点位"), note="多个用顿号分隔；系统中没有的点位类型会新建。", example="主次干道、建筑工地"),
    ))

    # -- reading

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        existing = {
            ind.code: ind
            for ind in Indicator.objects.filter(campaign=campaign).select_related("lead_unit").prefetch_related("co_units", "point_types")
        }
        # Name paths of what exists, so files without codes update rather than duplicate.
        path_code: dict[tuple[str, ...], str] = {}
        code_path: dict[str, tuple[str, ...]] = {}
        for ind in sorted(existing.values(), key=lambda i: (i.level, _natural(i.code))):
            parent_path = code_path.get(ind.code.rsplit(".", 1)[0], ()) if ind.level > 1 else ()
            code_path[ind.code] = (*parent_path, ind.name)
            path_code[code_path[ind.code]] = ind.code
            if ind.level == 3 and ind.standard_text:
                path_code.setdefault((*parent_path, "#" + ind.standard_text), ind.code)
        matcher = all_units_matcher()
        known_types = point_types_by_name()
        new_types: list[str] = []
        nodes: dict[str, _Node] = {}
        used_children: dict[str, set[int]] = defaultdict(set)
        for code in existing:
            used_children[code.rsplit(".", 1)[0] if "." in code else ""].add(_natural(code)[-1])

        rows = table.rows
        fill_down(rows, ["project", "content", "standard"] if "name" not in has else ["project", "content", "name"])

        def names_of(row: TableRow) -> list[str]:
            standard = to_text(row.get("standard"))
            leaf = to_text(row.get("name")) or (derive_leaf_name(standard) if standard else "")
            # "一、公共环境" is 公共环境: the list number is the table's, the code is ours.
            return [strip_enumeration(n) if n else "" for n in (to_text(row.get("project")), to_text(row.get("content")), leaf)]

        def generate(parent: str) -> str:
            taken = used_children[parent]
            number = max(taken, default=0) + 1
            taken.add(number)
            return f"{parent}.{number}" if parent else str(number)

        for position, row in enumerate(rows, start=1):
            names = names_of(row)
            code = to_code(row.get("code")) if "code" in has else ""
            if code and not CODE_PATTERN.match(code):
                table.problem(f"编号“{code}”格式不对，应为 1、1.2 或 1.2.3。", row, "code")
                continue
            level = code.count(".") + 1 if code else max((i + 1 for i, n in enumerate(names) if n), default=0)
            if level == 0:
                table.problem("这一行没有测评项目、测评内容或测评标准。", row, "project")
                continue
            missing = [label for label, name in zip(("测评项目", "测评内容", "测评标准"), names[:level]) if not name]
            if not code and missing:
                table.problem(f"缺少{'、'.join(missing)}，无法确定指标层级。", row, "project" if "测评项目" in missing else "content")
                continue
            if code and not names[level - 1]:
                what = ("测评项目", "测评内容", "测评标准")[level - 1]
                table.problem(f"编号为{code}的{what}没有名称。", row, ("project", "content", "standard")[level - 1])
                continue
            # Codes of this row and its parents: given, or found by name path, or generated.
            codes: list[str] = []
            if code:
                parts = code.split(".")
                codes = [".".join(parts[: i + 1]) for i in range(level)]
                for i, c in enumerate(codes):
                    used_children[codes[i - 1] if i else ""].add(int(parts[i]))
                    path_code.setdefault(tuple(names[: i + 1]), c)
            else:
                for i in range(level):
                    path = tuple(names[: i + 1])
                    found = path_code.get(path)
                    if found is None and i == 2 and row.get("standard"):
                        found = path_code.get((*names[:2], "#" + to_text(row.get("standard"))))
                    if found is None:
                        found = generate(codes[-1] if codes else "")
                        path_code[path] = found
                    codes.append(found)
            for i, c in enumerate(codes[:-1]):
                if c not in nodes:
                    nodes[c] = _Node(code=c, level=i + 1, name=names[i], order=position, origin=row)
            target = codes[-1]
            if target in nodes and nodes[target].row is not None:
                first = nodes[target].row
                table.problem(f"编号{target}与第{first.number}行重复。", row, "code" if code else "content")
                continue
            node = nodes.get(target) or _Node(code=target, level=level, order=position)
            nodes[target] = node
            node.row = row
            node.name = names[level - 1]
            node.standard_text = to_text(row.get("standard"))
            self._read_details(table, row, node, matcher, known_types, new_types)

        # Parents without a score of their own carry the sum of their children.
        children: dict[str, list[str]] = defaultdict(list)
        for code in set(nodes) | set(existing):
            if "." in code:
                children[code.rsplit(".", 1)[0]].append(code)

        def score_of(code: str) -> Decimal:
            node = nodes.get(code)
            if node is not None and node.score is not None:
                return node.score
            if node is None:
                return existing[code].score
            kids = children.get(code, [])
            return sum((score_of(k) for k in kids), Decimal("0.00")) if kids else Decimal("0.00")

        for code, node in nodes.items():
            kids = children.get(code, [])
            if node.score is not None and kids and "score" in has:
                total = sum((score_of(k) for k in kids), Decimal("0.00"))
                if total != node.score:
                    table.problem(f"编号{code}的分值为{node.score}，其下级分值合计为{total}，请核对。", node.row, "score", level="warning")

        for name in new_types:
            table.problems.append(_note(table, f"将新建点位类型“{name}”。"))

        changes: list[RowChange] = []
        to_create: list[_Node] = []
        to_update: list[tuple[Indicator, _Node, list[str]]] = []
        for code in sorted(nodes, key=lambda c: (nodes[c].order, _natural(c))):
            node = nodes[code]
            label = f"{code} {node.name}"
            current = existing.get(code)
            if current is None:
                if not node.name:
                    what = ("测评项目", "测评内容", "测评标准")[node.level - 1]
                    table.problem(f"上级指标{code}没有名称：请在本行填写{what}，或单独一行写出编号{code}的指标。",
                                  node.origin, ("project", "content", "standard")[node.level - 1])
                    continue
                if node.score is None:
                    node.score = score_of(code)
                to_create.append(node)
                changes.append(RowChange("create", label, node.row.number if node.row else None))
                continue
            if node.row is None:
                # An existing parent only named by its children keeps everything but its
                # score, which follows the sum of its children when the file has scores.
                if "score" in has and score_of(code) != current.score:
                    node.score = score_of(code)
                    changed = diff([("分值（下级合计）", current.score, node.score)])
                    to_update.append((current, node, changed))
                    changes.append(RowChange("update", label, None, changed))
                continue
            pairs = []
            if node.level < 3 or "name" in has:
                pairs.append(("名称", current.name, node.name))
            if "score" in has and node.score is not None:
                pairs.append(("分值", current.score, node.score))
            if "standard" in has:
                pairs.append(("测评标准", current.standard_text, node.standard_text))
            if "method" in has:
                pairs.append(("测评方法", current.get_method_display() if current.method else "", dict(AssessmentMethod.choices).get(node.method, "")))
            if "unit_types" in has:
                pairs.append(("适用单位类型", {unit_type_label(t) for t in current.applicable_unit_types}, {unit_type_label(t) for t in node.unit_types}))
            if "lead" in has:
                pairs.append(("牵头单位", current.lead_unit.name if current.lead_unit else "", node.lead.name if node.lead else ""))
            if "co" in has:
                pairs.append(("配合单位", {u.name for u in current.co_units.all()}, {u.name for u in node.co}))
            if "point_types" in has:
                pairs.append(("适用点位类型", {p.name for p in current.point_types.all()}, set(node.point_types)))
            changed = diff(pairs)
            if changed:
                to_update.append((current, node, changed))
                changes.append(RowChange("update", label, node.row.number, changed))
            else:
                changes.append(RowChange("unchanged", label, node.row.number))

        def apply() -> None:
            types = point_types_by_name()
            order_base = (PointType.objects.aggregate(m=Max("order"))["m"] or 0) + 1
            PointType.objects.bulk_create([PointType(name=n, order=order_base + i) for i, n in enumerate(new_types) if n not in types])
            types = point_types_by_name()
            ids = {code: ind.pk for code, ind in existing.items()}
            created: list[tuple[Indicator, _Node]] = []
            for level in (1, 2, 3):
                batch = [
                    (Indicator(
                        campaign=campaign, parent_id=ids.get(n.parent_code) if n.parent_code else None, level=n.level,
                        code=n.code, name=n.name[:200], score=n.score or Decimal("0"), standard_text=n.standard_text,
                        method=n.method, applicable_unit_types=n.unit_types, lead_unit=n.lead, order=n.order,
                    ), n)
                    for n in to_create if n.level == level
                ]
                Indicator.objects.bulk_create([obj for obj, _ in batch], batch_size=500)
                for obj, n in batch:
                    ids[n.code] = obj.pk
                created.extend(batch)
            updated_fields = ["name", "score", "standard_text", "method", "applicable_unit_types", "lead_unit"]
            for ind, n, _ in to_update:
                if n.row is None:
                    ind.score = n.score
                    continue
                if n.level < 3 or "name" in has:
                    ind.name = n.name[:200]
                if "score" in has and n.score is not None:
                    ind.score = n.score
                if "standard" in has:
                    ind.standard_text = n.standard_text
                if "method" in has:
                    ind.method = n.method
                if "unit_types" in has:
                    ind.applicable_unit_types = n.unit_types
                if "lead" in has:
                    ind.lead_unit = n.lead
            Indicator.objects.bulk_update([ind for ind, _, _ in to_update], updated_fields, batch_size=500)
            co_through = Indicator.co_units.through
            pt_through = Indicator.point_types.through
            relinked = [(ind, n) for ind, n, _ in to_update if n.row is not None] + created
            if "co" in has:
                co_through.objects.filter(indicator_id__in=[ind.pk for ind, n in relinked]).delete()
                co_through.objects.bulk_create(
                    [co_through(indicator_id=ind.pk, unit_id=u.pk) for ind, n in relinked for u in n.co], batch_size=1000
                )
            if "point_types" in has:
                pt_through.objects.filter(indicator_id__in=[ind.pk for ind, n in relinked]).delete()
                pt_through.objects.bulk_create(
                    [pt_through(indicator_id=ind.pk, pointtype_id=types[name].pk) for ind, n in relinked for name in n.point_types],
                    batch_size=1000,
                )

        return Plan(changes, apply)

    def _read_details(self, table: Table, row: TableRow, node: _Node, matcher: UnitMatcher,
                      known_types: dict[str, PointType], new_types: list[str]) -> None:
        try:
            node.score = to_decimal(row.get("score"), label="分值", minimum=Decimal("0"))
        except CellError as exc:
            table.problem(str(exc), row, "score")
        method_text = to_text(row.get("method"))
        if method_text:
            methods = [METHOD_WORDS.get(w) for w in split_names(method_text)]
            if not methods or any(m is None for m in methods):
                table.problem(f"无法识别的测评方法“{method_text}”，可填写：实地考察、材料审核、问卷调查、网络测评。", row, "method")
            else:
                node.method = methods[0]
                if len(set(methods)) > 1:
                    table.problem(f"测评方法“{method_text}”有多种，按“{method_text and split_names(method_text)[0]}”记录。", row, "method", level="warning")
        types_text = split_names(row.get("unit_types"))
        if types_text and not (set(types_text) & ALL_WORDS):
            values = []
            for text in types_text:
                try:
                    value = parse_unit_type(text)
                except CellError as exc:
                    table.problem(str(exc), row, "unit_types")
                    continue
                if value not in values:
                    values.append(value)
            order = [v for v, _ in UnitType.choices]
            node.unit_types = sorted(values, key=order.index)
        lead_names = split_names(row.get("lead"))
        if lead_names:
            leads = matcher.resolve(table, row, "lead", lead_names)
            if leads:
                node.lead = leads[0]
                if len(leads) > 1:
                    node.co = leads[1:]
                    table.problem(f"牵头单位有多个，以“{leads[0].name}”为牵头单位，其余作为配合单位。", row, "lead", level="warning")
        co = matcher.resolve(table, row, "co", split_names(row.get("co")))
        if co:
            node.co = [u for u in [*node.co, *co] if u != node.lead]
        for name in split_names(row.get("point_types")):
            if name not in known_types and name not in new_types:
                new_types.append(name)
            if name not in node.point_types:
                node.point_types.append(name)

    # -- writing back

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        indicators = list(
            Indicator.objects.filter(campaign=campaign).select_related("lead_unit").prefetch_related("co_units", "point_types")
        )
        by_id = {i.pk: i for i in indicators}
        rows = []
        for ind in sorted(indicators, key=lambda i: _natural(i.code)):
            chain = [ind]
            while chain[-1].parent_id and chain[-1].parent_id in by_id:
                chain.append(by_id[chain[-1].parent_id])
            chain.reverse()
            names = [c.name for c in chain] + ["", "", ""]
            rows.append([
                ind.code,
                names[0],
                names[1] if ind.level >= 2 else "",
                ind.name if ind.level == 3 else "",
                ind.standard_text,
                ind.score,
                ind.get_method_display() if ind.method else "",
                "、".join(unit_type_label(t) for t in ind.applicable_unit_types),
                ind.lead_unit.name if ind.lead_unit else "",
                "、".join(sorted(u.name for u in ind.co_units.all())),
                "、".join(sorted(p.name for p in ind.point_types.all())),
            ])
        return rows


# --------------------------------------------------------------------------- units


class UnitKind(ImportKind):
    """责任单位: the unit tree with types and ranking groups, updated by name."""

    key = "units"
    label = "责任单位"
    sheet_title = "责任单位"
    intro = "每行一个单位，按单位名称新增或更新。上级单位可以是本表中的单位，也可以是系统中已有的单位；上级单位找不到时报错，不会自动新建。"
    spec = TableSpec((
        Column("name", "单位名称", ("单位", "名称", "责任单位名称", "单位全称"), required=True, note="单位全称，系统按名称识别同一单位。", example="城东街道"),
        Column("short_name", "简称", ("单位简称",), note="可留空。", example="城东"),
        Column("parent", "上级单位", ("上级", "所属单位", "隶属单位", "上级主管单位"), carry=True, note="留空表示最上级；须为本表或系统中的单位。", example="城东区"),
        Column("unit_type", "单位类型", ("类型", "类别", "单位类别"), carry=True, note="市、区/县、乡镇、街道、村、社区、部门、处室/科室、医院、学校、企业。新单位必填。", example="街道"),
        Column("group", "考核组别", ("组别", "考核分组", "排名组别", "考核类别"), carry=True, note="如 乡镇街道组、市直部门组；系统中没有的组别会新建。可留空。", example="乡镇街道组"),
        Column("active_from", "启用日期", ("启用时间", "设立日期", "参加考核日期"), note="自该日所在月份起参加月度考核，如 2026-11-01；留空表示一直参加。年中新设的单位请填写，否则重新发布以前月份时会参加排名。"),
        Column("active_until", "停用日期", ("停用时间", "撤并日期", "撤销日期"), note="参加月度考核到该日所在月份为止；留空表示一直参加。"),
    ))

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        units = list(Unit.objects.select_related("parent", "ranking_group"))
        matcher = UnitMatcher(units)
        groups = {g.name: g for g in RankingGroup.objects.all()}
        new_groups: list[str] = []
        # name in file → (row, existing unit or None, desired values)
        planned: dict[str, dict[str, Any]] = {}
        file_names: dict[str, str] = {}  # loose name → file name, to find parents among new rows
        default_from = new_unit_active_from()
        dated_by_default: list[str] = []
        for row in table.rows:
            name = required_name(table, row, "单位名称", 100)
            if not name:
                continue
            current = matcher.exact.get(name)
            if current is None:
                candidate, note = matcher.find(name)
                if candidate is not None:
                    current = candidate
                    table.problem(note + "将更新该单位，不改名。", row, "name", level="warning")
            key = current.name if current else name
            if key in planned:
                table.problem(f"单位“{name}”与第{planned[key]['row'].number}行重复。", row, "name")
                continue
            item: dict[str, Any] = {"row": row, "current": current, "name": key}
            item["short_name"] = to_text(row.get("short_name"))[:50]
            type_text = to_text(row.get("unit_type"))
            item["unit_type"] = current.unit_type if current else ""
            if type_text:
                try:
                    item["unit_type"] = parse_unit_type(type_text)
                except CellError as exc:
                    table.problem(str(exc), row, "unit_type")
            elif current is None:
                table.problem("新单位必须填写单位类型。", row, "unit_type")
            group_name = to_text(row.get("group"))
            item["group"] = group_name
            if group_name and group_name not in groups and group_name not in new_groups:
                new_groups.append(group_name)
            item["parent_name"] = to_text(row.get("parent"))
            for date_field, label in (("active_from", "启用日期"), ("active_until", "停用日期")):
                item[date_field] = getattr(current, date_field) if current and date_field not in has else None
                try:
                    item[date_field] = to_date(row.get(date_field), label=label) if date_field in has else item[date_field]
                except CellError as exc:
                    table.problem(str(exc), row, date_field)
            if current is None and item["active_from"] is None and default_from is not None:
                item["active_from"] = default_from
                dated_by_default.append(key)
            if item["active_from"] and item["active_until"] and item["active_until"] < item["active_from"]:
                table.problem("停用日期不能早于启用日期。", row, "active_until")
            planned[key] = item
            file_names[strip_unit_suffix(key)] = key

        # Parents: a row of this file first, then the units already in the system.
        for item in planned.values():
            parent_name = item["parent_name"]
            item["parent"] = None
            if not parent_name:
                continue
            if parent_name in planned:
                item["parent"] = parent_name
                continue
            unit, note = matcher.find(parent_name)
            if unit is not None:
                item["parent"] = unit.name
                if note:
                    table.problem(note, item["row"], "parent", level="warning")
            elif strip_unit_suffix(parent_name) in file_names:
                item["parent"] = file_names[strip_unit_suffix(parent_name)]
            else:
                table.problem(f"找不到上级单位“{parent_name}”：请在本表中添加该单位或改为系统中的单位名称。", item["row"], "parent")
            if item["parent"] == item["name"]:
                table.problem("上级单位不能是单位本身。", item["row"], "parent")
                item["parent"] = None

        current_parent = {u.name: (u.parent.name if u.parent else None) for u in units}

        def parent_of(name: str) -> str | None:
            if name in planned and "parent" in has:
                return planned[name]["parent"]
            return current_parent.get(name)

        for name, item in planned.items():
            seen, cursor = {name}, parent_of(name)
            while cursor:
                if cursor in seen:
                    table.problem(f"上级单位关系形成循环（{name} → … → {cursor}）。", item["row"], "parent")
                    break
                seen.add(cursor)
                cursor = parent_of(cursor)

        for group in new_groups:
            table.problems.append(_note(table, f"将新建考核组别“{group}”。"))
        if dated_by_default:
            table.problems.append(_note(table, (
                f"新单位{'、'.join(dated_by_default)}未填写启用日期，将自{default_from.year}年{default_from.month}月起参加月度考核"
                "（之前的月份已发布过，重新发布时不会把新单位排进去）；如需更早参加，请填写启用日期。"
            )))

        changes: list[RowChange] = []
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for name, item in planned.items():
            current: Unit | None = item["current"]
            row = item["row"]
            if current is None:
                creates.append(item)
                changes.append(RowChange("create", name, row.number))
                continue
            pairs = []
            if "short_name" in has:
                pairs.append(("简称", current.short_name, item["short_name"]))
            if "parent" in has:
                pairs.append(("上级单位", current.parent.name if current.parent else "", item["parent"] or ""))
            if "unit_type" in has:
                pairs.append(("单位类型", unit_type_label(current.unit_type), unit_type_label(item["unit_type"])))
            if "group" in has:
                pairs.append(("考核组别", current.ranking_group.name if current.ranking_group else "", item["group"]))
            if "active_from" in has:
                pairs.append(("启用日期", current.active_from, item["active_from"]))
            if "active_until" in has:
                pairs.append(("停用日期", current.active_until, item["active_until"]))
            changed = diff(pairs)
            if changed:
                updates.append(item)
            changes.append(RowChange("update" if changed else "unchanged", name, row.number, changed))

        def apply() -> None:
            order_base = (RankingGroup.objects.aggregate(m=Max("order"))["m"] or 0) + 1
            for i, group in enumerate(new_groups):
                RankingGroup.objects.get_or_create(name=group, defaults={"order": order_base + i})
            group_ids = {g.name: g.pk for g in RankingGroup.objects.all()}
            saved: dict[str, Unit] = {u.name: u for u in units}
            pending = list(creates)
            # New units are saved parents first (Unit.save keeps the materialised path).
            while pending:
                progressed = False
                for item in list(pending):
                    parent = item["parent"]
                    if parent and parent not in saved:
                        continue
                    unit = Unit(
                        name=item["name"], short_name=item["short_name"], unit_type=item["unit_type"],
                        parent=saved[parent] if parent else None,
                        ranking_group_id=group_ids.get(item["group"]) if item["group"] else None,
                        active_from=item["active_from"], active_until=item["active_until"],
                    )
                    unit.save()
                    saved[unit.name] = unit
                    pending.remove(item)
                    progressed = True
                if not progressed:
                    raise ValueError("上级单位关系无法排序")  # cycles are reported above; defensive
            for item in updates:
                unit = saved[item["name"]]
                if "short_name" in has:
                    unit.short_name = item["short_name"]
                if "unit_type" in has:
                    unit.unit_type = item["unit_type"]
                if "group" in has:
                    unit.ranking_group_id = group_ids.get(item["group"]) if item["group"] else None
                if "parent" in has:
                    unit.parent = saved[item["parent"]] if item["parent"] else None
                unit.active_from, unit.active_until = item["active_from"], item["active_until"]
                unit.save()

        return Plan(changes, apply)

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        return [
            [u.name, u.short_name, u.parent.name if u.parent else "", unit_type_label(u.unit_type),
             u.ranking_group.name if u.ranking_group else "", u.active_from, u.active_until]
            for u in Unit.objects.select_related("parent", "ranking_group").order_by("path")
        ]


def _note(table: Table, message: str) -> Problem:
    return Problem(message, sheet=table.sheet, level="warning")


# --------------------------------------------------------------------------- points

COORD = Decimal("0.000001")


class PointKind(ImportKind):
    """点位: inspection points with their type, address, 包保 unit and coordinates, updated by name."""

    key = "points"
    label = "点位"
    sheet_title = "点位"
    intro = "每行一个点位，按点位名称新增或更新。包保单位须为系统中已有的单位；系统中没有的点位类型会新建。"
    spec = TableSpec((
        Column("name", "点位名称", ("点位", "名称", "点位名"), required=True, note="系统按名称识别同一点位。", example="人民路（城东段）"),
        Column("point_type", "点位类型", ("类型", "类别", "点位类别"), required=True, carry=True, note="如 主次干道、背街小巷、农贸市场。", example="主次干道"),
        Column("address", "地址", ("位置", "详细地址", "点位地址", "具体位置"), note="可留空。", example="人民路1-200号"),
        Column("unit", "包保单位", ("责任单位", "包保责任单位", "所属单位", "包联单位"), required=True, carry=True, note="须为系统中已有的单位名称。", example="城东街道"),
        Column("longitude", "经度", ("东经",), note="小数，如 119.912345；可留空。", example=119.912345),
        Column("latitude", "纬度", ("北纬",), note="小数，如 32.456789；可留空。", example=32.456789),
    ))

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        existing = {p.name: p for p in InspectionPoint.objects.select_related("point_type", "unit")}
        types = point_types_by_name()
        new_types: list[str] = []
        matcher = all_units_matcher()
        seen: dict[str, int] = {}
        changes: list[RowChange] = []
        creates: list[dict[str, Any]] = []
        updates: list[tuple[InspectionPoint, dict[str, Any]]] = []
        for row in table.rows:
            name = required_name(table, row, "点位名称", 150)
            if not name:
                continue
            if name in seen:
                table.problem(f"点位“{name}”与第{seen[name]}行重复。", row, "name")
                continue
            seen[name] = row.number
            ok = True
            type_name = to_text(row.get("point_type"))
            if not type_name:
                table.problem("点位类型为空。", row, "point_type")
                ok = False
            elif type_name not in types and type_name not in new_types:
                new_types.append(type_name)
            unit_names = split_names(row.get("unit"))
            unit = None
            if not unit_names:
                table.problem("包保单位为空。", row, "unit")
                ok = False
            else:
                found = matcher.resolve(table, row, "unit", unit_names[:1])
                unit = found[0] if found else None
                ok = ok and unit is not None
                if len(unit_names) > 1:
                    table.problem("一个点位只能有一个包保单位，已取第一个。", row, "unit", level="warning")
            coords: dict[str, Decimal | None] = {}
            for key, label, bound in (("longitude", "经度", 180), ("latitude", "纬度", 90)):
                try:
                    value = to_decimal(row.get(key), label=label, places=6)
                    if value is not None and abs(value) > bound:
                        raise CellError(f"{label}应在 -{bound} 到 {bound} 之间（填写的是 {value}）。")
                    coords[key] = value
                except CellError as exc:
                    table.problem(str(exc), row, key)
                    ok = False
            if not ok:
                continue
            item = {"name": name, "type": type_name, "address": to_text(row.get("address"))[:200], "unit": unit, **coords}
            current = existing.get(name)
            if current is None:
                creates.append(item)
                changes.append(RowChange("create", name, row.number))
                continue
            pairs = [("点位类型", current.point_type.name, type_name), ("包保单位", current.unit.name, unit.name)]
            if "address" in has:
                pairs.append(("地址", current.address, item["address"]))
            for key, label in (("longitude", "经度"), ("latitude", "纬度")):
                if key in has:
                    pairs.append((label, getattr(current, key), coords[key]))
            changed = diff(pairs)
            if changed:
                updates.append((current, item))
            changes.append(RowChange("update" if changed else "unchanged", name, row.number, changed))
        for name in new_types:
            table.problems.append(_note(table, f"将新建点位类型“{name}”。"))

        def apply() -> None:
            order_base = (PointType.objects.aggregate(m=Max("order"))["m"] or 0) + 1
            PointType.objects.bulk_create([PointType(name=n, order=order_base + i) for i, n in enumerate(new_types)])
            type_ids = {pt.name: pt.pk for pt in PointType.objects.all()}
            InspectionPoint.objects.bulk_create(
                [
                    InspectionPoint(
                        name=i["name"], point_type_id=type_ids[i["type"]], address=i["address"], unit=i["unit"],
                        longitude=i.get("longitude"), latitude=i.get("latitude"),
                    )
                    for i in creates
                ],
                batch_size=500,
            )
            for point, item in updates:
                point.point_type_id = type_ids[item["type"]]
                point.unit = item["unit"]
                if "address" in has:
                    point.address = item["address"]
                for key in ("longitude", "latitude"):
                    if key in has:
                        setattr(point, key, item[key])
            InspectionPoint.objects.bulk_update(
                [p for p, _ in updates], ["point_type", "unit", "address", "longitude", "latitude"], batch_size=500
            )
            # Bulk writes skip InspectionPoint.save(): fill the search column of what was written.
            written = [i["name"] for i in creates] + [p.name for p, _ in updates]
            refresh_point_search(InspectionPoint.objects.filter(name__in=written).values_list("pk", flat=True))

        return Plan(changes, apply)

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        return [
            [p.name, p.point_type.name, p.address, p.unit.name, p.longitude, p.latitude]
            for p in InspectionPoint.objects.select_related("point_type", "unit").order_by("point_type__order", "name")
        ]


INDICATORS = IndicatorKind()
UNITS = UnitKind()
POINTS = PointKind()
