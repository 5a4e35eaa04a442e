"""Pages that stay small (issue 14, item 3): the task dashboard, the timeline, 整改跟踪 and the inspection list
show a bounded number of rows, stay under 300 KB of HTML and take the same number of queries at 15 and at 300 units."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.models import Phase, Unit, UnitType
from tasks import selectors
from tasks.models import ProgressEntry, Task, TaskStatus
from tests import factories as f

MAX_HTML = 300 * 1024
TWO_OVERDUE = {7, 150, 299}  # both tasks open and 30 days past their deadline
ONE_OVERDUE = list(range(3, 300, 20))  # 3, 23, …, 283: task 0 overdue by 1, 2, … 15 days


def build_city(world, first: int, last: int) -> None:
    """Units 压测单位{first..last-1} under the city, two tasks each (one per phase), built with bulk_create.

    Unit k: both tasks overdue when k is in TWO_OVERDUE; task 0 overdue when k is in ONE_OVERDUE;
    otherwise both completed on time when k is even, both open and not yet due when k is odd.
    Every tenth unit's tasks have a target of 10 with progress k % 7 (so 0–60 %).
    """
    today = timezone.localdate()
    w = world
    if not hasattr(w, "phase_late"):
        w.phase_late = Phase.objects.create(
            campaign=w.campaign, name="巩固迎检阶段", start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 12, 31), order=3
        )
    units = Unit.objects.bulk_create([
        Unit(name=f"压测单位{k:03d}", parent=w.city, unit_type=UnitType.STREET, ranking_group=w.group_street, order=k, path="", depth=1)
        for k in range(first, last)
    ])
    for unit in units:
        unit.path = f"{w.city.path}{unit.pk}/"
    Unit.objects.bulk_update(units, ["path"])
    tasks = []
    for k, unit in zip(range(first, last), units):
        for j in range(2):
            overdue_days = 30 if k in TWO_OVERDUE else (ONE_OVERDUE.index(k) + 1 if k in ONE_OVERDUE and j == 0 else 0)
            done = not overdue_days and k % 2 == 0 and k not in ONE_OVERDUE
            tasks.append(Task(
                campaign=w.campaign, unit=unit, code=f"{k}.{j}", title=f"压测任务{k:03d}-{j}", indicator=w.leaf_clean,
                phase=w.phase_push if j == 0 else w.phase_late,
                deadline=today - dt.timedelta(days=overdue_days) if overdue_days else today + dt.timedelta(days=30),
                status=TaskStatus.COMPLETED if done else TaskStatus.NOT_STARTED,
                completed_on=today - dt.timedelta(days=1) if done else None,
                target_value=Decimal("10") if k % 10 == 0 else None,
            ))
    created = Task.objects.bulk_create(tasks)
    ProgressEntry.objects.bulk_create([
        ProgressEntry(task=t, author=w.admin, text="进展", value=Decimal(int(t.code.split(".")[0]) % 7))
        for t in created if t.target_value is not None and int(t.code.split(".")[0]) % 7
    ])


@pytest.fixture
def city(world):
    build_city(world, 0, 300)
    return world


def table(html: str, name: str) -> str:
    return html.split(f'data-table="{name}"')[1].split("</table>")[0]


def body_rows(html: str, name: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", table(html, name).split("<tbody>")[1], flags=re.S)


def queries_for(client, url: str) -> int:
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- 任务统计


def test_the_dashboard_shows_the_20_worst_units_first_and_pages_the_rest(city, client_for):
    client = client_for(city.leader)
    response = client.get("/tasks/dashboard/")
    html = response.content.decode()
    assert len(response.content) < MAX_HTML
    rows = body_rows(html, "unit")
    names = [re.search(r"压测单位\d{3}", r).group(0)[4:] for r in rows]
    # Most overdue first (2), then the 15 units with one overdue task (all at 0 % done, by name),
    # then units with none overdue at the lowest completion rate (the odd ones, 0 %) by name.
    assert names == ["007", "150", "299", *[f"{k:03d}" for k in ONE_OVERDUE], "001", "005"]
    unit_007 = Unit.objects.get(name="压测单位007")
    assert f'href="/tasks/?unit={unit_007.pk}"' in rows[0]
    assert f'href="/tasks/?unit={unit_007.pk}&amp;flag=overdue">2</a>' in rows[0]
    assert "共 300 组" in html and "第 1 / 15 页" in html
    assert 'unit_page=2#rates-unit"' in html

    page2 = [re.search(r"压测单位\d{3}", r).group(0)[4:] for r in body_rows(client.get("/tasks/dashboard/", {"unit_page": 2}).content.decode(), "unit")]
    assert page2[:3] == ["009", "011", "013"] and len(page2) == 20


def test_the_dashboard_lists_only_the_longest_overdue_and_links_to_all(city, client_for):
    html = client_for(city.leader).get("/tasks/dashboard/").content.decode()
    overdue = body_rows(html, "overdue")
    assert len(overdue) == 20
    # 21 overdue tasks: six 30 days late, then 15 late by 15 … 1 days; the one a day late is left out.
    assert "逾期任务清单（21 项，显示逾期最久的 20 项）" in html
    assert "压测任务283-0" in table(html, "overdue") and "压测任务003-0" not in table(html, "overdue")
    assert 'href="/tasks/?flag=overdue" data-testid="overdue-all"' in html
    # 60 tasks have a target (units 0, 10, … 290); the 20 furthest behind are shown, from 0 % up.
    targets = body_rows(html, "targets")
    assert len(targets) == 20 and "量化目标完成情况（60 项，显示完成比例最低的 20 项）" in html
    percents = [Decimal(re.search(r"([\d.]+)%</td>", r).group(1)) for r in targets]
    assert percents == sorted(percents) and percents[0] == Decimal("0.0")
    assert 'href="/tasks/?flag=target"' in html


def test_the_task_list_filters_what_the_dashboard_links_to(city, client_for):
    client = client_for(city.admin)
    html = client.get("/tasks/", {"flag": "target"}).content.decode()
    assert "共 60 条" in html
    html = client.get("/tasks/", {"flag": "overdue"}).content.decode()
    assert re.search(r"全部 <span class=\"badge text-bg-secondary\">21</span>", html)
    unit = Unit.objects.get(name="压测单位150")
    html = client.get("/tasks/", {"unit": unit.pk, "flag": "overdue"}).content.decode()
    assert html.count("data-task=") == 2 and "压测任务150-0" in html and "压测任务150-1" in html


def test_worst_first_orders_by_overdue_then_completion_then_size():
    row = selectors.RateRow
    rows = [
        row("甲", total=4, done=4, on_time=4, judged=4, overdue=0),  # 100 %
        row("乙", total=2, done=0, on_time=0, judged=1, overdue=1),
        row("丙", total=4, done=1, on_time=0, judged=2, overdue=1),  # 25 %
        row("丁", total=5, done=0, on_time=0, judged=0, overdue=0),  # 0 %, more tasks than 戊
        row("戊", total=1, done=0, on_time=0, judged=0, overdue=0),
        row("己", total=0, done=0, on_time=0, judged=0, overdue=0),  # no rate: last
    ]
    assert [r.label for r in selectors.worst_first(rows)] == ["乙", "丙", "丁", "戊", "甲", "己"]


def test_target_rows_are_furthest_behind_first_and_cut_in_sql(world):
    w = world
    made = {}
    for title, target, progress in (("半成", "10", "5"), ("超额", "8", "12"), ("未报", "20", None), ("四分之一", "4", "1")):
        made[title] = f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, title=title, target_value=Decimal(target))
        if progress:
            ProgressEntry.objects.create(task=made[title], author=w.admin, text="进展", value=Decimal(progress))
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, title="无目标")
    qs = Task.objects.filter(campaign=w.campaign)
    assert [(t.title, t.percent) for t in selectors.target_rows(qs)] == [
        ("未报", Decimal("0.0")), ("四分之一", Decimal("25.0")), ("半成", Decimal("50.0")), ("超额", Decimal("150.0")),
    ]
    assert [t.title for t in selectors.target_rows(qs, limit=2)] == ["未报", "四分之一"]


def test_the_dashboard_takes_as_many_queries_for_300_units_as_for_15(world, client_for):
    client = client_for(world.admin)
    build_city(world, 0, 15)
    small = queries_for(client, "/tasks/dashboard/")
    build_city(world, 15, 300)
    assert queries_for(client, "/tasks/dashboard/") == small


# ---------------------------------------------------------------- 阶段进度


def test_the_timeline_draws_20_units_a_page_grouped_by_phase_and_unit(city, client_for):
    client = client_for(city.admin)
    response = client.get("/tasks/timeline/")
    html = response.content.decode()
    assert len(response.content) < MAX_HTML
    # 20 units × 2 tasks, one in each phase: 2 phase headings, 20 unit headings under each.
    assert html.count('data-heading="phase"') == 2
    assert html.count('data-heading="unit"') == 40
    assert html.count("data-css=") == 40
    assert "第 1 / 15 页（共 300 条）" in html and "600 项任务" in html
    first_units = set(re.findall(r'data-heading="unit">(压测单位\d{3})<', html))
    page2 = client.get("/tasks/timeline/", {"page": 2}).content.decode()
    second_units = set(re.findall(r'data-heading="unit">(压测单位\d{3})<', page2))
    assert len(first_units) == len(second_units) == 20 and not first_units & second_units
    # Phase 重点推进 comes first: its heading is above the other phase's.
    assert html.index("重点推进阶段</text>") < html.index("巩固迎检阶段</text>")


def test_the_timeline_filters_by_phase_and_unit(city, client_for):
    client = client_for(city.admin)
    html = client.get("/tasks/timeline/", {"phase": city.phase_late.pk}).content.decode()
    assert html.count('data-heading="phase"') == 1 and html.count("data-css=") == 20
    assert "压测任务" in html and "-0（" not in html  # only the second task of each unit (titles in the tooltips)
    unit = Unit.objects.get(name="压测单位150")
    html = client.get("/tasks/timeline/", {"unit": unit.pk, "phase": city.phase_push.pk}).content.decode()
    assert html.count("data-css=") == 1 and 'data-css="overdue"' in html and "压测任务150-0（压测单位150）" in html
    assert f'href="/tasks/?unit={unit.pk}&amp;phase={city.phase_push.pk}"' in html


def test_one_unit_with_many_tasks_draws_at_most_the_cap_and_says_so(world, client_for):
    Task.objects.bulk_create([
        Task(campaign=world.campaign, unit=world.unit_a, title=f"批量任务{i}", indicator=world.leaf_clean, phase=world.phase_push,
             deadline=dt.date(2026, 9, 30))
        for i in range(selectors.TIMELINE_MAX_TASKS + 5)
    ])
    html = client_for(world.admin).get("/tasks/timeline/").content.decode()
    assert html.count("data-css=") == selectors.TIMELINE_MAX_TASKS
    assert 'data-testid="timeline-truncated"' in html
    assert f"{selectors.TIMELINE_MAX_TASKS + 5} 项任务" in html


def test_the_timeline_takes_as_many_queries_for_300_units_as_for_15(world, client_for):
    client = client_for(world.admin)
    build_city(world, 0, 15)
    small = queries_for(client, "/tasks/timeline/")
    build_city(world, 15, 300)
    assert queries_for(client, "/tasks/timeline/") == small


# ---------------------------------------------------------------- the task list's filters


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [(v, bool(sel), label) for v, sel, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)]


def test_the_fast_select_writes_the_same_options_as_django(world):
    from django import forms

    from tasks.forms import FastSelect

    Unit.objects.create(name="<甲&乙>社区", parent=world.unit_a, unit_type=UnitType.COMMUNITY)

    class Plain(forms.Form):
        unit = forms.ModelChoiceField(queryset=Unit.objects.order_by("path"), required=False, empty_label="全部单位")

    class Fast(Plain):
        unit = forms.ModelChoiceField(queryset=Unit.objects.order_by("path"), required=False, empty_label="全部单位", widget=FastSelect)

    for data in (None, {"unit": str(world.unit_b.pk)}):
        plain, fast = str(Plain(data)["unit"]), str(Fast(data)["unit"])
        assert _options(fast) == _options(plain) and len(_options(fast)) == Unit.objects.count() + 1
        assert re.match(r'<select name="unit" id="id_unit">', fast)
        assert "&lt;甲&amp;乙&gt;社区" in fast and "<甲" not in fast
    chosen = [o for o in _options(str(Fast({"unit": str(world.unit_b.pk)})["unit"])) if o[1]]
    assert chosen == [(str(world.unit_b.pk), True, "口岸街道")]
    assert [o for o in _options(str(Fast(None)["unit"])) if o[1]] == [("", True, "全部单位")]


def test_the_task_list_keeps_the_chosen_unit_in_its_filter(city, client_for):
    unit = Unit.objects.get(name="压测单位150")
    html = client_for(city.admin).get("/tasks/", {"unit": unit.pk}).content.decode()
    select = html.split('name="unit"')[1].split("</select>")[0]
    assert f'<option value="{unit.pk}" selected>压测单位150</option>' in select and select.count(" selected") == 1
