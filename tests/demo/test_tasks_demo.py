"""The demo's tasks are honest: per-unit targets, 组织保障 apart from 5.1.1, lead offices only where the seed names them."""
from __future__ import annotations

from decimal import Decimal

from campaign.models import SpecialAction
from tasks import selectors
from tasks.models import Task, TaskCategory, TaskStatus


def test_lead_offices_only_where_the_fourth_plan_names_them(demo, db):
    leads = dict(SpecialAction.objects.filter(campaign=demo).values_list("name", "lead_unit__short_name"))
    assert {name for name, lead in leads.items() if lead} == {
        "城市环境综合整治“931”行动", "违法建设专项整治行动", "项目设施建设推进行动", "文明素质提升行动", "社区联创共建行动",
    }
    # 篇四 names no office for these five: they have none rather than an invented 整治办.
    for name in ("市容秩序专项整治行动", "环境卫生专项整治行动", "户外广告专项整治行动", "建筑渣土专项整治行动", "占道管理专项整治行动"):
        assert leads[name] is None


def test_meetings_plans_and_archives_are_organisation_tasks_not_5_1_1(demo, db):
    tasks = Task.objects.filter(campaign=demo)
    organisation = tasks.filter(category=TaskCategory.ORGANISATION)
    # 8 streets and townships × (动员大会, 责任落实方案, 迎检档案).
    assert organisation.count() == 24
    assert set(organisation.values_list("title", flat=True)) == {"召开创建全国文明城市动员大会", "制定创建工作责任落实方案", "完善迎检档案资料"}
    assert not organisation.filter(indicator__isnull=False).exists()
    # 5.1.1 keeps only what serves it: the communities' and villages' festival activities (11 units).
    under_511 = tasks.filter(indicator__code="5.1.1")
    assert under_511.count() == 11 and set(under_511.values_list("title", flat=True)) == {"开展传统节日主题活动"}


def test_targets_are_scaled_per_unit_from_the_one_township_in_the_seed(demo, db):
    def target(title, unit):
        return Task.objects.get(campaign=demo, title=title, unit__name=unit).target_value

    # 芦洲乡's own figures (the seed's) stay; a street of 21,000 residents is asked in proportion.
    assert target("新建乡村（社区）宣传栏", "芦洲乡") == Decimal("7")
    assert target("新建乡村（社区）宣传栏", "城东街道") == Decimal("32")  # 7 × 21000 / 4650 = 31.6
    assert target("组织开展志愿服务活动", "芦洲乡") == Decimal("184")
    assert target("组织开展志愿服务活动", "杨源乡") == Decimal("150")  # 184 × 3800 / 4650 = 150.4
    # 65 volunteers were 1.4% of 芦洲乡: each community is asked for 1.4% of its own residents.
    assert target("组建社区志愿服务队", "迎春社区") == Decimal("73")  # 5200 × 1.4% = 72.8
    assert target("组建社区志愿服务队", "杨源村") == Decimal("18")  # 1300 × 1.4% = 18.2
    volunteers = set(Task.objects.filter(campaign=demo, title="组建社区志愿服务队").values_list("target_value", flat=True))
    assert len(volunteers) > 5 and Decimal("65") not in volunteers
    # Rates are one standard for everyone.
    assert set(Task.objects.filter(campaign=demo, title="户外公益广告占比达标").values_list("target_value", flat=True)) == {Decimal("20")}


def test_every_task_done_below_its_target_carries_the_units_reason(demo, db):
    done = selectors.with_progress(
        Task.objects.filter(campaign=demo, status__in=[TaskStatus.COMPLETED, TaskStatus.ACCEPTED], target_value__isnull=False)
    )
    short = [t for t in done if selectors.is_target_short(t.target_value, t.progress_value)]
    assert 1 <= len(short) <= 3
    assert all(t.shortfall_reason for t in short)
    assert not any(t.shortfall_reason for t in done if t not in short)
