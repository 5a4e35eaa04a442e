"""The tasks pages through the Django test client, their Excel exports, and their query bounds."""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from campaign.models import Phase
from tasks import services
from tasks.models import ProgressEntry, Task, TaskStatus
from tests import factories as f

D = dt.date


def sheet_rows(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.getvalue()))  # exports are streamed
    return list(wb.active.iter_rows(values_only=True))


@pytest.fixture
def board(world):
    """Four tasks of 城东街道 and one of 口岸街道, today being whatever today is."""
    today = timezone.localdate()
    w = world
    w.today = today
    w.t_board = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, code="1", title="新建乡村宣传栏", indicator=w.leaf_ads, phase=w.phase_push,
        target_value=Decimal("7"), target_unit="个", person_name="陈联络员", leader_name="刘乡长",
        deadline=today - dt.timedelta(days=10),
    )
    w.t_ads = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, code="2", title="户外公益广告占比", indicator=w.leaf_ads, phase=w.phase_push,
        target_value=Decimal("20"), target_unit="%", target_aggregation="latest", person_name="王干事",
        deadline=today + dt.timedelta(days=60),
    )
    w.t_done = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, code="3", title="志愿服务队伍建设", indicator=w.leaf_clean,
        status=TaskStatus.COMPLETED, completed_on=today - dt.timedelta(days=20), deadline=today - dt.timedelta(days=15),
    )
    w.t_late = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_a, code="4", title="背街小巷整治", special_action=w.action, indicator=None,
        status=TaskStatus.ACCEPTED, completed_on=today - dt.timedelta(days=2), deadline=today - dt.timedelta(days=5),
    )
    w.t_b = f.TaskFactory(
        campaign=w.campaign, unit=w.unit_b, code="5", title="农贸市场划行归市", indicator=w.leaf_market,
        deadline=today - dt.timedelta(days=3), leader_name="孙主任", person_name="周联络员",
    )
    for value in ("3", "2"):
        ProgressEntry.objects.create(task=w.t_board, author=w.official_a, text="新建宣传栏", value=Decimal(value))
    for value in ("12", "18.5"):
        ProgressEntry.objects.create(task=w.t_ads, author=w.official_a, text="公益广告占比", value=Decimal(value))
    return w


def test_the_official_sees_the_task_list_grouped_with_progress_and_overdue_marks(board, client_for):
    html = client_for(board.official_a).get("/tasks/").content.decode()
    assert "新建乡村宣传栏" in html and "农贸市场划行归市" not in html
    assert "5/7个" in html  # 3 + 2 toward 7
    assert "18.5/20%" in html  # latest value counts
    assert "逾期10天" in html
    assert "重点推进阶段" in html and "未分阶段" in html


def test_the_list_filters_by_status_flag_phase_and_search(board, client_for):
    client = client_for(board.admin)
    html = client.get("/tasks/", {"status": "completed"}).content.decode()
    assert "志愿服务队伍建设" in html and "新建乡村宣传栏" not in html
    html = client.get("/tasks/", {"flag": "overdue"}).content.decode()
    assert "新建乡村宣传栏" in html and "农贸市场划行归市" in html and "户外公益广告占比" not in html
    html = client.get("/tasks/", {"phase": board.phase_push.pk}).content.decode()
    assert "户外公益广告占比" in html and "志愿服务队伍建设" not in html
    html = client.get("/tasks/", {"q": "宣传栏"}).content.decode()
    assert "新建乡村宣传栏" in html and "户外公益广告占比" not in html
    html = client.get("/tasks/", {"unit": board.unit_b.pk}).content.decode()
    assert "农贸市场划行归市" in html and "新建乡村宣传栏" not in html
    html = client.get("/tasks/", {"person": "王干事"}).content.decode()
    assert "户外公益广告占比" in html and "新建乡村宣传栏" not in html
    html = client.get("/tasks/", {"special_action": board.action.pk}).content.decode()
    assert "背街小巷整治" in html and "新建乡村宣传栏" not in html
    html = client.get("/tasks/", {"indicator": board.ind_1_1.pk}).content.decode()  # a level-2 node selects its leaves
    assert "新建乡村宣传栏" in html and "志愿服务队伍建设" in html and "农贸市场划行归市" not in html


def test_the_task_page_shows_standard_target_progress_entries_and_history(board, client_for):
    client = client_for(board.official_a)
    client.post(
        f"/tasks/{board.t_board.pk}/progress/",
        {"text": "又建成宣传栏1个", "value": "1", "client_token": str(uuid.uuid4())},
    )
    html = client.get(f"/tasks/{board.t_board.pk}/").content.decode()
    assert "户外公益广告占比不低于20%。" in html  # the indicator's standard text
    assert "7个" in html and 'data-testid="progress-value">6个' in html  # 3 + 2 + 1
    assert "85.7%" in html  # 6 / 7
    assert "又建成宣传栏1个" in html
    assert "状态：未开始 → 进行中" in html  # history, from what to what
    assert "完成数值：1</li>" in html  # a new entry in the history, the value as people write it
    assert "陈联络员" in html


def test_posting_progress_twice_with_one_token_creates_one_entry(board, client_for):
    client = client_for(board.official_a)
    data = {"text": "新建宣传栏2个", "value": "2", "client_token": str(uuid.uuid4())}
    assert client.post(f"/tasks/{board.t_ads.pk}/progress/", data).status_code == 302
    assert client.post(f"/tasks/{board.t_ads.pk}/progress/", data).status_code == 302
    assert ProgressEntry.objects.filter(task=board.t_ads, text="新建宣传栏2个").count() == 1


def test_a_negative_value_is_refused_in_chinese(board, client_for):
    response = client_for(board.official_a).post(
        f"/tasks/{board.t_ads.pk}/progress/", {"text": "x", "value": "-1", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert "确保该值大于或等于0" in response.content.decode()


def test_official_completes_and_office_returns_then_accepts(board, client_for):
    task = board.t_ads  # 18.5 of 20 %: below its target, so completing needs a reason
    client_for(board.official_a).post(f"/tasks/{task.pk}/complete/", {"reason": "剩余广告位合同未到期"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_on == timezone.localdate()
    admin = client_for(board.admin)
    assert admin.post(f"/tasks/{task.pk}/return/", {"reason": ""}).status_code == 400
    admin.post(f"/tasks/{task.pk}/return/", {"reason": "佐证照片不清晰"})
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.return_reason == "佐证照片不清晰"
    html = client_for(board.official_a).get(f"/tasks/{task.pk}/").content.decode()
    assert "佐证照片不清晰" in html
    client_for(board.official_a).post(f"/tasks/{task.pk}/complete/", {"reason": "剩余广告位合同未到期"})
    client_for(board.admin).post(f"/tasks/{task.pk}/accept/")
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED and task.accepted_by == board.admin


def test_the_office_sets_a_deadline_in_working_days(board, client_for):
    response = client_for(board.admin).post(f"/tasks/{board.t_ads.pk}/deadline/", {"start": "2026-09-30", "working_days": "3"})
    assert response.status_code == 302
    board.t_ads.refresh_from_db()
    assert board.t_ads.deadline == D(2026, 10, 10)


def test_the_dashboard_shows_rates_overdue_list_and_targets(board, client_for):
    html = client_for(board.leader).get("/tasks/dashboard/").content.decode()
    # 城东街道: 4 tasks, 2 done (50.0%); judged = 2 done + 1 overdue = 3, on time = 1 (t_done) → 33.3%.
    assert "50.0%" in html and "33.3%" in html
    assert "刘乡长" in html and "孙主任" in html  # 责任领导 in the overdue list
    assert "71.4%" in html  # 5 of 7 宣传栏
    assert "92.5%" in html  # 18.5 of 20%


def test_dashboard_tables_export_to_xlsx_with_hand_computed_rates(board, client_for):
    client = client_for(board.admin)
    rows = sheet_rows(client.get("/tasks/dashboard/unit/export/"))
    assert rows[0][:4] == ("分组", "任务数", "已完成", "完成率(%)")
    by_unit = {r[0]: r for r in rows[1:]}
    assert by_unit["城东街道"][1:] == (4, 2, 50, 3, 1, 33.3, 1, 0)
    assert by_unit["口岸街道"][1:] == (1, 0, 0, 1, 0, 0, 1, 0)
    overdue = sheet_rows(client.get("/tasks/dashboard/overdue/export/"))
    assert [(r[1], r[3], r[7]) for r in overdue[1:]] == [("新建乡村宣传栏", "刘乡长", 10), ("农贸市场划行归市", "孙主任", 3)]
    targets = sheet_rows(client.get("/tasks/dashboard/targets/export/"))
    assert [(r[1], r[6]) for r in targets[1:]] == [("新建乡村宣传栏", 5), ("户外公益广告占比", 18.5)]
    for table in ("group", "phase", "category", "indicator", "action"):
        assert client.get(f"/tasks/dashboard/{table}/export/").status_code == 200
    assert client.get("/tasks/dashboard/nonsense/export/").status_code == 404


def test_every_dashboard_export_holds_only_the_rows_the_filter_keeps(board, client_for):
    f.TaskFactory(  # 市城管局 (市直部门组): overdue, with a target, so the group filter has something to drop
        campaign=board.campaign, unit=board.dept, code="6", title="门前三包检查", indicator=board.leaf_clean,
        target_value=Decimal("4"), target_unit="次", deadline=board.today - dt.timedelta(days=1),
    )
    client = client_for(board.admin)
    html = client.get("/tasks/dashboard/", {"q": "口岸"}).content.decode()
    links = re.findall(r'href="(/tasks/dashboard/[a-z]+/export/[^"]*)"', html)
    assert len(links) == 8 and all(link.endswith("?q=%E5%8F%A3%E5%B2%B8") for link in links)  # 6 rate tables, overdue, targets
    assert "导出仍为全部任务" not in html

    def export(table: str, **params) -> list[tuple]:
        return sheet_rows(client.get(f"/tasks/dashboard/{table}/export/", params))[1:]

    assert {r[0] for r in export("unit")} == {"城东街道", "口岸街道", "市城管局"}  # unfiltered, for contrast
    assert [r[0] for r in export("unit", q="口岸")] == ["口岸街道"]
    assert [r[1] for r in export("overdue", q="口岸")] == ["农贸市场划行归市"]
    assert export("targets", q="口岸") == []
    street = board.group_street.pk
    assert [r[1] for r in export("overdue", group=street)] == ["新建乡村宣传栏", "农贸市场划行归市"]
    assert [r[1] for r in export("targets", group=street)] == ["新建乡村宣传栏", "户外公益广告占比"]
    assert [r[0] for r in export("group", group=board.group_dept.pk)] == ["市直部门组"]
    assert [r[1] for r in export("overdue", q="城管", group=board.group_dept.pk)] == ["门前三包检查"]


def test_the_task_list_and_its_export_filter_by_ranking_group(board, client_for):
    f.TaskFactory(campaign=board.campaign, unit=board.dept, code="6", title="门前三包检查", phase=board.phase_push)
    f.TaskFactory(campaign=board.campaign, unit=board.community_a, code="7", title="社区文明公约")  # 迎春社区: no group
    client = client_for(board.admin)

    def listed(**params) -> set[str]:
        html = client.get("/tasks/", params).content.decode()
        return {t for t in ("新建乡村宣传栏", "户外公益广告占比", "志愿服务队伍建设", "背街小巷整治", "农贸市场划行归市",
                            "门前三包检查", "社区文明公约") if t in html}

    street, dept = board.group_street.pk, board.group_dept.pk
    # 乡镇街道组 holds 城东街道 and 口岸街道 only: the community below 城东街道 has no group of its own.
    assert listed(group=street) == {"新建乡村宣传栏", "户外公益广告占比", "志愿服务队伍建设", "背街小巷整治", "农贸市场划行归市"}
    assert listed(group=dept) == {"门前三包检查"}
    assert listed(group=dept, phase=board.phase_push.pk) == {"门前三包检查"}
    assert listed(group=street, flag="overdue") == {"新建乡村宣传栏", "农贸市场划行归市"}
    assert len(listed()) == 7 and len(listed(group="999999")) == 7  # an unknown group is ignored, like any invalid filter
    html = client.get("/tasks/", {"group": dept}).content.decode()
    assert f'<option value="{dept}" selected>市直部门组</option>' in html
    # The export holds the rows the list shows, streamed and as a report job's params.
    assert [r[1] for r in sheet_rows(client.get("/tasks/export/", {"group": dept}))[1:]] == ["门前三包检查"]
    from tasks import exports

    _, content = exports.tasks_xlsx(user=board.admin, campaign=board.campaign, params={"group": str(street), "flag": "overdue"})
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))[1:]
    assert sorted(r[1] for r in rows) == ["农贸市场划行归市", "新建乡村宣传栏"]
    assert "group" in exports.FILTER_KEYS  # the large-export form posts these keys to the job


def test_the_dashboards_links_to_the_task_list_keep_its_ranking_group(board, client_for):
    f.TaskFactory(  # 市城管局 (市直部门组): overdue in the same phase, so a link without the group would list it
        campaign=board.campaign, unit=board.dept, code="6", title="门前三包检查", phase=board.phase_push,
        indicator=board.leaf_ads, deadline=board.today - dt.timedelta(days=1),
    )
    client = client_for(board.admin)
    street = board.group_street.pk
    html = client.get("/tasks/dashboard/", {"group": street}).content.decode()
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/tasks/\?[^"]*)"', html)]
    assert links, html
    for link in links:
        assert link.count(f"group={street}") == 1, link
    # Following the phase row's 逾期 link lists the group's overdue tasks of that phase, not 市城管局's.
    phase_link = next(link for link in links if f"phase={board.phase_push.pk}" in link and "flag=overdue" in link)
    page = client.get(phase_link).content.decode()
    assert "新建乡村宣传栏" in page and "门前三包检查" not in page
    # The 按考核组别 table links each group to the list filtered by it (dashboard unfiltered here).
    html = client.get("/tasks/dashboard/").content.decode()
    assert f'href="/tasks/?group={board.group_dept.pk}"' in html and f'href="/tasks/?group={street}"' in html
    assert "group=" not in html.split('id="rates-unit"')[1].split("</table>")[0]  # unfiltered: unit rows carry none


def test_the_dashboards_links_keep_its_unit_name_filter_as_the_lists_unit_name(board, client_for):
    f.TaskFactory(  # 城东街道, overdue on 口岸's indicator: a link without the unit name would list it too
        campaign=board.campaign, unit=board.unit_a, code="6", title="城东农贸市场整治", indicator=board.leaf_market,
        deadline=board.today - dt.timedelta(days=1),
    )
    client = client_for(board.admin)
    street = board.group_street.pk
    html = client.get("/tasks/dashboard/", {"q": "口岸", "group": street}).content.decode()
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/tasks/\?[^"]*)"', html)]
    assert links, html
    for link in links:  # the list's name for the dashboard's ?q= is unit_name (its own q searches the tasks' text)
        assert link.count("unit_name=%E5%8F%A3%E5%B2%B8") == 1 and link.count(f"group={street}") == 1, link
    indicator_link = next(link for link in links if f"indicator={board.leaf_market.pk}" in link and "flag=overdue" in link)
    page = client.get(indicator_link).content.decode()
    assert "农贸市场划行归市" in page and "城东农贸市场整治" not in page
    # The task list's own filter field, and its export.
    assert "城东农贸市场整治" in client.get("/tasks/", {"indicator": board.leaf_market.pk}).content.decode()
    assert [r[1] for r in sheet_rows(client.get("/tasks/export/", {"unit_name": "口岸"}))[1:]] == ["农贸市场划行归市"]


def test_exported_text_that_looks_like_a_formula_is_written_as_text(board, client_for):
    Task.objects.filter(pk=board.t_board.pk).update(title="=HYPERLINK(\"http://x\")")
    rows = sheet_rows(client_for(board.admin).get("/tasks/export/"))
    titles = [r[1] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in titles


def test_the_timeline_draws_phases_tasks_and_today(board, client_for):
    html = client_for(board.admin).get("/tasks/timeline/").content.decode()
    assert "<svg" in html and "重点推进阶段" in html
    assert html.count('data-css="overdue"') == 2
    if board.campaign.start_date <= board.today <= board.campaign.end_date:
        assert 'data-testid="today-line"' in html
    html = client_for(board.admin).get("/tasks/timeline/", {"unit": board.unit_b.pk}).content.decode()
    assert "农贸市场划行归市" in html and "新建乡村宣传栏" not in html


def test_the_timeline_marks_today_inside_the_campaign(world):
    from tasks import selectors

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, phase=world.phase_push, deadline=D(2026, 9, 30))
    chart = selectors.timeline(world.campaign, selectors.mark([task], today=D(2026, 7, 1), calendar=__import__("campaign.workdays").workdays.WorkCalendar({})), today=D(2026, 7, 1))
    # The axis runs 2026-05-01 … 2026-12-31 (244 days) over 900 units after a 280-unit label column.
    assert chart.today_x == round(280 + 61 * 900 / 244, 1)
    bar = chart.tasks[0]
    assert bar.x == round(280 + 15 * 900 / 244, 1)  # phase start 5月16日
    assert bar.marker_x == round(280 + 152 * 900 / 244, 1)  # deadline 9月30日
    assert bar.css == "open"


def test_the_home_page_still_works_for_every_role(board, client_for):
    for who in ("admin", "inspector", "leader", "official_a", "nobody"):
        assert client_for(getattr(board, who)).get("/").status_code == 200, who
    html = client_for(board.official_a).get("/").content.decode()
    assert f'href="/tasks/{board.t_board.pk}/"' in html  # an overdue task links to its page
    assert 'href="/tasks/?flag=overdue"' in html


# ---------------------------------------------------------------------------
# Query bounds: the same number of queries for 10 tasks and for 500.

# The dashboard: 21 = 20 + the filter box's list of ranking groups (engineer 9, issue 17);
# the list: 21 = 20 + its 考核组别 filter's options.
MAX_QUERIES = {"/tasks/": 21, "/tasks/dashboard/": 21, "/tasks/timeline/": 16, "/tasks/export/": 20}


def make_tasks(world, n: int) -> None:
    today = timezone.localdate()
    phases = [world.phase_push, Phase.objects.create(campaign=world.campaign, name="巩固迎检阶段", start_date=D(2026, 10, 1), end_date=D(2026, 12, 31), order=3)]
    units = [world.unit_a, world.community_a, world.unit_b, world.dept]
    statuses = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.ACCEPTED]
    tasks = []
    for i in range(n):
        status = statuses[i % 4]
        tasks.append(
            Task(
                campaign=world.campaign, code=str(i + 1), title=f"任务{i + 1}", indicator=world.leaf_ads if i % 2 else world.leaf_clean,
                special_action=world.action if i % 3 == 0 else None, phase=phases[i % 2], unit=units[i % 4],
                person_name=f"责任人{i % 7}", leader_name=f"领导{i % 5}", deadline=today + dt.timedelta(days=(i % 40) - 20),
                status=status, completed_on=today - dt.timedelta(days=i % 9) if status in ("completed", "accepted") else None,
                target_value=Decimal("10") if i % 5 == 0 else None,
            )
        )
    created = Task.objects.bulk_create(tasks)
    ProgressEntry.objects.bulk_create(
        [ProgressEntry(task=t, author=world.official_a, text="进展", value=Decimal("2")) for t in created[::3]]
    )


@pytest.mark.parametrize("n", [10, 500])
@pytest.mark.parametrize("url", list(MAX_QUERIES))
def test_pages_take_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries, n, url):
    make_tasks(world, n)
    for who in (world.admin, world.official_a):
        client = client_for(who)
        client.get("/")  # warm the session
        with django_assert_max_num_queries(MAX_QUERIES[url]):
            response = client.get(url)
        assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 500])
def test_the_task_page_takes_a_bounded_number_of_queries(world, client_for, django_assert_max_num_queries, n):
    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_ads, target_value=Decimal("7"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_tasks_uploads import png_bytes

    for i in range(n // 10):
        services.progress_add(
            task=task, author=world.official_a, text=f"进展{i}", value=Decimal("1"),
            files=[SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")] if i < 3 else [],
        )
    client = client_for(world.official_a)
    client.get("/")
    with django_assert_max_num_queries(22):
        assert client.get(f"/tasks/{task.pk}/").status_code == 200


def test_exports_are_streamed_from_a_write_only_workbook_with_frozen_header_and_filters(board, client_for, monkeypatch):
    from django.http import FileResponse
    from openpyxl import Workbook

    from campaign import excel

    modes = []
    real = Workbook.__init__

    def spy(self, *args, **kwargs):
        modes.append(kwargs.get("write_only", False))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Workbook, "__init__", spy)
    monkeypatch.setattr(excel, "WIDTH_SAMPLE_ROWS", 2)  # widths from the first rows, the rest streamed after them
    response = client_for(board.admin).get("/tasks/export/")
    assert isinstance(response, FileResponse) and modes == [True]
    monkeypatch.setattr(Workbook, "__init__", real)
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:Q6"  # 17 columns, header + 5 tasks
    rows = list(ws.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["1", "2", "3", "4", "5"]
    assert ws["A1"].font.bold
    # Widths fit the header and the first two rows only (SQLite and PostgreSQL sort tasks without phase differently).
    sampled = max(excel._display_width(v) for v in ("任务名称", rows[1][1], rows[2][1]))
    assert ws.column_dimensions["B"].width == sampled + 2
    # Dates and numbers keep their formats in the streamed sheet.
    done = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "志愿服务队伍建设")
    assert done[10].number_format == excel.DATE_FORMAT
    board_row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "新建乡村宣传栏")
    assert board_row[15].value == 71.4 and board_row[15].number_format == "0.0"


def test_a_streamed_table_of_many_rows_keeps_every_row(db):
    from campaign import excel

    long_name = "很长的名称" * 8  # after the rows the widths are fitted to: the column does not grow for it
    rows_in = ([i, f"=行{i}" if i < 4999 else long_name] for i in range(5000))
    handle = excel.table_file("大表", ["编号", "名称"], rows_in)
    ws = load_workbook(handle).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 5001 and rows[-2] == (4998, "'=行4998") and rows[-1] == (4999, long_name)
    assert ws.column_dimensions["B"].width == excel._display_width("'=行499") + 2  # the widest of the first 500
    assert ws.auto_filter.ref == "A1:B5001" and ws.freeze_panes == "A2"
