"""Importer and exporter of the 责任分解表 (responsibility breakdown table).

One row names an indicator (by 指标编号, or by 测评项目 / 测评内容 / 测评标准)
and/or a 专项行动, the 牵头单位 (several in one cell make one task each), the
配合单位, the people, the 工作标准 and the 完成时限 ("2026年9月底", "9月30日前",
"长期坚持" or a date; see :func:`campaign.workbook.parse_deadline`).

A row updates an existing task of the same 序号 and unit; without a 序号 (or
when no task has it) the task with the same indicator / special action and
unit, if there is exactly one without another 序号. Everything else is created.
Tasks are written in bulk with their history rows (django-simple-history).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign.importers import ImportKind, Plan, UnitMatcher, all_units_matcher, derive_leaf_name, diff
from campaign.models import Campaign, Indicator, Phase, SpecialAction
from campaign.workbook import (
    CellError,
    Column,
    RowChange,
    Table,
    TableRow,
    TableSpec,
    fill_down,
    number_and_unit,
    parse_deadline,
    split_names,
    strip_enumeration,
    to_code,
    to_text,
)

from .models import Task, TaskCategory

INDICATOR_FIELDS = ("indicator_code", "project", "content", "standard")
ONGOING_TEXT = "长期坚持"
CHANGE_REASON = "Excel导入"
# What the 任务类别 cell may say; empty means a task of the indicators (测评指标任务).
CATEGORY_WORDS = {
    "组织保障": TaskCategory.ORGANISATION, "组织保障类": TaskCategory.ORGANISATION, "组织保障任务": TaskCategory.ORGANISATION,
    "测评指标任务": TaskCategory.WORK, "指标任务": TaskCategory.WORK, "测评指标": TaskCategory.WORK, "": TaskCategory.WORK,
}


def _ref(indicator_id: int | None, action_id: int | None, unit_id: int, title: str) -> tuple:
    """What identifies a task without a 序号: its indicator / action and unit (a 组织保障 task without either: its title)."""
    if indicator_id is None and action_id is None:
        return (None, None, unit_id, title)
    return (indicator_id, action_id, unit_id)


class _IndicatorIndex:
    """Finds the indicator a row means, by code or by its names."""

    def __init__(self, campaign: Campaign):
        self.all = list(Indicator.objects.filter(campaign=campaign).only("id", "code", "name", "level", "parent_id", "standard_text"))
        self.by_id = {i.pk: i for i in self.all}
        self.by_code = {i.code: i for i in self.all}
        self.by_text: dict[tuple[int, str], list[Indicator]] = defaultdict(list)
        for ind in self.all:
            self.by_text[(ind.level, strip_enumeration(ind.name))].append(ind)
            if ind.standard_text:
                self.by_text[(ind.level, ind.standard_text)].append(ind)
                derived = derive_leaf_name(ind.standard_text)
                if derived != ind.name:
                    self.by_text[(ind.level, derived)].append(ind)

    def chain(self, ind: Indicator) -> list[Indicator]:
        """[测评项目, 测评内容, 测评标准] above and including ``ind``."""
        chain = [ind]
        while chain[-1].parent_id and chain[-1].parent_id in self.by_id:
            chain.append(self.by_id[chain[-1].parent_id])
        return chain[::-1]

    def find(self, code: str, names: list[str]) -> tuple[Indicator | None, str]:
        """The indicator, or ``None`` with the reason (empty when the row names none)."""
        if code:
            ind = self.by_code.get(code)
            return (ind, "") if ind else (None, f"找不到编号为“{code}”的测评指标，请先导入测评体系。")
        level = max((i + 1 for i, n in enumerate(names) if n), default=0)
        if level == 0:
            return None, ""
        candidates = []
        # Tables often number their items ("一、公共环境", "（二）市容市貌"): compare without the numbers.
        names = [strip_enumeration(n) if n else n for n in names]
        for ind in self.by_text.get((level, names[level - 1]), []):
            chain = self.chain(ind)
            if all(not names[i] or (i < len(chain) and strip_enumeration(chain[i].name) == names[i]) for i in range(level - 1)):
                if ind not in candidates:
                    candidates.append(ind)
        what = ("测评项目", "测评内容", "测评标准")[level - 1]
        if len(candidates) == 1:
            return candidates[0], ""
        if not candidates:
            return None, f"找不到{what}“{names[level - 1][:40]}”对应的测评指标，请核对名称或填写指标编号。"
        codes = "、".join(c.code for c in candidates)
        return None, f"{what}“{names[level - 1][:40]}”对应多个测评指标（{codes}），请填写指标编号。"


def _first_sentence(text: str, limit: int = 60) -> str:
    return derive_leaf_name(text)[:limit]


class TaskKind(ImportKind):
    """责任分解表: one task per row and lead unit."""

    key = "tasks"
    label = "责任分解表"
    sheet_title = "责任分解表"
    intro = (
        "每行一项任务。测评指标可用“指标编号”指明，也可按测评项目、测评内容、测评标准的名称查找；与专项行动至少填一项"
        "（“任务类别”为“组织保障”的任务，如动员大会、责任落实方案、档案整理，可以都不填）。"
        "牵头单位写多个时，每个单位各生成一项任务。同一序号、同一牵头单位的任务会被更新；没有序号时按“指标（或专项行动）+"
        "牵头单位”更新。合并单元格会沿用到所跨的每一行。"
    )
    spec = TableSpec((
        Column("code", "序号", ("任务序号", "编号", "任务编号"), note="任务序号，如 1、2、2.1；用于再次导入时识别同一任务。", example="12"),
        Column("project", "测评项目", ("一级指标", "项目"), carry=True, note="一级指标名称，可合并单元格。", example="公共环境"),
        Column("content", "测评内容", ("二级指标", "内容"), carry=True, note="二级指标名称，可合并单元格。", example="户外广告"),
        Column("standard", "测评标准", ("三级指标", "测评标准内容", "考核标准"), carry=True, note="测评标准全文或标准名称，须与测评体系一致。", example="户外公益广告达20%以上比例，工地围挡公益广告达30%以上比例。"),
        Column("action", "专项行动", ("专项整治行动", "行动名称", "所属专项行动"), carry=True, note="须为本活动已有的专项行动名称，可留空。", example="户外广告专项整治行动"),
        Column("phase", "工作阶段", ("阶段", "所属阶段"), carry=True, note="须为本活动已有的工作阶段名称，可留空。", example="重点推进阶段"),
        Column("unit", "牵头单位", ("责任单位", "主责单位", "牵头部门", "责任部门", "承办单位"), required=True, carry=True, note="须为系统中已有的单位；写多个单位时各生成一项任务。", example="市城管局"),
        Column("co", "配合单位", ("协办单位", "配合部门", "协助单位"), carry=True, note="多个用顿号分隔，须为系统中已有的单位。", example="城东街道、口岸街道"),
        Column("leader", "责任领导", ("分管领导", "牵头领导", "责任领导人"), carry=True, note="姓名及职务，50字以内。", example="张副局长"),
        Column("person", "责任人", ("具体责任人", "联系人", "经办人"), carry=True, note="姓名，50字以内。", example="刘科长"),
        Column("work_standard", "工作标准", ("工作要求", "工作措施", "具体任务", "工作任务", "任务内容", "工作内容"), note="要做到的具体标准。", example="在大型户外广告牌、电子显示屏、工地围挡等部位刊播公益广告，户外公益广告达20%以上比例。"),
        Column("deadline", "完成时限", ("时限", "完成时间", "时间要求", "截止时间", "完成期限", "时间节点"), carry=True, note="日期（2026-09-30）、“2026年9月底”、“9月30日前”或“长期坚持”。", example="2026年9月底"),
        Column("target", "量化目标", ("目标值", "量化指标", "目标"), note="数字，可带单位，如 20%、7个；可留空。", example=20),
        Column("target_unit", "目标单位", ("计量单位", "单位（量化）"), note="量化目标的单位，如 个、%、小时。", example="%"),
        Column("title", "任务名称", ("任务", "任务标题"), note="可留空，留空时取工作标准的第一句。", example="户外公益广告占比达标"),
        Column("indicator_code", "指标编号", ("测评编号", "指标代码", "测评指标编号"), note="测评体系中的编号，如 1.2.3；填写后按编号查找指标。", example="1.2.3"),
        Column("category", "任务类别", ("类别", "任务类型"), note="留空或“测评指标任务”；会议、方案、档案等组织工作填“组织保障”，可不填测评指标和专项行动，单独统计。", example="测评指标任务"),
    ))

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        index = _IndicatorIndex(campaign)
        actions = {a.name: a for a in SpecialAction.objects.filter(campaign=campaign)}
        phases = {p.name: p for p in Phase.objects.filter(campaign=campaign)}
        matcher = all_units_matcher()
        existing = list(Task.objects.filter(campaign=campaign).select_related("indicator", "special_action", "phase", "unit"))
        # Co-units as plain tuples: thousands of tasks would otherwise build thousands of Unit objects.
        co_of: dict[int, dict[int, str]] = defaultdict(dict)
        through = Task.co_units.through.objects.filter(task__campaign=campaign)
        for task_id, unit_id, name in through.values_list("task_id", "unit_id", "unit__name"):
            co_of[task_id][unit_id] = name
        by_code: dict[tuple[str, int], Task] = {}
        by_ref: dict[tuple, list[Task]] = defaultdict(list)
        for task in existing:
            if task.code:
                by_code[(task.code, task.unit_id)] = task
            by_ref[_ref(task.indicator_id, task.special_action_id, task.unit_id, task.title)].append(task)

        fill_down(table.rows, ["project", "content", "standard"])
        seen: dict[tuple, int] = {}
        claimed: dict[int, int] = {}
        changes: list[RowChange] = []
        creates: list[tuple[Task, list[int]]] = []
        updates: list[tuple[Task, dict[str, Any]]] = []

        for row in table.rows:
            values = self._read_row(campaign, table, row, index, actions, phases, matcher)
            if values is None:
                continue
            for unit in values.pop("units"):
                co_units = [u for u in values["co"] if u.pk != unit.pk]
                co_ids = [u.pk for u in co_units]
                ref = _ref(values["indicator"].pk if values["indicator"] else None,
                           values["action"].pk if values["action"] else None, unit.pk, values["title"])
                key = ("code", values["code"], unit.pk) if values["code"] else ("ref", *ref)
                if key in seen:
                    table.problem(f"与第{seen[key]}行是同一任务（同一序号或同一指标、同一牵头单位），请合并或填写不同序号。", row, "code" if values["code"] else "unit")
                    continue
                seen[key] = row.number
                current = by_code.get((values["code"], unit.pk)) if values["code"] else None
                if current is None:
                    candidates = [t for t in by_ref.get(ref, []) if not values["code"] or not t.code]
                    if len(candidates) > 1:
                        table.problem(
                            f"系统中“{unit.name}”已有 {len(candidates)} 项同一指标的任务，无法判断更新哪一项，请填写序号。", row, "code"
                        )
                        continue
                    current = candidates[0] if candidates else None
                if current is not None and current.pk in claimed:
                    table.problem(f"与第{claimed[current.pk]}行对应系统中的同一任务，请填写不同序号。", row, "code")
                    continue
                label = f"{values['code'] + ' ' if values['code'] else ''}{values['title'][:40]}（{unit.name}）"
                if current is None:
                    task = Task(
                        campaign=campaign, code=values["code"], title=values["title"], indicator=values["indicator"],
                        category=values["category"],
                        special_action=values["action"], phase=values["phase"], unit=unit,
                        leader_name=values["leader"], person_name=values["person"], standard=values["work_standard"],
                        deadline=values["deadline"].day, deadline_text=values["deadline"].text, is_ongoing=values["deadline"].ongoing,
                        target_value=values["target"], target_unit=values["target_unit"],
                    )
                    creates.append((task, co_ids))
                    changes.append(RowChange("create", label, row.number))
                    continue
                claimed[current.pk] = row.number
                desired, pairs = self._compare(current, co_of[current.pk], values, co_units, has)
                changed = diff(pairs)
                if changed:
                    updates.append((current, desired))
                changes.append(RowChange("update" if changed else "unchanged", label, row.number, changed))

        def apply() -> None:
            tasks = [t for t, _ in creates]
            bulk_create_with_history(tasks, Task, batch_size=500, default_change_reason=CHANGE_REASON)
            through = Task.co_units.through
            links = [through(task_id=t.pk, unit_id=u) for t, co in creates for u in co]
            fields = set()
            for task, desired in updates:
                for name, value in desired.items():
                    if name != "co_units":
                        setattr(task, name, value)
                        fields.add(name)
            if updates and fields:
                bulk_update_with_history(
                    [t for t, _ in updates], Task, sorted(fields), batch_size=500, default_change_reason=CHANGE_REASON
                )
            relinked = [(t, d["co_units"]) for t, d in updates if "co_units" in d]
            through.objects.filter(task_id__in=[t.pk for t, _ in relinked]).delete()
            links += [through(task_id=t.pk, unit_id=u) for t, co in relinked for u in co]
            through.objects.bulk_create(links, batch_size=1000)

        return Plan(changes, apply)

    def _read_row(self, campaign: Campaign, table: Table, row: TableRow, index: _IndicatorIndex,
                  actions: dict[str, SpecialAction], phases: dict[str, Phase], matcher: UnitMatcher) -> dict[str, Any] | None:
        ok = True
        values: dict[str, Any] = {}
        try:
            values["code"] = to_code(row.get("code"))
            if len(values["code"]) > 30:
                raise CellError("序号过长（最多30个字符）。")
        except CellError as exc:
            table.problem(str(exc), row, "code")
            ok = False
        names = [to_text(row.get("project")), to_text(row.get("content")), to_text(row.get("standard"))]
        indicator, reason = index.find(to_code(row.get("indicator_code")), names)
        if reason:
            table.problem(reason, row, "indicator_code" if row.get("indicator_code") else "standard" if names[2] else "content" if names[1] else "project")
            ok = False
        values["indicator"] = indicator
        action_name = to_text(row.get("action"))
        values["action"] = actions.get(action_name) if action_name else None
        if action_name and values["action"] is None:
            table.problem(f"找不到专项行动“{action_name}”，本活动的专项行动有：{'、'.join(actions) or '无'}。", row, "action")
            ok = False
        category_text = to_text(row.get("category")).replace(" ", "")
        values["category"] = CATEGORY_WORDS.get(category_text)
        if values["category"] is None:
            table.problem(f"任务类别“{category_text[:20]}”无法识别，请填写“组织保障”或留空（测评指标任务）。", row, "category")
            ok = False
        elif ok and indicator is None and values["action"] is None and values["category"] != TaskCategory.ORGANISATION:
            table.problem("测评指标和专项行动至少要填写一项（组织保障类任务请在“任务类别”填写“组织保障”）。", row, "project")
            ok = False
        phase_name = to_text(row.get("phase"))
        values["phase"] = phases.get(phase_name) if phase_name else None
        if phase_name and values["phase"] is None:
            table.problem(f"找不到工作阶段“{phase_name}”，本活动的工作阶段有：{'、'.join(phases) or '无'}。", row, "phase")
            ok = False
        unit_names = split_names(row.get("unit"))
        if not unit_names:
            table.problem("牵头单位为空。", row, "unit")
            ok = False
            units = []
        else:
            resolved = matcher.resolve(table, row, "unit", unit_names)
            ok = ok and resolved is not None
            units = resolved or []
        values["units"] = units
        values["co"] = matcher.resolve(table, row, "co", split_names(row.get("co")))
        if values["co"] is None:
            ok = False
        for key, label in (("leader", "责任领导"), ("person", "责任人")):
            try:
                values[key] = to_text(row.get(key), max_length=50, label=label)
            except CellError as exc:
                table.problem(str(exc), row, key)
                ok = False
        values["work_standard"] = to_text(row.get("work_standard"))
        try:
            values["deadline"] = parse_deadline(row.get("deadline"), year=campaign.year)
            if len(values["deadline"].text) > 50:
                raise CellError("完成时限的文字过长（最多50个字）。")
        except CellError as exc:
            table.problem(str(exc), row, "deadline")
            ok = False
        try:
            target, unit_text = number_and_unit(row.get("target"))
            if target is not None and target <= 0:
                raise CellError(f"量化目标应大于0（填写的是 {row.get('target')}）。")
            values["target"] = target
            values["target_unit"] = to_text(row.get("target_unit"), max_length=20, label="目标单位") or unit_text
        except CellError as exc:
            table.problem(str(exc), row, "target")
            ok = False
        title = to_text(row.get("title"))[:300]
        if not title:
            source = values["work_standard"] or (indicator.name if indicator else "") or (values["action"].name if values["action"] else "")
            title = _first_sentence(source) if source else ""
        if not title and ok:
            table.problem("任务名称为空：请填写任务名称或工作标准。", row, "title")
            ok = False
        values["title"] = title
        return values if ok else None

    @staticmethod
    def _compare(current: Task, current_co: dict[int, str], values: dict[str, Any], co_units: list[Any], has: set[str]) -> tuple[dict[str, Any], list]:
        """The fields to write and the (label, old, new) pairs, for the columns the file has."""
        desired: dict[str, Any] = {}
        pairs: list[tuple[str, Any, Any]] = []

        def consider(name: str, label: str, old: Any, new: Any, shown_old: Any = None, shown_new: Any = None) -> None:
            if old != new:
                desired[name] = new
            pairs.append((label, old if shown_old is None else shown_old, new if shown_new is None else shown_new))

        if "title" in has:
            consider("title", "任务名称", current.title, values["title"])
        if "category" in has:
            consider("category", "任务类别", current.category, values["category"],
                     TaskCategory(current.category).label, TaskCategory(values["category"]).label)
        if has & set(INDICATOR_FIELDS):
            ind = values["indicator"]
            consider("indicator", "测评指标", current.indicator, ind,
                     str(current.indicator) if current.indicator else "", str(ind) if ind else "")
        if "action" in has:
            act = values["action"]
            consider("special_action", "专项行动", current.special_action, act,
                     current.special_action.name if current.special_action else "", act.name if act else "")
        if "phase" in has:
            ph = values["phase"]
            consider("phase", "工作阶段", current.phase, ph, current.phase.name if current.phase else "", ph.name if ph else "")
        if "co" in has:
            old = current_co
            new = {u.pk: u.name for u in co_units}
            if set(old) != set(new):
                desired["co_units"] = list(new)
            pairs.append(("配合单位", set(old.values()), set(new.values())))
        if "leader" in has:
            consider("leader_name", "责任领导", current.leader_name, values["leader"])
        if "person" in has:
            consider("person_name", "责任人", current.person_name, values["person"])
        if "work_standard" in has:
            consider("standard", "工作标准", current.standard, values["work_standard"])
        if "deadline" in has:
            d = values["deadline"]
            text = d.text
            if d.ongoing and current.is_ongoing and not current.deadline_text and text == ONGOING_TEXT:
                text = ""  # what the export writes for an ongoing task without original text
            consider("deadline", "完成时限", current.deadline, d.day)
            consider("deadline_text", "时限原文", current.deadline_text, text)
            consider("is_ongoing", "长期坚持", current.is_ongoing, d.ongoing)
        if "target" in has:
            consider("target_value", "量化目标", current.target_value, values["target"])
        if "target" in has or "target_unit" in has:
            consider("target_unit", "目标单位", current.target_unit, values["target_unit"])
        return desired, pairs

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        index = _IndicatorIndex(campaign)
        tasks = (
            Task.objects.filter(campaign=campaign)
            .select_related("special_action", "phase", "unit")
            .prefetch_related("co_units")
            .order_by("pk")
        )
        rows = []
        for t in tasks:
            names = ["", "", ""]
            code = ""
            if t.indicator_id and t.indicator_id in index.by_id:
                ind = index.by_id[t.indicator_id]
                code = ind.code
                for i, node in enumerate(index.chain(ind)[:3]):
                    names[i] = (node.standard_text or node.name) if node.level == 3 else node.name
            if t.is_ongoing and not t.deadline_text:
                deadline: Any = ONGOING_TEXT
            else:
                deadline = t.deadline_text or t.deadline
            rows.append([
                t.code, *names, t.special_action.name if t.special_action else "", t.phase.name if t.phase else "",
                t.unit.name, "、".join(sorted(u.name for u in t.co_units.all() if u.pk != t.unit_id)),
                t.leader_name, t.person_name, t.standard, deadline, t.target_value, t.target_unit, t.title, code,
                t.get_category_display(),
            ])
        return rows


TASKS = TaskKind()
