"""Template filters and tags of the tasks app."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

from campaign.sorting import Header
from tasks.selectors import RateRow, plain_number

register = template.Library()


@register.filter
def num(value: Any, default: str = "0") -> str:
    """A quantity as people write it (see :func:`tasks.selectors.plain_number`); empty shows ``default``."""
    if value is None or value == "":
        return default
    try:
        return plain_number(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _n(value: Any) -> str:
    """A number as ``{{ value }}`` writes it (localized, escaped)."""
    return escape(str(localize(value)))


_ARROWS = {"asc": ' <i class="bi bi-caret-up-fill" aria-hidden="true"></i>', "desc": ' <i class="bi bi-caret-down-fill" aria-hidden="true"></i>'}


@register.simple_tag
def header_cells(headers: Iterable[Header]) -> SafeString:
    """The ``<th>`` of each header, the markup of ``includes/sort_header.html`` in one pass (任务统计 has eight
    sortable tables: 58 includes of it took a third of the page's template time)."""
    cells = []
    for h in headers:
        css = f' class="{"text-end " if h.number else ""}{escape(h.css)}"' if h.number or h.css else ""
        aria = f' aria-sort="{h.aria}"' if h.aria else ""
        label = escape(str(h.label))
        if h.url:
            label = f'<a class="cw-sort" href="{escape(h.url)}" data-sort="{escape(h.key)}">{label}{_ARROWS.get(h.state, "")}</a>'
        cells.append(f"<th{css}{aria}>{label}</th>")
    return mark_safe("".join(cells))


@register.simple_tag
def rate_rows(rows: Iterable[RateRow], key: str, title: str, list_suffix: str = "") -> SafeString:
    """The ``<tr>`` of one 任务统计 rate table (``tasks/_rates.html``) in one pass: the markup its template loop
    wrote (tests/test_dashboard_speed.py compares them), the task-list URL reversed once. ``list_suffix``
    (the dashboard's ``&unit_name=…&group=…``, ``tasks.views.list_suffix``) goes on every link; the
    ranking-group table's rows name their own group, so theirs keeps only the unit name."""
    base = f"{reverse('tasks-list')}?"
    suffix = list_suffix
    if key == "group" and suffix:
        kept = QueryDict(suffix.lstrip("&"), mutable=True)
        kept.pop("group", None)
        suffix = f"&{kept.urlencode()}" if kept else ""
    label_cell = f'<tr><td data-label="{escape(title[1:])}">'
    out = []
    for r in rows:
        link = f"{base}{escape(r.query + suffix)}" if r.query else ""
        label = escape(str(r.label))
        if link:
            label = f'<a href="{link}">{label}</a>'
        rate, on_time_rate = r.completion_rate, r.on_time_rate
        rate = f"{_n(rate)}%" if rate is not None else "—"
        on_time_rate = f"{_n(on_time_rate)}%" if on_time_rate is not None else "—"
        overdue = _n(r.overdue)
        if r.overdue and link:
            overdue = f'<a class="overdue" href="{link}&amp;flag=overdue">{overdue}</a>'
        short = _n(r.short)
        if r.short and link:
            short = f'<a class="text-danger" href="{link}&amp;flag=short">{short}</a>'
        out.append(
            f'{label_cell}{label}</td>'
            f'<td data-label="任务数" class="text-end">{_n(r.total)}</td><td data-label="已完成" class="text-end">{_n(r.done)}</td>\n'
            f'      <td data-label="完成率" class="text-end">{rate}</td>\n'
            f'      <td data-label="按时完成率" class="text-end" title="按时完成 {_n(r.on_time)} / 应完成 {_n(r.judged)}">'
            f'{on_time_rate}</td>\n'
            f'      <td data-label="逾期" class="text-end{" overdue" if r.overdue else ""}">{overdue}</td>\n'
            f'      <td data-label="目标未达" class="text-end{" text-danger fw-bold" if r.short else ""}">{short}</td></tr>\n    '
        )
    return mark_safe("".join(out) or '<tr><td colspan="7" class="text-muted">暂无数据</td></tr>')
