"""python manage.py bench_import [--indicators 300] [--tasks 3000] [--keep]

Generates a 测评体系 workbook (10 测评项目 × 5 测评内容 × N/50 测评标准, no codes,
测评项目/测评内容 merged down) and a 责任分解表 workbook (each 测评标准 × M/N
units, two co-units, deadlines in every written form), then times preview and
apply of each, and a re-import preview (idempotence). Everything runs in a
transaction that is rolled back unless --keep is given.
"""
from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from openpyxl import Workbook

from campaign.models import Campaign, CampaignKind, Unit, UnitType
from dataload import imports

DEADLINES = ["2026年9月底", "9月30日前", "长期坚持", dt.date(2026, 10, 15), "10月中旬", "年底前"]


class _Rollback(Exception):
    pass


def _bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def indicator_workbook(n: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["测评项目", "测评内容", "测评标准", "分值", "测评方法"])
    per_content = max(1, n // 50)
    row = 2
    for p in range(1, 11):
        p_start = row
        for c in range(1, 6):
            c_start = row
            for s in range(1, per_content + 1):
                ws.append([f"测评项目{p}" if row == p_start else None, f"测评内容{p}-{c}" if row == c_start else None,
                           f"测评标准{p}-{c}-{s}：公共场所干净整洁，无乱堆乱放。", 1, "实地考察"])
                row += 1
            ws.merge_cells(start_row=c_start, start_column=2, end_row=row - 1, end_column=2)
        ws.merge_cells(start_row=p_start, start_column=1, end_row=row - 1, end_column=1)
    return _bytes(wb)


def task_workbook(n_indicators: int, n_tasks: int, units: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "测评项目", "测评内容", "测评标准", "牵头单位", "配合单位", "责任领导", "责任人", "工作标准", "完成时限", "量化目标"])
    per_content = max(1, n_indicators // 50)
    per_leaf = max(1, n_tasks // (50 * per_content))
    number = 0
    for p in range(1, 11):
        for c in range(1, 6):
            for s in range(1, per_content + 1):
                for u in range(per_leaf):
                    number += 1
                    ws.append([
                        number, f"测评项目{p}", f"测评内容{p}-{c}", f"测评标准{p}-{c}-{s}：公共场所干净整洁，无乱堆乱放。",
                        units[u % len(units)], f"{units[(u + 1) % len(units)]}、{units[(u + 2) % len(units)]}",
                        "分管副主任", "联络员", "对照测评标准逐项整改到位。", DEADLINES[number % len(DEADLINES)],
                        f"{number % 30 + 1}个" if number % 3 == 0 else None,
                    ])
    return _bytes(wb)


class Command(BaseCommand):
    help = "导入性能基准：生成测评体系和责任分解表工作簿，计时预览和导入（默认结束后回滚）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--indicators", type=int, default=300)
        parser.add_argument("--tasks", type=int, default=3000)
        parser.add_argument("--keep", action="store_true", help="保留生成的数据（默认回滚）")

    def handle(self, *args: Any, **options: Any) -> None:
        n_ind, n_tasks = options["indicators"], options["tasks"]
        timings: list[tuple[str, float, float]] = []

        def timed(label: str, fn: Any) -> Any:
            # Wall time is what a user waits; CPU time of this process is steadier on a busy machine.
            start, cpu = time.perf_counter(), time.process_time()
            result = fn()
            timings.append((label, time.perf_counter() - start, time.process_time() - cpu))
            return result

        try:
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    slug=f"bench-import-{int(time.time())}", name="导入基准测试活动", kind=CampaignKind.CIVILIZED_CITY,
                    year=2026, city_name="泰和市", start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 12, 31),
                )
                root = Unit.objects.create(name=f"基准测试市{campaign.pk}", unit_type=UnitType.CITY)
                units = [Unit.objects.create(name=f"基准测试街道{campaign.pk}-{i}", unit_type=UnitType.STREET, parent=root).name
                         for i in range(1, 11)]
                ind_data = timed("生成测评体系工作簿", lambda: indicator_workbook(n_ind))
                task_data = timed("生成责任分解表工作簿", lambda: task_workbook(n_ind, n_tasks, units))
                p = timed("测评体系：预览", lambda: imports.import_preview(campaign=campaign, kind="indicators", data=ind_data))
                self.stdout.write(p.summary)
                timed("测评体系：导入", lambda: imports.import_apply(campaign=campaign, kind="indicators", data=ind_data))
                p = timed("责任分解表：预览", lambda: imports.import_preview(campaign=campaign, kind="tasks", data=task_data))
                self.stdout.write(p.summary)
                timed("责任分解表：导入", lambda: imports.import_apply(campaign=campaign, kind="tasks", data=task_data))
                p = timed("责任分解表：再次导入预览（应无变化）",
                          lambda: imports.import_preview(campaign=campaign, kind="tasks", data=task_data))
                self.stdout.write(p.summary)
                if not options["keep"]:
                    raise _Rollback
        except _Rollback:
            pass
        for label, seconds, cpu in timings:
            self.stdout.write(f"{label}：{seconds:.2f} 秒（本进程 CPU {cpu:.2f} 秒）")
        applied = [(s, c) for label, s, c in timings if label.endswith("：导入")]
        self.stdout.write(self.style.SUCCESS(
            f"测评体系 {n_ind} 条 + 责任分解表 {n_tasks} 行导入（含读取与校验）合计 {sum(s for s, _ in applied):.2f} 秒"
            f"（CPU {sum(c for _, c in applied):.2f} 秒；目标 10 秒以内）"
        ))
