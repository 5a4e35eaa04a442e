"""Excel import and export of 申报要求: the sheet 材料要求 beside the 测评体系.

A kind of its own (registered in ``dataload/imports.py``) rather than new columns on the 测评体系
sheet: ``campaign`` may not import ``materials``, and the 测评体系 sheet keeps its columns and its
round trip unchanged. One workbook may hold both sheets; each is imported as its own kind.

One row per standard: 标准编号 (an existing 第三级 indicator of the campaign), 申报截止日期,
申报材料 (one item per line, ``名称|最少文件数|说明`` or ``活动照片 ≥ 10 张``), 申报单位 (names separated
by 、，; empty: the indicator's lead and co-units), 工作阶段 and 申报说明. A row whose standard already
has a requirement updates it (items matched by name, as on the page); nothing is deleted.
"""
from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

from campaign.importers import ImportKind, Plan, all_units_matcher, diff, to_date
from campaign.models import Campaign, Indicator, Phase
from campaign.workbook import CellError, Column, RowChange, Table, TableSpec, to_text

from . import services
from .models import Requirement

_SPLIT_UNITS = re.compile(r"[、，,；;\n]+")


class RequirementKind(ImportKind):
    key = "material-requirements"
    label = "材料审核申报要求"
    sheet_title = "材料要求"
    intro = "每行一个测评标准：申报材料每行一项（如“活动照片 ≥ 10 张”或“统计表|2|按月汇总”）；申报单位留空则为牵头单位和配合单位。"
    spec = TableSpec((
        Column("code", "标准编号", ("指标编号", "编号", "测评标准编号"), required=True, example="3.3.1"),
        Column("name", "测评标准", ("标准名称", "名称"), note="仅供阅读，导入时以编号为准。", example="志愿服务队伍"),
        Column("deadline", "申报截止日期", ("截止日期", "完成时限"), required=True, example="2026-11-20"),
        Column("items", "申报材料", ("材料清单", "申报材料清单"), required=True, example="工作方案\n活动照片 ≥ 5 张"),
        Column("units", "申报单位", ("报送单位",), note="多个单位用顿号分隔；留空为牵头单位和配合单位。", example="城东街道、口岸街道"),
        Column("phase", "工作阶段", ("阶段",), example="巩固迎检阶段"),
        Column("note", "申报说明", ("说明", "备注"), example=""),
    ))

    def plan(self, campaign: Campaign, table: Table) -> Plan:
        has = table.has_field
        indicators = {i.code: i for i in Indicator.objects.filter(campaign=campaign, level=3).prefetch_related("co_units")}
        phases = {p.name: p for p in Phase.objects.filter(campaign=campaign)}
        existing = {
            r.indicator_id: r for r in Requirement.objects.filter(campaign=campaign).select_related("phase").prefetch_related("items", "units")
        }
        matcher = all_units_matcher()
        seen: dict[str, int] = {}
        changes: list[RowChange] = []
        writes: list[dict[str, Any]] = []
        for row in table.rows:
            code = to_text(row.get("code"))
            indicator = indicators.get(code)
            if not code:
                table.problem("标准编号为空。", row, "code")
                continue
            if indicator is None:
                table.problem(f"没有编号为“{code}”的测评标准（第三级指标）。", row, "code")
                continue
            if code in seen:
                table.problem(f"标准“{code}”与第{seen[code]}行重复。", row, "code")
                continue
            seen[code] = row.number
            ok = True
            try:
                deadline = to_date(row.get("deadline"), label="申报截止日期")
                if deadline is None:
                    raise CellError("申报截止日期为空。")
            except CellError as exc:
                table.problem(str(exc), row, "deadline")
                ok = False
            try:
                items = services.parse_items(to_text(row.get("items")))
            except ValidationError as exc:
                table.problem("；".join(exc.messages), row, "items")
                ok = False
            units = None
            names = [n.strip() for n in _SPLIT_UNITS.split(to_text(row.get("units"))) if n.strip()] if "units" in has else []
            if names:
                units = matcher.resolve(table, row, "units", names)
                ok = ok and units is not None
            elif not (indicator.lead_unit_id or indicator.co_units.all()):
                table.problem(f"“{code}”没有牵头单位或配合单位，请填写申报单位。", row, "units")
                ok = False
            phase = None
            phase_name = to_text(row.get("phase")) if "phase" in has else ""
            if phase_name:
                phase = phases.get(phase_name)
                if phase is None:
                    table.problem(f"没有名为“{phase_name}”的工作阶段。", row, "phase")
                    ok = False
            if not ok:
                continue
            note = to_text(row.get("note")) if "note" in has else ""
            label = f"{indicator.code} {indicator.name}"
            current = existing.get(indicator.pk)
            values = {"indicator": indicator, "deadline": deadline, "items": items, "units": units, "phase": phase, "note": note}
            if current is None:
                changes.append(RowChange("create", label, row.number))
                writes.append(values)
                continue
            wanted_units = units if units is not None else [u for u in [indicator.lead_unit, *indicator.co_units.all()] if u]
            changed = diff([
                ("申报截止日期", current.deadline, deadline),
                ("申报材料", services.items_text(current), "\n".join(f"{s.name}|{s.min_files}" + (f"|{s.description}" if s.description else "") for s in items)),
                ("申报单位", "、".join(sorted(u.name for u in current.units.all())), "、".join(sorted(u.name for u in wanted_units))),
                ("工作阶段", current.phase.name if current.phase else "", phase.name if phase else ""),
                ("申报说明", current.note, note),
            ])
            changes.append(RowChange("update" if changed else "unchanged", label, row.number, changed))
            if changed:
                writes.append(values)

        def apply() -> None:
            for values in writes:
                services.requirement_save(user=None, campaign=campaign, **values)

        return Plan(changes, apply)

    def export_rows(self, campaign: Campaign) -> list[list[Any]]:
        rows = []
        for r in (Requirement.objects.filter(campaign=campaign).select_related("indicator", "phase")
                  .prefetch_related("items", "units").order_by("indicator__order", "indicator__code")):
            rows.append([
                r.indicator.code, r.indicator.name, r.deadline, services.items_text(r),
                "、".join(u.name for u in sorted(r.units.all(), key=lambda u: u.path)),
                r.phase.name if r.phase else "", r.note,
            ])
        return rows


REQUIREMENTS = RequirementKind()
