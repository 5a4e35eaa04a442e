"""``python manage.py load_demo``: build or rebuild the demo campaign (see dataload/demo.py)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from dataload.demo import load_demo
from dataload.demo_data import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = "载入演示数据（泰和市2026年创建全国文明城市）；可重复运行，结果相同。"

    def handle(self, *args, **options) -> None:
        campaign = load_demo(log=lambda message: self.stdout.write(f"  {message}"))
        self.stdout.write(self.style.SUCCESS(f"演示数据已载入：{campaign.name}"))
        for username, display, unit, role, _title in USERS[:4]:
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  （{display}，{unit}）")
