"""Issue 14, single-user p50 under 150 ms on the bench city: 整改跟踪 and the cockpit do less work for the
same figures (the figures are compared with the way they were read before, on data where groups differ)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections import selectors
from inspections.models import FindingStatus
from reports import score_cache
from reports.cockpit import cockpit
from tests import factories as f
from tests.test_cockpit import TODAY, _finding, build_city

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def open_findings(world):
    """城东街道: 4 findings awaiting the unit past their deadline (one sent back), 2 awaiting it within it,
    2 awaiting review (one past its deadline, which is not the unit's delay), 1 accepted; 口岸街道: 1 overdue."""
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 11, 2))

    def add(unit, deadline, status=FindingStatus.OPEN):
        return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit, indicator=w.leaf_clean,
                                point=w.point_a, rectify_deadline=deadline, status=status)

    w.overdue = [add(w.unit_a, dt.date(2026, 11, d)) for d in (12, 9, 15)] + [add(w.unit_a, dt.date(2026, 11, 10), FindingStatus.RETURNED)]
    w.within = [add(w.unit_a, dt.date(2026, 11, d)) for d in (25, 20)]  # the 20th is today: not yet overdue
    w.review = [add(w.unit_a, dt.date(2026, 11, 11), FindingStatus.SUBMITTED), add(w.unit_a, dt.date(2026, 11, 28), FindingStatus.SUBMITTED)]
    add(w.unit_a, dt.date(2026, 11, 8), FindingStatus.ACCEPTED)
    w.other = add(w.unit_b, dt.date(2026, 11, 13))
    return w


def _apart(user, campaign, limit):
    """Each group read and counted on its own (the page's way before the sections)."""
    groups = selectors.open_rectifications(user, campaign, DAY)
    return {key: ([x.pk for x in qs.order_by("rectify_deadline", "pk")[:limit]], qs.count()) for key, qs in groups.items()}


@pytest.mark.parametrize("limit", [2, 3, 5, 50])
def test_the_rectification_sections_hold_the_rows_and_counts_of_each_group_read_apart(open_findings, limit):
    w = open_findings
    for user in (w.admin, w.official_a, w.official_b):
        sections = selectors.rectification_sections(user, w.campaign, DAY, limit=limit)
        assert {key: ([x.pk for x in s.findings], s.total) for key, s in sections.items()} == _apart(user, w.campaign, limit)
    admin = selectors.rectification_sections(w.admin, w.campaign, DAY, limit=limit)
    # Hand-counted: 5 overdue (4 of 城东街道, 1 of 口岸街道), 2 awaiting review, 7 awaiting the units.
    assert (admin["overdue"].total, admin["awaiting_review"].total, admin["awaiting_unit"].total) == (5, 2, 7)
    if limit == 3:  # the first three by deadline: 11-09, 11-10 (sent back), 11-12
        assert [x.pk for x in admin["overdue"].findings] == [w.overdue[1].pk, w.overdue[3].pk, w.overdue[0].pk]


def test_the_rectification_page_counts_once_and_lists_the_same_findings(open_findings, client_for, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: DAY)
    client = client_for(open_findings.admin)
    client.get("/inspections/rectifications/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/inspections/rectifications/").content.decode()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "inspections_finding" in q["sql"]]
    assert len(counts) == 1  # one pass for the three groups
    assert "逾期未整改（5）" in html and "待验收（2）" in html and "待单位整改（含退回）（7）" in html
    overdue_table = html.split("逾期未整改（5）")[1].split("待验收（2）")[0]
    assert [f"#{x.pk}<" in overdue_table for x in (*open_findings.overdue, open_findings.other)] == [True] * 5
    assert not any(f"#{x.pk}<" in overdue_table for x in (*open_findings.within, *open_findings.review))


# --- the cockpit from the score cache -----------------------------------------------------------


@pytest.fixture
def cached(world, settings):
    """The cockpit's city with the score cache on (turned on once built, so no write is pending)."""
    build_city(world)
    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    score_cache._owed = False
    yield
    cache.clear()
    score_cache._owed = False


def _figures(c) -> dict:
    return {field.name: getattr(c, field.name) for field in dataclasses.fields(c) if field.name != "campaign"}


def test_the_cached_cockpit_shows_the_figures_it_computes_without_the_cache(world, settings):
    w = build_city(world)
    live = _figures(cockpit(campaign=w.campaign, today=TODAY))
    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    score_cache._owed = False
    try:
        first, second = (_figures(cockpit(campaign=w.campaign, today=TODAY)) for _ in range(2))
    finally:
        cache.clear()
    assert first == live and second == live
    assert live["overdue_findings"] == 1 and [p.open_findings for p in live["points"] if p.open_findings]


def test_a_cached_cockpit_reads_no_finding_counts_or_scores_again(world, cached):
    w = world
    cockpit(campaign=w.campaign, today=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        cockpit(campaign=w.campaign, today=TODAY)
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    assert 'FROM "inspections_finding"' not in read and 'FROM "tasks_task"' not in read.split("campaign_phase")[0]
    assert "reports_unitmonthscore" not in read


def test_a_write_shows_on_the_cached_cockpit_at_once(world, cached, django_capture_on_commit_callbacks):
    w = world
    before = cockpit(campaign=w.campaign, today=TODAY)
    assert before.overdue_findings == 1
    with django_capture_on_commit_callbacks(execute=True):  # the write commits, like a request's
        _finding(w, w.unit_b, w.point_b, dt.date(2026, 11, 6), deadline=dt.date(2026, 11, 13))
    after = cockpit(campaign=w.campaign, today=TODAY)
    assert after.overdue_findings == 2
    assert [(r.unit_name, r.value) for r in after.behind_findings] == [("口岸街道", 1), ("城东街道", 1)]
    open_b = {p.name: p.open_findings for p in before.points}[w.point_b.name]
    assert {p.name: p.open_findings for p in after.points}[w.point_b.name] == open_b + 1
    assert after.groups != before.groups  # 口岸街道 lost 0.30 more
    # A finding accepted (saved through the model) leaves the overdue count at once too.
    with django_capture_on_commit_callbacks(execute=True):
        w.late.status = FindingStatus.ACCEPTED
        w.late.save(update_fields=["status"])
    assert cockpit(campaign=w.campaign, today=TODAY).overdue_findings == 1


# --- the finding table's rows written in one pass ----------------------------------------------

# The rows as the shared table's template loop wrote them before ``finding_rows``.
TEMPLATE_ROWS = """{% for f in findings %}
  <tr{% if f.status == "withdrawn" %} class="text-muted text-decoration-line-through"{% endif %}>
    <td data-label="编号"><a href="{{ f.get_absolute_url }}">#{{ f.pk }}</a></td>
    <td data-label="日期">{{ f.found_on|date:"m-d" }}</td>
    <td data-label="责任单位">{{ f.unit.display_name }}</td>
    <td data-label="点位">{% if f.point %}<a href="{% url 'inspections-point-history' f.point_id %}">{{ f.point.name }}</a>{% else %}—{% endif %}</td>
    <td data-label="指标" title="{{ f.indicator.name }}">{{ f.indicator.code }}</td>
    <td data-label="问题"><a href="{{ f.get_absolute_url }}">{{ f.description|truncatechars:30 }}</a>{% if f.is_repeat %} <span class="badge text-bg-warning">重复</span>{% endif %}</td>
    <td data-label="扣分" class="text-end">{{ f.points }}</td>
    <td data-label="整改时限"{% if f.status == "open" or f.status == "returned" %}{% if today and f.rectify_deadline < today %} class="overdue" title="已逾期"{% endif %}{% endif %}>{{ f.rectify_deadline|date:"m-d" }}</td>
    <td data-label="状态"><span class="badge {% if f.status == 'accepted' %}text-bg-success{% elif f.status == 'withdrawn' %}text-bg-secondary{% elif f.status == 'submitted' %}text-bg-info{% else %}text-bg-danger{% endif %}">{{ f.get_status_display }}</span></td>
  </tr>
  {% empty %}<tr><td colspan="9" class="text-muted">没有问题</td></tr>{% endfor %}"""


def _squeezed(html: str) -> str:
    import re

    return re.sub(r">\s+<", "><", html.strip())


def test_the_finding_rows_are_the_markup_the_template_loop_wrote(open_findings):
    from decimal import Decimal

    from django.template import Context, Template

    from inspections.models import Finding
    from inspections.templatetags.inspections_tags import finding_rows

    w = open_findings
    # Every branch: withdrawn, repeated, no point, a long description to escape and cut, points of 1.5.
    odd = f.FindingFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_clean, point=None, is_repeat=True,
                           points=Decimal("1.50"), description="<b>“占道”&经营</b>" + "长" * 40,
                           inspection=f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 11, 3)))
    f.FindingFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_clean, point=w.point_b, status=FindingStatus.WITHDRAWN,
                     withdrawn_reason="误报", inspection=odd.inspection)
    findings = list(Finding.objects.select_related("unit", "indicator", "point").order_by("pk"))
    assert {x.status for x in findings} == {"open", "returned", "submitted", "accepted", "withdrawn"}
    for today in (DAY, None):
        expected = Template(TEMPLATE_ROWS).render(Context({"findings": findings, "today": today}))
        assert _squeezed(str(finding_rows(findings, today))) == _squeezed(expected)
        assert 'class="overdue"' in expected if today else 'class="overdue"' not in expected
    assert "&lt;b&gt;“占道”&amp;经营" in expected and "重复" in expected and "—" in expected and "1.50" in expected
    assert _squeezed(str(finding_rows([], DAY))) == _squeezed(Template(TEMPLATE_ROWS).render(Context({"findings": []})))


# --- 任务统计: the 目标未达 counts of every table from one query --------------------------------


def _grouped_the_old_way(qs, dimension, today):
    """Each table's counts as one grouped query with 目标未达 counted inside it (the way before ``rate_tables``),
    empty groups last as PostgreSQL orders them (``rate_tables`` orders them so on SQLite too)."""
    from django.db.models import Count, F

    from tasks import deadlines
    from tasks import selectors as tasks_selectors
    from tasks.models import TaskCategory

    _, fields = tasks_selectors.DIMENSIONS[dimension]
    if dimension == "indicator":
        qs = qs.exclude(category=TaskCategory.ORGANISATION)
    return [
        (row["total"], row["done"], row["on_time"], row["judged"], row["overdue"], row["short"])
        for row in qs.order_by().alias(progress_value=tasks_selectors._progress_expr()).values(*fields).annotate(
            total=Count("pk"), done=Count("pk", filter=deadlines.done_q()), on_time=Count("pk", filter=deadlines.on_time_q()),
            judged=Count("pk", filter=deadlines.judged_q(today)), overdue=Count("pk", filter=deadlines.overdue_q(today)),
            short=Count("pk", filter=tasks_selectors.short_done_q()),
        ).order_by(*[F(name).asc(nulls_last=True) for name in fields])
    ]


def test_the_rate_tables_count_as_the_grouped_queries_did(world):
    from decimal import Decimal

    from django.utils import timezone

    from tasks import selectors as tasks_selectors
    from tasks.models import ProgressEntry, Task, TaskCategory, TaskStatus
    from tests.test_pages_stay_small import build_city as build_task_city

    build_task_city(world, 0, 40)
    today = timezone.localdate()
    # 组织保障 tasks done short of their target: counted in every table but the indicators'.
    for k in range(3):
        task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, indicator=world.leaf_clean, category=TaskCategory.ORGANISATION,
                             status=TaskStatus.COMPLETED, completed_on=today, deadline=today, target_value=Decimal("10"))
        ProgressEntry.objects.create(task=task, author=world.admin, text="进展", value=Decimal(k + 1))
    qs = Task.objects.filter(campaign=world.campaign)
    tables = tasks_selectors.rate_tables(qs, today=today)
    for dimension in tasks_selectors.DIMENSIONS:
        mine = [(r.total, r.done, r.on_time, r.judged, r.overdue, r.short) for r in tables[dimension]]
        assert mine == _grouped_the_old_way(qs, dimension, today), dimension
        assert [(r.label, r.short) for r in tasks_selectors.rates_by(qs, dimension, today=today)] == [(r.label, r.short) for r in tables[dimension]]
    by_category = {r.label: r.short for r in tables["category"]}
    assert by_category["组织保障"] == 3 and sum(r.short for r in tables["indicator"]) == sum(r.short for r in tables["unit"]) - 3 > 0


def test_the_filter_options_are_the_markup_format_html_join_wrote():
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    from inspections.views import _options

    pairs = [(1, "城东街道"), (12, '<甲&乙>"社区"'), ("1.1.1", "1.1.1 公益广告's")]
    for selected in ("12", "1.1.1", ""):
        expected = format_html_join("", '<option value="{}"{}>{}</option>', (
            (value, mark_safe(" selected") if str(value) == selected else "", label) for value, label in pairs))
        assert _options(pairs, selected) == expected
    assert "&lt;甲&amp;乙&gt;&quot;社区&quot;" in _options(pairs, "") and _options(pairs, "12").count(" selected") == 1
