"""任务统计 (/tasks/dashboard/) under 150 ms on the bench city (issue 14): the same page from less work.

The rate tables' rows and the sortable headers are written in one pass by template tags
(``tasks_tags.rate_rows`` / ``header_cells``); they are compared here with the template loops they replace.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.http import QueryDict
from django.template import Context, Template

from campaign import sorting
from campaign.models import Unit
from tasks.selectors import RateRow
from tasks.templatetags.tasks_tags import header_cells, rate_rows

# The loop of templates/tasks/_rates.html before rate_rows (commit 3d700fb).
TEMPLATE_ROWS = """{% url 'tasks-list' as list_url %}{% for r in rows %}<tr><td data-label="{{ title|slice:"1:" }}">{% if r.query %}<a href="{{ list_url }}?{{ r.query }}{% if key != "group" %}{{ list_suffix }}{% endif %}">{{ r.label }}</a>{% else %}{{ r.label }}{% endif %}</td><td data-label="任务数" class="text-end">{{ r.total }}</td><td data-label="已完成" class="text-end">{{ r.done }}</td>
      <td data-label="完成率" class="text-end">{% if r.completion_rate is not None %}{{ r.completion_rate }}%{% else %}—{% endif %}</td>
      <td data-label="按时完成率" class="text-end" title="按时完成 {{ r.on_time }} / 应完成 {{ r.judged }}">{% if r.on_time_rate is not None %}{{ r.on_time_rate }}%{% else %}—{% endif %}</td>
      <td data-label="逾期" class="text-end{% if r.overdue %} overdue{% endif %}">{% if r.overdue and r.query %}<a class="overdue" href="{{ list_url }}?{{ r.query }}{% if key != "group" %}{{ list_suffix }}{% endif %}&amp;flag=overdue">{{ r.overdue }}</a>{% else %}{{ r.overdue }}{% endif %}</td>
      <td data-label="目标未达" class="text-end{% if r.short %} text-danger fw-bold{% endif %}">{% if r.short and r.query %}<a class="text-danger" href="{{ list_url }}?{{ r.query }}{% if key != "group" %}{{ list_suffix }}{% endif %}&amp;flag=short">{{ r.short }}</a>{% else %}{{ r.short }}{% endif %}</td></tr>
    {% empty %}<tr><td colspan="7" class="text-muted">暂无数据</td></tr>{% endfor %}"""
TEMPLATE_HEADERS = '{% for h in headers %}{% include "includes/sort_header.html" %}{% endfor %}'


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


ROWS = [
    # label with markup; every count a link; rates 66.7 % and 50.0 %
    RateRow(label="<b>城东</b> & “街道”", total=3, done=2, on_time=1, judged=2, overdue=1, short=1, query="unit=12"),
    # no query (an empty group): no links even with counts; no rates (—)
    RateRow(label="（未分阶段）", total=0, done=0, on_time=0, judged=0, overdue=2, short=3, query=""),
    # zero overdue and short: plain numbers, no overdue / text-danger classes; 1,234 tasks (no separator)
    RateRow(label="口岸街道", total=1234, done=1234, on_time=7, judged=8, overdue=0, short=0, query="category=org"),
]


def test_rate_rows_write_the_markup_the_template_loop_wrote():
    for key, title, suffix in (("unit", "按责任单位", "&group=3"), ("group", "按考核组别", "&group=3"), ("phase", "按工作阶段", "")):
        expected = Template(TEMPLATE_ROWS).render(Context({"rows": ROWS, "key": key, "title": title, "list_suffix": suffix}))
        assert _squeezed(str(rate_rows(ROWS, key, title, suffix))) == _squeezed(expected), key
    # What the comparison covers (hand-written): escaped label, the group suffix only off the group table, rates.
    unit = str(rate_rows(ROWS, "unit", "按责任单位", "&group=3"))
    assert '<a href="/tasks/?unit=12&amp;group=3">&lt;b&gt;城东&lt;/b&gt; &amp; “街道”</a>' in unit
    assert '<a class="overdue" href="/tasks/?unit=12&amp;group=3&amp;flag=overdue">1</a>' in unit
    assert '<a class="text-danger" href="/tasks/?unit=12&amp;group=3&amp;flag=short">1</a>' in unit
    assert ">66.7%<" in unit and ">50.0%<" in unit and unit.count(">—<") == 2 and ">1234<" in unit
    assert 'data-label="责任单位"' in unit and "（未分阶段）</td>" in unit
    assert "group=3" not in str(rate_rows(ROWS, "group", "按考核组别", "&group=3"))
    empty = Template(TEMPLATE_ROWS).render(Context({"rows": [], "key": "unit", "title": "按责任单位"}))
    assert _squeezed(str(rate_rows([], "unit", "按责任单位"))) == _squeezed(empty) == '<tr><td colspan="7" class="text-muted">暂无数据</td></tr>'


def test_header_cells_write_the_markup_of_sort_header_html():
    columns = [
        sorting.Column("", "name"), sorting.Column("任务数", "total", number=True, first="desc"),
        sorting.Column("完成率", "rate", number=True), sorting.Column("责任人"), sorting.Column("备注", css="cw-more"),
        sorting.Column("目标", number=True, css="cw-more"),
    ]
    query = QueryDict("q=<x>&unit_page=2&group=3")
    for sort in (sorting.Sort("rate"), sorting.Sort("rate", descending=True), sorting.Sort("default")):
        headers = sorting.headers(columns, sort, query, param="unit_sort", page_param="unit_page", anchor="rates-unit")
        expected = Template(TEMPLATE_HEADERS).render(Context({"headers": headers}))
        assert str(header_cells(headers)) == _squeezed(expected), sort  # the includes only added newlines
    headers = sorting.headers(columns, sorting.Sort("rate", descending=True), query, param="unit_sort", page_param="unit_page")
    cells = str(header_cells(headers))
    assert '<th class="text-end " aria-sort="descending"><a class="cw-sort" href="?q=%3Cx%3E&amp;group=3&amp;unit_sort=rate"' in cells
    assert "bi-caret-down-fill" in cells and "unit_page" not in cells
    assert '<th>责任人</th><th class="cw-more">备注</th><th class="text-end cw-more">目标</th>' in cells


# --- the rate tables: two grouped queries, the groups added up and ordered in Python ----------------------------


def test_nulls_last_orders_each_field_ascending_with_empty_values_last():
    from tasks.selectors import nulls_last

    keys = [(2, 9, "乙"), (None, None, None), (1, 12, "甲"), (2, 7, "丙"), (1, None, "丁")]
    assert sorted(keys, key=nulls_last) == [(1, 12, "甲"), (1, None, "丁"), (2, 7, "丙"), (2, 9, "乙"), (None, None, None)]


def test_group_counts_add_up_the_rows_of_each_group_by_hand():
    from tasks.selectors import group_counts

    fields = ("category", "indicator__code", "indicator__name", "indicator_id", "phase__name", "phase__order", "phase_id")
    counted = [  # fields, then total, done, on_time, judged, overdue
        ("work", "1.2", "乙", 12, "推进", 2, 9, 3, 1, 1, 2, 1),
        ("organisation", "1.2", "乙", 12, "推进", 2, 9, 5, 5, 4, 5, 0),  # 组织保障: not in the indicator table
        ("work", "1.10", "甲", 11, None, None, None, 2, 2, 2, 2, 0),
        ("work", None, None, None, "动员", 2, 7, 1, 0, 0, 1, 1),  # phase order 2 twice: id 7 before id 9
        ("work", "1.2", "乙", 12, "启动", 1, 3, 4, 0, 0, 0, 0),
    ]
    assert group_counts("indicator", fields, counted) == [
        (("1.10", 11, "甲"), [2, 2, 2, 2, 0]),  # "1.10" < "1.2" as text, as PostgreSQL orders indicator__code
        (("1.2", 12, "乙"), [7, 1, 1, 2, 1]),
        ((None, None, None), [1, 0, 0, 1, 1]),
    ]
    assert group_counts("phase", fields, counted) == [
        ((1, 3, "启动"), [4, 0, 0, 0, 0]),
        ((2, 7, "动员"), [1, 0, 0, 1, 1]),
        ((2, 9, "推进"), [8, 6, 5, 7, 1]),
        ((None, None, None), [2, 2, 2, 2, 0]),
    ]
    assert group_counts("category", fields, counted) == [(("organisation",), [5, 5, 4, 5, 0]), (("work",), [10, 3, 3, 5, 2])]


def test_the_rate_tables_by_hand_with_empty_groups_and_ties(world):
    """Six tasks (today = D): T1 城东街道 重点推进阶段 专项行动 1.1.1, done on time, short of its target;
    T2 口岸街道 1.1.2, open and 5 days overdue; T3 市城管局 组织保障 (1.1.2) 专项行动, done 3 days late, short;
    T4 迎春社区 (一线组: the same order as 乡镇街道组, a later id) 一期 (the same order as 重点推进阶段, a later id)
    1.1.1, open, not due; T5 市创建办 (no group) 1.2.1, accepted on time; T6 口岸街道 no indicator, 一号行动 (the
    same order as 专项行动, a later id), open, not due. T2, T3, T5, T6 have no phase; T2, T4, T5 no special action."""
    from django.utils import timezone

    from tasks import selectors
    from tasks.models import ProgressEntry, Task, TaskCategory, TaskStatus
    from tests import factories as f

    w = world
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    same_order = f.RankingGroupFactory(name="一线组", order=w.group_street.order)
    w.community_a.ranking_group = same_order
    w.community_a.save()
    phase_tie = f.PhaseFactory(campaign=w.campaign, name="一期", start_date=w.phase_push.start_date, end_date=w.phase_push.end_date,
                               order=w.phase_push.order)
    assert phase_tie.pk > w.phase_push.pk and same_order.pk > w.group_street.pk

    def task(unit, **kw):
        return f.TaskFactory(campaign=w.campaign, unit=unit, **{"indicator": w.leaf_clean, "deadline": today + 10 * day, **kw})

    t1 = task(w.unit_a, phase=w.phase_push, special_action=w.action, status=TaskStatus.COMPLETED, completed_on=today - 2 * day,
              deadline=today - day, target_value=Decimal("10"))
    task(w.unit_b, indicator=w.leaf_ads, deadline=today - 5 * day)
    t3 = task(w.dept, category=TaskCategory.ORGANISATION, indicator=w.leaf_ads, special_action=w.action, status=TaskStatus.COMPLETED,
              completed_on=today, deadline=today - 3 * day, target_value=Decimal("5"))
    task(w.community_a, phase=phase_tie)
    task(w.office, indicator=w.leaf_market, status=TaskStatus.ACCEPTED, completed_on=today - day, deadline=today)
    action_tie = f.SpecialActionFactory(campaign=w.campaign, name="一号行动", order=w.action.order)  # a work task needs one or an indicator
    task(w.unit_b, indicator=None, special_action=action_tie)
    ProgressEntry.objects.create(task=t1, author=w.admin, text="进展", value=Decimal("4"))
    ProgressEntry.objects.create(task=t3, author=w.admin, text="进展", value=Decimal("1"))

    qs = Task.objects.filter(campaign=w.campaign)
    tables = selectors.rate_tables(qs, today=today, fed=selectors.fed_measures(qs))

    def table(key):
        return [(r.label, r.total, r.done, r.on_time, r.judged, r.overdue, r.short) for r in tables[key]]

    units = {  # (label, total, done, on_time, judged, overdue, short)
        w.unit_a.pk: ("城东街道", 1, 1, 1, 1, 0, 1), w.unit_b.pk: ("口岸街道", 2, 0, 0, 1, 1, 0), w.dept.pk: ("市城管局", 1, 1, 0, 1, 0, 1),
        w.community_a.pk: ("迎春社区", 1, 0, 0, 0, 0, 0), w.office.pk: ("市创建办", 1, 1, 1, 1, 0, 0),
    }
    in_path_order = [pk for pk, _ in sorted(Unit.objects.filter(pk__in=units).values_list("pk", "path"), key=lambda u: u[1])]
    assert table("unit") == [units[pk] for pk in in_path_order]
    assert [r.query for r in tables["unit"]] == [f"unit={pk}" for pk in in_path_order]
    assert table("group") == [
        ("乡镇街道组", 3, 1, 1, 2, 1, 1), ("一线组", 1, 0, 0, 0, 0, 0), ("市直部门组", 1, 1, 0, 1, 0, 1), ("（未分组）", 1, 1, 1, 1, 0, 0),
    ]
    assert [r.query for r in tables["group"]] == [f"group={w.group_street.pk}", f"group={same_order.pk}", f"group={w.group_dept.pk}", ""]
    assert table("phase") == [("重点推进阶段", 1, 1, 1, 1, 0, 1), ("一期", 1, 0, 0, 0, 0, 0), ("（未分阶段）", 4, 2, 1, 3, 1, 1)]
    assert table("category") == [("组织保障", 1, 1, 0, 1, 0, 1), ("测评指标任务", 5, 2, 2, 3, 1, 1)]
    assert table("indicator") == [  # T3 (组织保障) is not in 1.1.2's row
        ("1.1.1 主次干道整洁", 2, 1, 1, 1, 0, 1), ("1.1.2 户外广告规范", 1, 0, 0, 1, 1, 0), ("1.2.1 农贸市场管理规范", 1, 1, 1, 1, 0, 0),
        ("（无指标）", 1, 0, 0, 0, 0, 0),
    ]
    assert table("action") == [(w.action.name, 2, 2, 1, 2, 0, 2), ("一号行动", 1, 0, 0, 0, 0, 0), ("（无专项行动）", 3, 1, 1, 2, 1, 0)]
    # One table alone (the export) is the same table.
    for key in selectors.DIMENSIONS:
        assert [(r.label, r.total, r.short, r.query) for r in selectors.rates_by(qs, key, today=today)] == [
            (r.label, r.total, r.short, r.query) for r in tables[key]
        ], key


def test_without_a_quantitative_target_the_dashboard_reads_no_progress(world, client_for):
    """目标未达 and the target rows need each task's derived progress (subqueries over progress entries); a
    task without a target is never short, so with no target among the tasks those queries are not run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tasks.models import ProgressEntry, TaskStatus
    from tests import factories as f

    w = world
    today = timezone.localdate()
    done = dict(status=TaskStatus.COMPLETED, completed_on=today, deadline=today)
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_clean, **done)
    client = client_for(w.admin)

    def page() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/tasks/dashboard/").content.decode()
        return html, [q["sql"] for q in ctx.captured_queries]

    html, sql = page()
    assert not [q for q in sql if "tasks_progressentry" in q]
    assert '目标未达</strong>：<strong class="text-danger">0</strong> 项' in html and "量化目标完成情况（0 项" in html
    short = f.TaskFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_ads, target_value=Decimal("8"), **done)
    ProgressEntry.objects.create(task=short, author=w.admin, text="进展", value=Decimal("5"))
    html, sql = page()
    assert [q for q in sql if "tasks_progressentry" in q]
    assert '目标未达</strong>：<strong class="text-danger">1</strong> 项' in html and "量化目标完成情况（1 项" in html
    assert "62.5%" in html  # 5 of 8 in the target rows
