"""任务统计 (/tasks/dashboard/) under 150 ms on the bench city (issue 14): the same page from less work.

The rate tables' rows and the sortable headers are written in one pass by template tags
(``tasks_tags.rate_rows`` / ``header_cells``); they are compared here with the template loops they replace.
"""
from __future__ import annotations

import re
from decimal import Decimal

from django.http import QueryDict
from django.template import Context, Template

from campaign import sorting
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
