"""Template tags of the inspections app."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from inspections.models import Finding, FindingStatus

register = template.Library()

_BADGES = {FindingStatus.ACCEPTED: "text-bg-success", FindingStatus.WITHDRAWN: "text-bg-secondary", FindingStatus.SUBMITTED: "text-bg-info"}
_AWAITING_UNIT = (FindingStatus.OPEN, FindingStatus.RETURNED)
_EMPTY = '\n  <tr><td colspan="9" class="text-muted">没有问题</td></tr>'


def _by_pk(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for any pk from one reverse (a page of 50 rows reversed 150 URLs)."""
    marker = 2147483647
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def finding_rows(findings: Iterable[Finding], today: dt.date | None = None) -> SafeString:
    """The ``<tr>`` of each finding in ``inspections/_finding_table.html``, written in one pass.

    The markup the table's template loop wrote (tests/test_issue14_single_user.py compares them);
    100 rows took ~0.15 s of template rendering on 整改跟踪. Text is escaped with ``html.escape``,
    which is what Django's ``escape`` calls (``format_html`` per cell cost as much again)."""
    detail, history = _by_pk("inspections-finding-detail"), _by_pk("inspections-point-history")
    rows = []
    for f in findings:
        url = detail(f.pk)
        struck = ' class="text-muted text-decoration-line-through"' if f.status == FindingStatus.WITHDRAWN else ""
        point = f'<a href="{history(f.point_id)}">{escape(f.point.name)}</a>' if f.point_id else "—"
        repeat = ' <span class="badge text-bg-warning">重复</span>' if f.is_repeat else ""
        overdue = ' class="overdue" title="已逾期"' if today and f.status in _AWAITING_UNIT and f.rectify_deadline < today else ""
        rows.append(
            f'\n  <tr{struck}>\n'
            f'    <td data-label="编号"><a href="{url}">#{f.pk}</a></td>\n'
            f'    <td data-label="日期">{f.found_on:%m-%d}</td>\n'
            f'    <td data-label="责任单位">{escape(f.unit.display_name)}</td>\n'
            f'    <td data-label="点位">{point}</td>\n'
            f'    <td data-label="指标" title="{escape(f.indicator.name)}">{escape(f.indicator.code)}</td>\n'
            f'    <td data-label="问题"><a href="{url}">{escape(Truncator(f.description).chars(30))}</a>{repeat}</td>\n'
            f'    <td data-label="扣分" class="text-end">{escape(str(localize(f.points)))}</td>\n'
            f'    <td data-label="整改时限"{overdue}>{f.rectify_deadline:%m-%d}</td>\n'
            f'    <td data-label="状态"><span class="badge {_BADGES.get(f.status, "text-bg-danger")}">{escape(str(f.get_status_display()))}</span></td>\n'
            f'  </tr>\n  '
        )
    return mark_safe("".join(rows) or _EMPTY)


register.simple_tag(finding_rows)
