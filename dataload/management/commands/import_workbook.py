"""python manage.py import_workbook PATH --campaign SLUG --kind indicators|units|points|tasks [--dry-run] [--sheet NAME]"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from dataload import imports


class Command(BaseCommand):
    help = "从 Excel 导入测评体系、责任单位、点位或责任分解表：先打印预览，不带 --dry-run 时整体写入。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help=".xlsx 文件路径")
        parser.add_argument("--campaign", required=True, help="创建活动标识（slug）")
        parser.add_argument("--kind", required=True, choices=sorted(imports.KINDS), help="数据类型")
        parser.add_argument("--sheet", default=None, help="工作表名称（默认第一个）")
        parser.add_argument("--dry-run", action="store_true", help="只预览，不写入")
        parser.add_argument("--limit", type=int, default=200, help="最多列出多少条问题和变更")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到标识为“{options['campaign']}”的创建活动。")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        data = path.read_bytes()
        kind, sheet = options["kind"], options["sheet"]
        if options["dry_run"]:
            preview = imports.import_preview(campaign=campaign, kind=kind, data=data, sheet=sheet)
            self.stdout.write(preview.as_text(limit=options["limit"]))
            self.stdout.write("（预览，未写入任何数据）")
            if preview.has_errors:
                raise CommandError("文件有错误，导入时将被拒绝。")
            return
        try:
            preview = imports.import_apply(
                campaign=campaign, kind=kind, data=data, sheet=sheet, filename=path.name, actor_name="manage.py"
            )
        except imports.ImportRejected as exc:
            self.stdout.write(exc.preview.as_text(limit=options["limit"]))
            raise CommandError("文件有错误，未写入任何数据。") from None
        self.stdout.write(preview.as_text(limit=options["limit"]))
        self.stdout.write(self.style.SUCCESS("已导入。"))
