"""The monthly assessment pages: months, rankings, explanations, publish/revoke, bulletin."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import AssessmentPeriod, PeriodStatus, UnitType
from reports.services import period_publish
from tests import factories as f

OCT = dt.date(2026, 10, 1)


def finding(w, unit, indicator, points, point=None, day=12):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, day), created_by=w.inspector)
    return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator,
                            points=D(points), point=point, rectify_deadline=dt.date(2026, 12, 31))


@pytest.fixture
def october(world):
    world.f1 = finding(world, world.unit_a, world.leaf_clean, "1.50", point=world.point_a)
    world.f2 = finding(world, world.unit_a, world.leaf_clean, "0.80", point=world.point_a)
    world.f3 = finding(world, world.unit_b, world.leaf_market, "0.50", point=world.point_b)
    return world


def publish(w):
    return period_publish(campaign=w.campaign, month=OCT, actor=w.admin, today=dt.date(2026, 11, 5))


def test_the_months_page_lists_every_campaign_month_with_its_status(october, client_for):
    publish(october)
    page = client_for(october.admin).get("/reports/months/").content.decode()
    assert "2026年10月" in page and "2026年5月" in page and "2026年12月" in page
    assert "已发布" in page and "通报" in page


def test_an_open_month_is_shown_as_a_preview_ranked_by_group(october, client_for):
    response = client_for(october.inspector).get("/reports/months/2026-10/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "预览" in page and "乡镇街道组" in page and "市直部门组" in page
    assert "98.00" in page  # 城东街道: 2.30 on 1.1.1 capped at 2.00
    assert "99.50" in page  # 口岸街道
    assert "1.1.1 主次干道整洁" in page  # most-deducted indicators


def test_the_overall_view_ranks_every_unit_together(october, client_for):
    page = client_for(october.leader).get("/reports/months/2026-10/?view=overall&sort=-score").content.decode()
    assert "全部单位" in page
    assert page.index("市城管局") < page.index("口岸街道") < page.index("城东街道")


def test_officials_see_only_their_own_unit_in_the_ranking(october, client_for):
    page = client_for(october.official_a).get("/reports/months/2026-10/").content.decode()
    assert "城东街道" in page and "口岸街道" not in page and "市城管局" not in page


def test_the_explain_page_lists_every_line_and_sums_to_the_score(october, client_for):
    w = october
    page = client_for(w.official_a).get(f"/reports/months/2026-10/units/{w.unit_a.pk}/").content.decode()
    assert "人民路（城东段）：主干道两侧垃圾未及时清运" in page
    assert "-1.50" in page and "-0.80" in page and "+0.30" in page  # the cap gives 0.30 back
    assert "满分100.00分-2.00分" in page and "98.00" in page
    assert reverse("inspections-finding-detail", args=[w.f1.pk]) in page
    assert "<svg" in page  # the trend chart


def test_an_official_cannot_open_another_units_explanation(october, client_for):
    assert client_for(october.official_a).get(f"/reports/months/2026-10/units/{october.unit_b.pk}/").status_code == 404


def test_units_outside_the_ranking_have_no_explanation_page(october, client_for):
    assert client_for(october.admin).get(f"/reports/months/2026-10/units/{october.community_a.pk}/").status_code == 404


def test_months_outside_the_campaign_are_404(october, client_for):
    client = client_for(october.admin)
    assert client.get("/reports/months/2025-10/").status_code == 404
    assert client.get("/reports/months/october/").status_code == 404


def test_users_without_a_role_see_no_months(october, client_for):
    assert client_for(october.nobody).get("/reports/months/2026-10/").status_code == 404


def test_an_admin_publishes_from_the_month_page(october, client_for):
    client = client_for(october.admin)
    response = client.post("/reports/months/2026-10/publish/", follow=True)
    assert "考核结果已发布" in response.content.decode()
    assert AssessmentPeriod.objects.get(campaign=october.campaign, month=OCT).status == PeriodStatus.PUBLISHED
    again = client.post("/reports/months/2026-10/publish/", follow=True).content.decode()
    assert "不能重复发布" in again


def test_leaders_and_inspectors_cannot_publish_or_revoke(october, client_for):
    for user in (october.leader, october.inspector, october.official_a):
        client = client_for(user)
        assert client.post("/reports/months/2026-10/publish/").status_code == 403
        assert client.post("/reports/months/2026-10/revoke/", {"reason": "x"}).status_code == 403
    assert not AssessmentPeriod.objects.filter(status=PeriodStatus.PUBLISHED).exists()


def test_revoking_from_the_page_needs_a_reason_which_is_then_shown(october, client_for):
    publish(october)
    client = client_for(october.admin)
    page = client.post("/reports/months/2026-10/revoke/", {"reason": " "}, follow=True).content.decode()
    assert "撤销发布必须填写原因" in page
    assert AssessmentPeriod.objects.get(month=OCT).status == PeriodStatus.PUBLISHED
    client.post("/reports/months/2026-10/revoke/", {"reason": "城东街道问题责任认定有误"})
    assert AssessmentPeriod.objects.get(month=OCT).status == PeriodStatus.OPEN
    assert "城东街道问题责任认定有误" in client.get("/reports/months/").content.decode()


def test_leaders_open_the_bulletin_of_a_published_month(october, client_for):
    assert client_for(october.leader).get("/reports/months/2026-10/bulletin/").status_code == 404  # not yet published
    publish(october)
    page = client_for(october.leader).get("/reports/months/2026-10/bulletin/").content.decode()
    assert "泰和市创建全国文明城市2026年10月考核结果通报" in page
    assert "撤销发布" not in page and "发布2026年10月考核结果" not in page


def test_the_ranking_page_runs_a_bounded_number_of_queries(october, client_for):
    client = client_for(october.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/months/2026-10/?view=overall").status_code == 200
        return len(ctx)

    few = count()
    for i in range(40):
        unit = f.UnitFactory(name=f"测试社区{i}", unit_type=UnitType.COMMUNITY, ranking_group=october.group_street)
        finding(october, unit, october.leaf_clean, "0.30")
    assert count() == few


def test_officials_do_not_see_city_wide_totals_on_the_months_page(october, client_for):
    page = client_for(october.official_a).get("/reports/months/").content.decode()
    assert "扣分合计" not in page and "城东街道得分明细" in page


def test_pass_rate_campaigns_show_pass_rate_tables(october, client_for):
    from campaign.models import ScoringMode
    from inspections.models import Check, CheckResult

    w = october
    w.campaign.scoring_mode = ScoringMode.PASS_RATE
    w.campaign.save()
    for result in (CheckResult.PASS, CheckResult.FAIL, CheckResult.NA):
        Check.objects.create(inspection=f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, 20), created_by=w.inspector),
                             point=w.point_a, indicator=w.leaf_clean, unit=w.unit_a, result=result, month=OCT, checked_by=w.inspector)
    page = client_for(w.leader).get("/reports/months/2026-10/").content.decode()
    assert "本月及格率 · 按街道（乡镇）" in page and "50%" in page


def test_the_trend_reads_published_months_from_their_snapshot_and_open_months_live(october):
    from reports.charts import trend_svg
    from reports.selectors import unit_trend

    w = october
    publish(w)
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 11, 3), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_ads, points=D("0.20"))
    trend = unit_trend(campaign=w.campaign, unit_id=w.unit_a.pk, upto=dt.date(2026, 11, 1), today=dt.date(2026, 11, 20))
    assert [(p.label, p.score, p.published) for p in trend] == [
        ("5月", D("100.00"), False), ("6月", D("100.00"), False), ("7月", D("100.00"), False), ("8月", D("100.00"), False),
        ("9月", D("100.00"), False), ("10月", D("98.00"), True), ("11月", D("99.80"), False),
    ]
    svg = str(trend_svg(trend, title="城东街道得分趋势"))
    assert svg.startswith("<svg") and svg.count("<circle") == 7 and "98.00" in svg
