"""Quantitative targets that mean something (目标未达) and 组织保障 tasks counted apart from indicators."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from campaign.models import AuditLog
from dataload import imports
from tasks import selectors, services
from tasks.models import ProgressEntry, Task, TaskCategory, TaskStatus
from tests import factories as f
from tests.import_workbooks import xlsx

D = dt.date


def add(task, *values):
    """Progress entries with these values, oldest first, by the world's 城东街道 official."""
    author = get_user_model().objects.get(username="official_a")
    for v in values:
        ProgressEntry.objects.create(task=task, author=author, text="进展", value=Decimal(v))


@pytest.fixture
def hours(world):
    """志愿服务 184 小时 (sum): 90 hours reported, like the demo's task that was accepted far below target."""
    task = f.TaskFactory(
        campaign=world.campaign, unit=world.unit_a, title="组织开展志愿服务活动", indicator=world.leaf_clean,
        target_value=Decimal("184"), target_unit="小时", deadline=D(2026, 11, 30), status=TaskStatus.IN_PROGRESS,
    )
    add(task, "60", "30")
    return task


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "target, progress, short",
    [
        (None, None, False),  # no quantitative target: never short
        (Decimal("7"), None, True),  # nothing reported counts as 0
        (Decimal("7"), Decimal("6"), True),
        (Decimal("7"), Decimal("7"), False),  # reached exactly
        (Decimal("20"), Decimal("18.5"), True),
        (Decimal("20"), Decimal("21"), False),
    ],
)
def test_target_short_means_progress_below_the_target(target, progress, short):
    assert selectors.is_target_short(target, progress) is short


def test_the_database_filter_agrees_with_the_python_rule(world):
    w = world
    make = lambda **kw: f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, **kw)  # noqa: E731
    cases = [
        make(title="无目标", status=TaskStatus.COMPLETED, completed_on=D(2026, 9, 1)),
        make(title="未填报", target_value=Decimal("7"), status=TaskStatus.COMPLETED, completed_on=D(2026, 9, 1)),
        make(title="6/7", target_value=Decimal("7"), status=TaskStatus.ACCEPTED, completed_on=D(2026, 9, 1)),
        make(title="7/7", target_value=Decimal("7"), status=TaskStatus.COMPLETED, completed_on=D(2026, 9, 1)),
        make(title="最新18.5/20", target_value=Decimal("20"), target_aggregation="latest", status=TaskStatus.COMPLETED, completed_on=D(2026, 9, 1)),
        make(title="最新21/20", target_value=Decimal("20"), target_aggregation="latest", status=TaskStatus.COMPLETED, completed_on=D(2026, 9, 1)),
        make(title="进行中3/7", target_value=Decimal("7"), status=TaskStatus.IN_PROGRESS),
    ]
    add(cases[2], "4", "2")
    add(cases[3], "3", "4")
    add(cases[4], "25", "18.5")  # the newest (18.5) counts, not the larger older one
    add(cases[5], "10", "21")
    add(cases[6], "3")
    in_db = set(
        selectors.with_progress(Task.objects.all()).filter(selectors.short_done_q()).values_list("title", flat=True)
    )
    in_python = {
        t.title
        for t in cases
        if t.status in (TaskStatus.COMPLETED, TaskStatus.ACCEPTED)
        and selectors.is_target_short(t.target_value, selectors.task_progress(t))
    }
    assert in_db == in_python == {"未填报", "6/7", "最新18.5/20"}


# ---------------------------------------------------------------- completing below target


def test_completing_below_target_needs_a_reason_and_changes_nothing_without_one(world, hours):
    with pytest.raises(ValidationError) as exc:
        services.task_complete(task=hours, user=world.official_a, today=D(2026, 11, 20))
    assert "目标 184小时，当前 90小时" in exc.value.messages[0] and "目标未达原因" in exc.value.messages[0]
    hours.refresh_from_db()
    assert hours.status == TaskStatus.IN_PROGRESS and hours.completed_on is None
    assert not AuditLog.objects.filter(action="task.complete").exists()


def test_the_reason_is_kept_audited_and_cleared_when_the_task_is_returned(world, hours):
    services.task_complete(task=hours, user=world.official_a, today=D(2026, 11, 20), reason="  冬季户外活动减少  ")
    hours.refresh_from_db()
    assert (hours.status, hours.shortfall_reason) == (TaskStatus.COMPLETED, "冬季户外活动减少")
    assert AuditLog.objects.get(action="task.complete").after["shortfall_reason"] == "冬季户外活动减少"
    services.task_return(task=hours, user=world.admin, reason="请继续组织活动")
    hours.refresh_from_db()
    assert hours.shortfall_reason == ""


def test_a_reached_target_needs_no_reason_and_keeps_none(world, hours):
    add(hours, "94")  # 60 + 30 + 94 = 184
    services.task_complete(task=hours, user=world.official_a, today=D(2026, 11, 20), reason="多余的说明")
    hours.refresh_from_db()
    assert hours.status == TaskStatus.COMPLETED and hours.shortfall_reason == ""


def test_the_official_is_asked_for_the_reason_and_the_office_sees_it_in_red(world, hours, client_for):
    official = client_for(world.official_a)
    page = official.get(f"/tasks/{hours.pk}/").content.decode()
    assert 'data-testid="short-warning"' in page and "90/184小时" in page
    refused = official.post(f"/tasks/{hours.pk}/complete/", {"reason": ""})
    assert refused.status_code == 400 and "标记完成须填写目标未达原因" in refused.content.decode()
    hours.refresh_from_db()
    assert hours.status == TaskStatus.IN_PROGRESS
    assert official.post(f"/tasks/{hours.pk}/complete/", {"reason": "冬季户外活动减少"}).status_code == 302
    admin_page = client_for(world.admin).get(f"/tasks/{hours.pk}/").content.decode()
    assert 'data-testid="accept-shortfall"' in admin_page
    accept_box = admin_page.split('data-testid="accept-shortfall"')[1].split("</div>")[0]
    assert "text-danger" in admin_page.split('data-testid="accept-shortfall"')[0][-60:] and "冬季户外活动减少" in accept_box


def test_a_task_without_target_shows_no_reason_field(world, client_for):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean, status=TaskStatus.IN_PROGRESS)
    page = client_for(world.official_a).get(f"/tasks/{task.pk}/").content.decode()
    assert "short-warning" not in page and 'name="reason"' not in page.split('id="complete-form"')[1].split("</form>")[0]


# ---------------------------------------------------------------- dashboards count 目标未达


@pytest.fixture
def short_board(world, hours):
    w = world
    hours.status, hours.completed_on, hours.shortfall_reason = TaskStatus.ACCEPTED, D(2026, 11, 20), "冬季户外活动减少"
    hours.save()
    boards = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_b, title="新建宣传栏", indicator=w.leaf_ads, target_value=Decimal("7"),
        status=TaskStatus.COMPLETED, completed_on=D(2026, 8, 30), deadline=D(2026, 8, 31),
    )
    add(boards, "7")  # reached
    open_short = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, title="评选文明家庭", indicator=w.leaf_ads, target_value=Decimal("81"),
        status=TaskStatus.IN_PROGRESS, deadline=D(2026, 12, 31),
    )
    add(open_short, "40")  # short but still open: not 目标未达 yet
    return w


def test_rates_count_completed_tasks_below_target(short_board):
    today = D(2026, 11, 29)
    qs = Task.objects.filter(campaign=short_board.campaign)
    by_unit = {r.label: r.short for r in selectors.rates_by(qs, "unit", today=today)}
    assert by_unit == {"城东街道": 1, "口岸街道": 0}
    by_indicator = {r.label: r.short for r in selectors.rates_by(qs, "indicator", today=today)}
    assert by_indicator == {"1.1.1 主次干道整洁": 1, "1.1.2 户外广告规范": 0}


def test_the_dashboard_and_its_exports_show_the_shortfall(short_board, client_for):
    client = client_for(short_board.admin)
    html = client.get("/tasks/dashboard/").content.decode()
    total = html.split('data-testid="short-total"')[1].split("</p>")[0]
    assert "<strong class=\"text-danger\">1</strong>" in total
    assert "冬季户外活动减少" in html
    wb = load_workbook(io.BytesIO(client.get("/tasks/dashboard/targets/export/").getvalue()))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][-3:] == ("状态", "目标未达", "目标未达原因")
    by_title = {r[1]: r[-3:] for r in rows[1:]}
    assert by_title == {
        "组织开展志愿服务活动": ("已验收", "是", "冬季户外活动减少"),
        "新建宣传栏": ("已完成", None, None),
        "评选文明家庭": ("进行中", None, None),
    }
    unit_rows = list(load_workbook(io.BytesIO(client.get("/tasks/dashboard/unit/export/").getvalue())).active.iter_rows(values_only=True))
    assert unit_rows[0][-1] == "目标未达" and {r[0]: r[-1] for r in unit_rows[1:]} == {"城东街道": 1, "口岸街道": 0}


# ---------------------------------------------------------------- 组织保障


def test_only_an_organisation_task_may_have_neither_indicator_nor_action(world):
    Task.objects.create(
        campaign=world.campaign, unit=world.unit_a, title="召开创建动员大会", category=TaskCategory.ORGANISATION, deadline=D(2026, 5, 10)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(campaign=world.campaign, unit=world.unit_a, title="无归属任务", deadline=D(2026, 5, 10))


def test_organisation_tasks_are_counted_apart_from_indicators(world, client_for):
    w = world
    today = D(2026, 11, 29)
    org = []
    for title in ("召开创建动员大会", "制定责任落实方案"):
        org.append(Task.objects.create(
            campaign=w.campaign, unit=w.unit_a, title=title, category=TaskCategory.ORGANISATION, deadline=D(2026, 5, 10),
            status=TaskStatus.COMPLETED, completed_on=D(2026, 5, 9),
        ))
    work = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, deadline=D(2026, 12, 31))
    qs = Task.objects.filter(campaign=w.campaign)
    indicator_rows = {r.label: (r.total, r.done) for r in selectors.rates_by(qs, "indicator", today=today)}
    assert indicator_rows == {"1.1.1 主次干道整洁": (1, 0)}  # no （无指标） row swallowing the meetings
    category_rows = {r.label: (r.total, r.done, r.completion_rate) for r in selectors.rates_by(qs, "category", today=today)}
    assert category_rows == {"组织保障": (2, 2, Decimal("100.0")), "测评指标任务": (1, 0, Decimal("0.0"))}
    html = client_for(w.admin).get("/tasks/dashboard/").content.decode()
    assert "按任务类别" in html
    listed = client_for(w.admin).get("/tasks/", {"category": "organisation"}).content.decode()
    shown = {t.pk for t in (*org, work) if f'data-task="{t.pk}"' in listed}
    assert shown == {org[0].pk, org[1].pk}


def test_the_task_import_accepts_the_category(world):
    data = xlsx([
        ["序号", "任务名称", "牵头单位", "测评标准", "任务类别", "完成时限"],
        ["O1", "召开创建动员大会", "城东街道", None, "组织保障", "5月10日前"],
        ["O2", "制定责任落实方案", "城东街道", None, "组织保障", "5月10日前"],
        ["W1", "主次干道保洁", "城东街道", "主次干道路面干净，无积存垃圾、无乱堆乱放。", None, "长期坚持"],
        ["X1", "无归属任务", "城东街道", None, None, "长期坚持"],
        ["X2", "类别写错", "城东街道", None, "后勤", "长期坚持"],
    ])
    preview = imports.import_preview(campaign=world.campaign, kind="tasks", data=data)
    messages = {e.row: e.message for e in preview.errors}
    assert set(messages) == {5, 6}
    assert "组织保障" in messages[5] and "任务类别“后勤”无法识别" in messages[6]
    fixed = xlsx([
        ["序号", "任务名称", "牵头单位", "测评标准", "任务类别", "完成时限"],
        ["O1", "召开创建动员大会", "城东街道", None, "组织保障", "5月10日前"],
        ["O2", "制定责任落实方案", "城东街道", None, "组织保障", "5月10日前"],
        ["W1", "主次干道保洁", "城东街道", "主次干道路面干净，无积存垃圾、无乱堆乱放。", None, "长期坚持"],
    ])
    imports.import_apply(campaign=world.campaign, kind="tasks", data=fixed, actor=world.admin)
    got = dict(Task.objects.values_list("code", "category"))
    assert got == {"O1": "organisation", "O2": "organisation", "W1": "work"}
    # Exported and imported again: nothing changes.
    again = imports.import_preview(campaign=world.campaign, kind="tasks", data=_export(world))
    assert (again.creates, again.updates, again.errors) == (0, 0, [])


def _export(world) -> bytes:
    from campaign.excel import workbook_bytes

    return workbook_bytes(imports.export_workbook(campaign=world.campaign, kind="tasks"))


def test_a_form_saving_a_task_without_indicator_or_action_gets_a_chinese_message(world):
    task = Task(campaign=world.campaign, unit=world.unit_a, title="无归属任务", deadline=D(2026, 5, 10))
    with pytest.raises(ValidationError) as exc:
        task.full_clean()
    assert "测评指标和专项行动至少要填写一项（组织保障类任务除外）。" in exc.value.messages
    task.category = TaskCategory.ORGANISATION
    task.full_clean()


def test_the_home_page_and_the_list_filter_show_the_shortfall(short_board, client_for):
    client = client_for(short_board.admin)
    home = client.get("/?view=work").content.decode()  # the admin's everyday home (not the cockpit)
    assert 'data-testid="short-count">1<' in home
    listed = client.get("/tasks/", {"flag": "short"}).content.decode()
    shown = {t.pk for t in Task.objects.all() if f'data-task="{t.pk}"' in listed}
    assert shown == {Task.objects.get(title="组织开展志愿服务活动").pk}
    assert "目标未达</span>" in listed
