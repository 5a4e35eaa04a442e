"""Render one monthly report to a file, with the same function the Celery worker runs."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from campaign.periods import parse_month
from reports.job_services import render_report_file
from reports.renderers import RENDERERS


class Command(BaseCommand):
    help = "生成月度报表文件：--campaign SLUG --month 2026-10 --kind bulletin-pdf|workbook-xlsx --out PATH"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="创建活动标识（slug）")
        parser.add_argument("--month", required=True, help="考核月份，如 2026-10")
        parser.add_argument("--kind", required=True, choices=sorted(RENDERERS), help="报表类型")
        parser.add_argument("--out", required=True, help="输出文件路径")

    def handle(self, *args, **options) -> None:
        try:
            month = parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"未找到创建活动：{options['campaign']}")

        def progress(percent: int, message: str) -> None:
            self.stderr.write(f"{percent:3d}% {message}")

        rendered = render_report_file(kind=options["kind"], campaign=campaign, month=month, progress=progress)
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(rendered.content)
        self.stdout.write(f"已生成 {out}（{rendered.filename}，{len(rendered.content):,} 字节）")
