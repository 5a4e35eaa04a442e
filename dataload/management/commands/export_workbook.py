"""python manage.py export_workbook --campaign SLUG --kind indicators|units|points|tasks --out PATH"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from campaign.excel import workbook_bytes
from campaign.models import Campaign
from dataload import imports


class Command(BaseCommand):
    help = "把测评体系、责任单位、点位或责任分解表导出为导入模板格式的 .xlsx（导出后原样导入不会产生变化）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--campaign", required=True, help="创建活动标识（slug）")
        parser.add_argument("--kind", required=True, choices=sorted(imports.KINDS), help="数据类型")
        parser.add_argument("--out", required=True, help="输出的 .xlsx 文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到标识为“{options['campaign']}”的创建活动。")
        wb = imports.export_workbook(campaign=campaign, kind=options["kind"])
        out = Path(options["out"])
        out.write_bytes(workbook_bytes(wb))
        rows = wb.active.max_row - 1
        self.stdout.write(self.style.SUCCESS(f"已导出 {rows} 行{imports.KINDS[options['kind']].label}到 {out}"))
