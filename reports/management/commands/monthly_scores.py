"""Print a month's ranking: ``python manage.py monthly_scores --campaign SLUG --month 2026-10 [--json]``,
or the year (年度考核): ``python manage.py monthly_scores --year 2026 [--campaign SLUG] [--json]``.

Without ``--campaign`` (and without ``--year``) it lists the campaigns (slug, name) and the months that have data.
"""
from __future__ import annotations

import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from campaign.models import AssessmentPeriod, Campaign
from campaign.periods import month_label, parse_month
from reports.data import year_data
from reports.scoring import month_scores
from reports.selectors import months_with_data


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class Command(BaseCommand):
    help = "打印某创建活动某月的考核排名（--json 输出每个单位的得分明细）；不带 --campaign 时列出创建活动及有数据的月份"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="创建活动标识（slug）")
        parser.add_argument("--month", help="月份，如 2026-10")
        parser.add_argument("--year", type=int, help="年度考核：输出该年度各单位已发布月份的平均得分、组内排名和逐月得分")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出每个单位的名称、组别、得分、排名、较上月及得分明细")

    def handle(self, *args, **opts):
        if opts["year"]:
            self._year(opts)
            return
        if not opts["campaign"]:
            self._list()
            return
        campaign = Campaign.objects.filter(slug=opts["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到创建活动：{opts['campaign']}（不带 --campaign 运行可列出全部）")
        if not opts["month"]:
            raise CommandError("请用 --month 指定月份，如 --month 2026-10")
        try:
            month = parse_month(opts["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        scores = month_scores(campaign=campaign, month=month, with_lines=opts["json"])
        if opts["json"]:
            self.stdout.write(json.dumps({
                "campaign": campaign.slug, "month": f"{month:%Y-%m}", "published": scores.is_published,
                "units": [
                    {
                        "unit": u.unit_name, "ranking_group": u.ranking_group, "score": _num(u.score), "rank": u.rank,
                        "change": _num(u.change), "full_score": _num(u.full_score), "score_rate": _num(u.score_rate),
                        "pass_rate": _num(u.pass_rate),
                        "lines": [
                            {"kind": line.kind, "label": line.label, "points": _num(line.points),
                             "indicator_code": line.indicator_code, "point_name": line.point_name,
                             "date": line.date.isoformat() if line.date else None,
                             "object_type": line.object_type, "object_id": line.object_id}
                            for line in u.lines
                        ],
                    }
                    for u in scores.units
                ],
            }, ensure_ascii=False, indent=2))
            return
        state = "已发布" if scores.is_published else "未发布（实时计算）"
        self.stdout.write(f"{campaign.name} {month_label(month)}考核排名 · {state}")
        for group, members in scores.by_group():
            self.stdout.write(f"\n【{group}】")
            self.stdout.write(f"{'排名':>4}  {'单位':<16}{'得分':>8}{'扣分':>8}{'加分':>7}{'较上月':>8}")
            for u in members:
                deducted = u.finding_deductions + u.penalty_deductions + u.task_deductions
                change = "—" if u.change is None else f"{u.change:+}"
                self.stdout.write(f"{u.rank:>4}  {u.unit_name:<16}{u.score:>8}{deducted:>8}{u.bonus:>7}{change:>8}")

    def _year(self, opts) -> None:
        year = opts["year"]
        if opts["campaign"]:
            campaign = Campaign.objects.filter(slug=opts["campaign"]).first()
            if campaign is None:
                raise CommandError(f"找不到创建活动：{opts['campaign']}（不带 --campaign 运行可列出全部）")
        else:
            matching = [c for c in Campaign.objects.order_by("slug") if year in {m.year for m in c.months()}]
            if len(matching) != 1:
                names = "、".join(c.slug for c in matching) or "无"
                raise CommandError(f"{year}年有{len(matching)}个创建活动（{names}），请用 --campaign 指定。")
            campaign = matching[0]
        data = year_data(campaign=campaign, year=year)
        if opts["json"]:
            self.stdout.write(json.dumps({
                "campaign": campaign.slug, "year": year, "months": [f"{m:%Y-%m}" for m in data.months],
                "rule": "年度得分 = 本年度已发布月份得分的平均值（按创建活动设置的月份权重加权，未设置为1；四舍五入到0.01），按考核组别排名",
                "weights": {f"{m:%Y-%m}": str(data.weight(m).normalize()) for m in data.months},
                "units": [
                    {
                        "unit": u.unit_name, "ranking_group": u.ranking_group, "average": _num(u.average), "rank": u.rank,
                        "months_counted": u.months_counted,
                        "scores": {f"{m:%Y-%m}": _num(score) for m, score in u.scores.items()},
                        # 材料审核 lines where the campaign counts them in the year (materials ScoreUse.ANNUAL)
                        **({"months_average": _num(u.months_average),
                            "material_lines": [{"label": label, "points": _num(points)} for label, points in u.material_lines]}
                           if data.material_counted else {}),
                    }
                    for u in data.units
                ],
            }, ensure_ascii=False, indent=2))
            return
        months = "、".join(month_label(m) for m in data.months) or "无"
        self.stdout.write(f"{campaign.name} {year}年度考核（已发布月份平均）· 计入：{months}")
        for group, members in data.groups:
            self.stdout.write(f"\n【{group}】")
            self.stdout.write(f"{'排名':>4}  {'单位':<16}{'年度得分':>8}{'月数':>6}")
            for u in members:
                self.stdout.write(f"{u.rank:>4}  {u.unit_name:<16}{u.average:>8}{u.months_counted:>6}")

    def _list(self) -> None:
        """Campaigns and the months that have data (reports.selectors.months_with_data)."""
        months = {campaign.pk: months_with_data(campaign=campaign) for campaign in Campaign.objects.all()}
        published = set(AssessmentPeriod.objects.filter(status="published").values_list("campaign_id", "month"))
        campaigns = list(Campaign.objects.order_by("-year", "slug"))
        if not campaigns:
            self.stdout.write("还没有创建活动。")
            return
        for campaign in campaigns:
            self.stdout.write(f"{campaign.slug}\t{campaign.name}")
            labels = [
                f"{m:%Y-%m}{'（已发布）' if (campaign.pk, m) in published else ''}" for m in sorted(months.get(campaign.pk, ()))
            ]
            self.stdout.write("    有数据的月份：" + ("、".join(labels) if labels else "无"))
