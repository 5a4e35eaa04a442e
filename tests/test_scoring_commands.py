"""monthly_scores and publish_month."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaign.models import AssessmentPeriod, PeriodStatus
from tests import factories as f


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def october(world):
    inspection = f.InspectionFactory(campaign=world.campaign, date=dt.date(2026, 10, 12), created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean,
                     points=D("0.30"), point=world.point_a, rectify_deadline=dt.date(2026, 12, 31))
    return world


def test_without_a_campaign_it_lists_campaigns_and_months_with_data(october):
    out = run("monthly_scores")
    assert "taihe-2026\t泰和市2026年创建全国文明城市" in out
    assert "2026-10" in out


def test_it_prints_the_ranking_table(october):
    out = run("monthly_scores", "--campaign", "taihe-2026", "--month", "2026-10")
    assert "【乡镇街道组】" in out and "城东街道" in out and "99.70" in out


def test_json_gives_every_unit_with_its_lines(october):
    data = json.loads(run("monthly_scores", "--campaign", "taihe-2026", "--month", "2026-10", "--json"))
    a = next(u for u in data["units"] if u["unit"] == "城东街道")
    assert a["score"] == "99.70" and a["rank"] == 2 and a["ranking_group"] == "乡镇街道组"
    assert a["lines"][0]["points"] == "-0.30" and a["lines"][0]["indicator_code"] == "1.1.1"
    assert "change" in a


def test_unknown_campaign_and_bad_month_are_explained(october):
    with pytest.raises(CommandError, match="找不到创建活动"):
        run("monthly_scores", "--campaign", "nope", "--month", "2026-10")
    with pytest.raises(CommandError, match="月份格式"):
        run("monthly_scores", "--campaign", "taihe-2026", "--month", "十月")


def test_publish_month_publishes_as_an_admin_and_refuses_twice(october):
    out = run("publish_month", "--campaign", "taihe-2026", "--month", "2026-10", "--user", "admin_test")
    assert "已发布" in out and "3个单位" in out
    assert AssessmentPeriod.objects.get(month=dt.date(2026, 10, 1)).status == PeriodStatus.PUBLISHED
    with pytest.raises(CommandError, match="不能重复发布"):
        run("publish_month", "--campaign", "taihe-2026", "--month", "2026-10")


def test_publish_month_refuses_a_user_who_is_not_an_admin(october):
    with pytest.raises(CommandError, match="不是创建办管理员"):
        run("publish_month", "--campaign", "taihe-2026", "--month", "2026-10", "--user", "leader_test")
