"""``manage.py verify_published [--campaign slug]``: recompute the digest chain of published months.

Prints one line per published month; exits 1 naming every month whose stored snapshot no longer
matches the digest stored when it was published, or whose link to the previous month is broken
(``reports/digest.py``, docs/security.md).
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from reports.digest import short_digest, verify_chain


class Command(BaseCommand):
    help = "核对已发布月份的快照摘要链（SHA-256），列出发布后被改动的月份"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", help="创建活动的标识（slug），缺省时核对全部活动")

    def handle(self, *args, **options) -> None:
        campaign = None
        if options.get("campaign"):
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"没有标识为“{options['campaign']}”的创建活动。")
        results = verify_chain(campaign)
        bad = [r for r in results if not r.ok]
        for result in results:
            if result.ok:
                self.stdout.write(f"正常  {result.label}  摘要 {short_digest(result.period.digest)}")
            else:
                self.stdout.write(f"异常  {result.label}：{'；'.join(result.problems)}")
        if not results:
            self.stdout.write("没有已发布的月份。")
        if bad:
            raise CommandError("以下已发布月份的数据与发布时的摘要不符：" + "、".join(r.label for r in bad))
        self.stdout.write(self.style.SUCCESS(f"核对完成：{len(results)} 个已发布月份的摘要链完整。"))
