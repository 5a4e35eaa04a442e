"""``load_demo``: the sizes the issue asks for, scores that add up, the deduction rule, idempotency."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from campaign.models import (
    AssessmentPeriod,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    Phase,
    PointType,
    RankingGroup,
    Role,
    SpecialAction,
    Unit,
)
from dataload.demo import DEMO_TODAY, demo_models, load_demo
from dataload.demo_data import DEMO_PASSWORD
from inspections.models import (
    Accountability,
    Bonus,
    BonusStatus,
    Check,
    Finding,
    Rectification,
    RectificationStatus,
    SupervisionOrder,
)
from tasks import deadlines
from tasks.models import ProgressEntry, Task, TaskStatus


class _Rollback(Exception):
    pass


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in demo_models()}


def test_running_load_demo_twice_leaves_the_same_rows(demo, db):
    # The first run is the package's shared build (``demo``); the second runs inside this test's savepoint.
    first = counts()
    first_tasks = list(Task.objects.order_by("code").values_list("code", "title", "unit__name", "status", "completed_on"))
    first_findings = list(Finding.objects.order_by("found_on", "description").values_list("description", "points", "status"))
    load_demo()
    assert counts() == first
    assert list(Task.objects.order_by("code").values_list("code", "title", "unit__name", "status", "completed_on")) == first_tasks
    assert list(Finding.objects.order_by("found_on", "description").values_list("description", "points", "status")) == first_findings
    assert first["tasks.Task"] >= 150


def test_the_demo_city_has_thirty_units_in_three_ranking_groups(demo, db):
    assert Unit.objects.count() >= 30
    groups = RankingGroup.objects.annotate(n=Count("units")).filter(n__gt=0)
    assert groups.count() >= 3
    for name in ("芦洲乡", "南坝乡", "杨源乡", "惠泉社区", "迎春社区", "新明社区", "城东街道", "口岸街道", "市城管局", "县人民医院"):
        assert Unit.objects.filter(name=name).exists(), name
    assert Unit.objects.get(name="迎春社区").parent.name == "城东街道"
    assert Unit.objects.get(short_name="整治办").parent.name == "市城管局"


def test_the_demo_has_sixty_points_including_the_twenty_six_main_roads(demo, db):
    assert InspectionPoint.objects.count() >= 60
    assert InspectionPoint.objects.filter(point_type__name="主次干道").count() == 26
    assert PointType.objects.annotate(n=Count("points")).filter(n__gt=0).count() >= 8
    assert not InspectionPoint.objects.filter(address="").exists()


def test_indicator_scores_add_up_level_by_level(demo, db):
    leaves = Indicator.objects.filter(campaign=demo, level=3)
    assert leaves.count() >= 40
    for parent in Indicator.objects.filter(campaign=demo, level__in=[1, 2]):
        children = parent.children.aggregate(s=Sum("score"))["s"]
        assert parent.score == children, parent.code
    assert Indicator.objects.get(campaign=demo, code="1.3.1").standard_text.count("20%") == 1
    assert "30%" in Indicator.objects.get(campaign=demo, code="1.3.2").standard_text
    assert "500米" in Indicator.objects.get(campaign=demo, code="1.3.3").standard_text
    assert "日产日清" in Indicator.objects.get(campaign=demo, code="1.2.1").standard_text


def test_the_three_phases_and_ten_actions_of_the_fourth_plan(demo, db):
    phases = list(Phase.objects.filter(campaign=demo).order_by("order").values_list("name", "start_date", "end_date"))
    assert phases == [
        ("宣传发动阶段", dt.date(2026, 5, 1), dt.date(2026, 5, 10)),
        ("重点推进阶段", dt.date(2026, 5, 11), dt.date(2026, 9, 30)),
        ("巩固迎检阶段", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ]
    actions = dict(SpecialAction.objects.filter(campaign=demo).values_list("name", "lead_unit__short_name"))
    assert len(actions) == 10
    assert actions["城市环境综合整治“931”行动"] == "整治办"
    assert actions["违法建设专项整治行动"] == "防违办"
    assert actions["项目设施建设推进行动"] == "办公室"
    assert actions["文明素质提升行动"] == actions["社区联创共建行动"] == "政治处"


def test_the_demo_tasks_are_complete_lines_of_the_breakdown_table(demo, db):
    tasks = Task.objects.filter(campaign=demo)
    assert tasks.count() >= 150
    assert not tasks.filter(leader_name="").exists()
    assert not tasks.filter(person_name="").exists()
    assert not tasks.filter(standard="").exists()
    assert tasks.filter(title="新建乡村（社区）宣传栏", unit__name="芦洲乡", target_value=7, target_unit="个").exists()
    assert tasks.filter(target_value=184, target_unit="小时").exists()
    assert tasks.filter(target_value=20, target_unit="%").exists()
    statuses = set(tasks.values_list("status", flat=True))
    assert statuses == {TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.ACCEPTED}
    assert tasks.filter(deadlines.overdue_q(DEMO_TODAY)).exists()
    assert ProgressEntry.objects.filter(task__campaign=demo).count() >= 100


def test_the_demo_inspects_in_october_and_november(demo, db):
    months = set(Finding.objects.filter(campaign=demo).values_list("month", flat=True))
    assert months == {dt.date(2026, 10, 1), dt.date(2026, 11, 1)}
    assert Check.objects.filter(inspection__campaign=demo).count() >= 30
    reviews = set(Rectification.objects.filter(finding__campaign=demo).values_list("status", flat=True))
    assert {RectificationStatus.ACCEPTED, RectificationStatus.RETURNED} <= reviews
    assert SupervisionOrder.objects.filter(campaign=demo).exists()
    assert Bonus.objects.filter(campaign=demo, status=BonusStatus.APPROVED, reason="获评省级卫生乡镇").exists()
    assert Accountability.objects.filter(campaign=demo).count() == 1
    assert Finding.objects.filter(campaign=demo, is_repeat=True).exists()


def test_demo_deductions_follow_the_campaigns_rule(demo, db):
    rules = {r.source_level: r for r in DeductionRule.objects.filter(campaign=demo)}
    assert (rules["city"].base_points, rules["district"].base_points, rules["department"].base_points) == (
        Decimal("0.30"), Decimal("0.20"), Decimal("0.10"))
    for finding in Finding.objects.filter(campaign=demo).select_related("inspection"):
        rule = rules[finding.inspection.source_level]
        assert finding.points == (rule.repeat_points if finding.is_repeat else rule.base_points), finding.description


def test_october_is_published_in_the_demo(demo, db):
    period = AssessmentPeriod.objects.get(campaign=demo, month=dt.date(2026, 10, 1))
    assert period.is_published
    assert period.scores.count() >= 30


@pytest.mark.parametrize("username, role", [
    ("chuangjianban", Role.ADMIN), ("ducha", Role.INSPECTOR), ("lingdao", Role.LEADER), ("chengdong", Role.OFFICIAL),
])
def test_each_demo_user_logs_in_to_their_home(demo, client, username, role):
    assert Membership.objects.filter(user__username=username, role=role).exists()
    assert client.login(username=username, password=DEMO_PASSWORD)
    assert client.get("/").status_code == 200


def test_the_demo_admin_may_use_the_django_admin(demo, client):
    client.login(username="chuangjianban", password=DEMO_PASSWORD)
    assert client.get("/admin/campaign/unit/").status_code == 200


def test_the_demo_shows_an_appeal_of_each_outcome_and_orders_overdue_and_finished(demo, db):
    from campaign.models import PeriodEvent
    from inspections import lifecycle
    from inspections.models import Appeal, FindingStatus

    appeals = {a.status: a for a in Appeal.objects.filter(campaign=demo).select_related("finding", "correction")}
    assert set(appeals) == {"pending", "upheld", "revoked", "rescored"}
    assert appeals["revoked"].finding.status == FindingStatus.WITHDRAWN
    assert appeals["revoked"].finding.month == dt.date(2026, 11, 1)  # an open month: the finding itself
    rescored = appeals["rescored"]
    assert rescored.finding.month == dt.date(2026, 10, 1) and rescored.correction.month == dt.date(2026, 11, 1)
    assert rescored.correction.points == rescored.original_points - rescored.new_points
    event = PeriodEvent.objects.get(period__campaign=demo, period__month=dt.date(2026, 10, 1), action="publish")
    assert "申诉未裁定时发布" in event.reason
    states = {lifecycle.order_state(o.findings.all(), DEMO_TODAY) for o in SupervisionOrder.objects.filter(campaign=demo)}
    assert {"done", "overdue"} <= states
    assert SupervisionOrder.objects.filter(campaign=demo, overdue_notified_at__isnull=False).exists()


def test_the_inspectors_recent_points_show_the_storys_times_not_the_load(demo, client):
    """最近检查的点位 on 督查员's home: the inspections' own days, never the day the demo was loaded."""
    import re

    from django.utils import timezone

    assert client.login(username="ducha", password=DEMO_PASSWORD)
    body = client.get("/").content.decode()
    recent = body.split('data-testid="recent-points"', 1)[1].split("</ul>", 1)[0]
    shown = re.findall(r"(\d+)月(\d+)日 (\d\d:\d\d)", recent)
    assert len(shown) == 6
    today = timezone.localdate()
    story_days = {(d.month, d.day) for d in Finding.objects.filter(campaign=demo).values_list("found_on", flat=True)}
    story_days |= {(d.month, d.day) for d in Check.objects.filter(inspection__campaign=demo).values_list("inspection__date", flat=True)}
    for month, day, _time in shown:
        assert (int(month), int(day)) != (today.month, today.day) or today <= DEMO_TODAY
        assert (int(month), int(day)) in story_days
        assert dt.date(2026, int(month), int(day)) <= DEMO_TODAY
    # The last round of the story (11-26 patrol; the 随手拍 triaged on 11-27) comes first.
    assert (int(shown[0][0]), int(shown[0][1])) in {(11, 26), (11, 27)}


def test_the_demo_reports_audit_rows_name_each_report_by_one_number_and_no_code(demo, db):
    """The submission row once kept the random code the demo then replaced: one report, two codes in the log."""
    from campaign.models import AuditLog
    from snaps.models import Snap

    codes = set(Snap.objects.filter(campaign=demo).values_list("code", flat=True))
    rows = AuditLog.objects.filter(object_type="snaps.Snap")
    assert rows.filter(action="snap.submit").count() == len(codes) == 10
    for row in rows:
        text = f"{row.object_repr} {row.message} {row.before} {row.after}"
        assert row.object_repr.startswith(f"随手拍举报 #{row.object_id} · ")
        assert not any(code in text for code in codes)
        assert "code" not in (row.before or {}) and "code" not in (row.after or {})
