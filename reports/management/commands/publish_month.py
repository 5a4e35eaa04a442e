"""Publish a month: ``python manage.py publish_month --campaign SLUG --month 2026-10 [--user USERNAME]``."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaign import access
from campaign.models import Campaign, Role
from campaign.periods import month_label, parse_month
from reports.services import period_publish


class Command(BaseCommand):
    help = "发布某创建活动某月的考核结果（快照并冻结该月数据）"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="创建活动标识（slug）")
        parser.add_argument("--month", required=True, help="月份，如 2026-10")
        parser.add_argument("--user", help="以哪个管理员账号发布（默认：第一个创建办管理员）")

    def handle(self, *args, **opts):
        campaign = Campaign.objects.filter(slug=opts["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到创建活动：{opts['campaign']}")
        try:
            month = parse_month(opts["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        User = get_user_model()
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"找不到用户：{opts['user']}")
        else:
            actor = (
                User.objects.filter(is_active=True, memberships__role=Role.ADMIN).order_by("pk").first()
                or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
            )
            if actor is None:
                raise CommandError("没有可用的创建办管理员账号，请用 --user 指定。")
        if not access.can(actor, "reports.publish"):
            raise CommandError(f"用户 {actor.username} 不是创建办管理员，不能发布考核结果。")
        try:
            period = period_publish(campaign=campaign, month=month, actor=actor)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from None
        count = period.scores.count()
        self.stdout.write(self.style.SUCCESS(f"已发布{campaign.name}{month_label(month)}考核结果：{count}个单位，发布人 {actor.username}。"))
