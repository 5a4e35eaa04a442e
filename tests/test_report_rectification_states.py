"""The bulletin's rectification figures follow the one overdue rule (issue 13 items 1 and 4).

reports/data.py used to judge by the day of *acceptance*: a rectification submitted on time and
still waiting for the inspector counted as 逾期未整改, one accepted after a slow review as 逾期整改.
Now the states come from inspections.lifecycle: the unit is late only when it did not *submit* by
the deadline it answered; a returned round gives a new deadline (3 working days from the return).

November, seven findings (deadlines, rounds; state on 12-08, the day of publication):

    A 城东街道 0.30  due 12-03, submitted 11-28, still waiting for review        → 待验收 (the issue's case)
    B 城东街道 0.20  due 12-03, submitted 11-28, accepted 12-07 (slow review)    → 按期整改
    D 城东街道 0.10  due 12-04, submitted 12-02, returned 12-07 → due 12-10     → 已退回 (new deadline not passed)
    G 城东街道 0.10  due 12-10, nothing yet                                     → 待整改
    C 口岸街道 0.50  due 11-25, submitted 11-24, returned 11-26 → due 12-01     → 逾期未整改（已退回）
    E 口岸街道 0.40  due 12-03, submitted 12-05, waiting                        → 待验收（逾期提交）
    F 口岸街道 0.30  due 12-03, submitted 12-04, accepted 12-05                 → 逾期整改

按期整改 1 (B) of 7 → 14.3%; 逾期整改 1 (F); 逾期未整改 1 (C). The old rule gave 0 on time,
2 late (B, F) and 3 overdue (A, C, E).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from inspections import services
from inspections.models import Finding
from reports.data import _finding_from_json, report_data
from reports.renderers import render_bulletin_pdf, render_workbook_xlsx
from reports.services import period_publish
from tests import factories as f
from tests.inspections_support import png
from tests.test_report_figures import _page_figures

NOV = dt.date(2026, 11, 1)
PUBLISH_DAY = dt.date(2026, 12, 8)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


def _finding(w, unit, indicator, points, deadline):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 11, 20), created_by=w.inspector)
    return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator,
                            points=D(points), rectify_deadline=deadline)


def _submit(official, finding, when):
    finding.refresh_from_db()
    return services.rectification_submit(official=official, finding=finding, description="已整改",
                                         after_photos=[png()], at=when)


def _review(w, rect, accept, when):
    return services.rectification_review(reviewer=w.inspector, rectification=rect, accept=accept,
                                         comment="" if accept else "整改不到位，请重新整改", at=when)


@pytest.fixture
def november(world):
    w = world
    a, b = w.official_a, w.official_b
    w.A = _finding(w, w.unit_a, w.leaf_clean, "0.30", dt.date(2026, 12, 3))
    _submit(a, w.A, at(11, 28))
    w.B = _finding(w, w.unit_a, w.leaf_clean, "0.20", dt.date(2026, 12, 3))
    _review(w, _submit(a, w.B, at(11, 28)), True, at(12, 7))
    w.D = _finding(w, w.unit_a, w.leaf_clean, "0.10", dt.date(2026, 12, 4))
    d1 = _review(w, _submit(a, w.D, at(12, 2)), False, at(12, 7))
    w.G = _finding(w, w.unit_a, w.leaf_clean, "0.10", dt.date(2026, 12, 10))
    w.C = _finding(w, w.unit_b, w.leaf_market, "0.50", dt.date(2026, 11, 25))
    c1 = _review(w, _submit(b, w.C, at(11, 24)), False, at(11, 26))
    w.E = _finding(w, w.unit_b, w.leaf_market, "0.40", dt.date(2026, 12, 3))
    _submit(b, w.E, at(12, 5))
    w.F = _finding(w, w.unit_b, w.leaf_market, "0.30", dt.date(2026, 12, 3))
    _review(w, _submit(b, w.F, at(12, 4)), True, at(12, 5))
    # A return gives 3 working days from the return day (Thu 11-26 → Tue 12-01; Mon 12-07 → Thu 12-10).
    assert (c1.resubmit_deadline, d1.resubmit_deadline) == (dt.date(2026, 12, 1), dt.date(2026, 12, 10))
    return w


def _states(data, w):
    by_id = {row.finding_id: row.rectification_label for row in data.findings}
    return {name: by_id[getattr(w, name).pk] for name in "ABDGCEF"}


def test_submitted_before_the_deadline_and_waiting_for_review_is_not_overdue(november):
    w = november
    data = report_data(campaign=w.campaign, month=NOV, as_of=PUBLISH_DAY)
    assert _states(data, w) == {
        "A": "待验收", "B": "按期整改", "D": "已退回", "G": "待整改",
        "C": "逾期未整改（已退回）", "E": "待验收（逾期提交）", "F": "逾期整改",
    }
    assert (data.rectified_on_time, data.rectified_late, data.overdue_open) == (1, 1, 1)
    assert data.rectified_on_time_rate == D("14.3")  # 1 / 7
    row_c = next(r for r in data.findings if r.finding_id == w.C.pk)
    assert row_c.rectify_deadline == dt.date(2026, 12, 1)  # the returned round's new deadline


def test_the_states_are_those_of_the_report_day(november):
    """A report as of an earlier day ignores the reviews and submissions that came after it."""
    w = november
    early = report_data(campaign=w.campaign, month=NOV, as_of=dt.date(2026, 11, 29))
    # C was returned on 11-26 with a new deadline 12-01, not yet passed; B's acceptance (12-07) had not happened.
    assert _states(early, w) == {
        "A": "待验收", "B": "待验收", "D": "待整改", "G": "待整改",
        "C": "已退回", "E": "待整改", "F": "待整改",
    }
    assert (early.rectified_on_time, early.rectified_late, early.overdue_open) == (0, 0, 0)
    later = report_data(campaign=w.campaign, month=NOV, as_of=dt.date(2026, 12, 2))
    assert _states(later, w)["C"] == "逾期未整改（已退回）"  # its new deadline 12-01 passed
    assert _states(later, w)["D"] == "待验收"  # submitted on 12-02
    assert later.overdue_open == 1


def test_a_resubmission_after_the_new_deadline_is_late_and_one_before_it_is_not(november):
    w = november
    rect = _submit(w.official_b, w.C, at(12, 3))  # the return's deadline was 12-01
    assert rect.deadline == dt.date(2026, 12, 1)
    _review(w, rect, True, at(12, 4))
    _review(w, _submit(w.official_a, w.D, at(12, 9)), True, at(12, 9))  # within its new deadline 12-10
    data = report_data(campaign=w.campaign, month=NOV, as_of=dt.date(2026, 12, 11))
    states = _states(data, w)
    assert (states["C"], states["D"]) == ("逾期整改", "按期整改")
    assert states["G"] == "逾期未整改（待整改）"  # due 12-10, nothing submitted by 12-11
    assert (data.rectified_on_time, data.rectified_late, data.overdue_open) == (2, 2, 1)


def test_page_pdf_and_workbook_agree_on_the_new_states(november, client_for):
    w = november
    period_publish(campaign=w.campaign, month=NOV, actor=w.admin, today=PUBLISH_DAY)
    client = client_for(w.leader)
    page = client.get("/reports/months/2026-11/").content.decode()
    web = client.get("/reports/months/2026-11/bulletin/").content.decode()
    data = report_data(campaign=w.campaign, month=NOV)
    assert data.frozen and data.as_of == PUBLISH_DAY
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_bulletin_pdf(data, appendix=True).content)).pages)
    pdf = re.sub(r"\s+", "", pdf)
    wb = load_workbook(io.BytesIO(render_workbook_xlsx(data).content))
    sheet = {row[0]: row[1] for row in wb["概况"].iter_rows(min_row=2, values_only=True)}

    # 城东街道 99.30 (0.70 off), 口岸街道 98.80 (1.20 off), 市城管局 100: average 298.10 / 3 = 99.37.
    # The overdue penalties (C, E, F) fall in December, the month after their missed deadlines.
    expected = {
        "参加考核单位": "3", "发现问题（个）": "7", "问题扣分合计（分）": "1.90", "逾期整改扣分合计（分）": "0.00",
        "任务逾期扣分合计（分）": "0.00", "按期整改率（1/7）": "14.3%", "逾期未整改（个）": "1", "平均得分": "99.37",
    }
    assert _page_figures(page) == expected
    assert _page_figures(web.replace("fs-5 fw-bold text-danger", "fs-5 fw-bold")) == expected
    assert {k: sheet[k] for k in expected} == expected
    for label, value in expected.items():
        assert re.sub(r"\s+", "", f"{value}{label}") in pdf, label
    assert "已按期整改销号1个、逾期整改1个，逾期未整改1个" in pdf
    rows = list(wb["整改情况"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[-1] for r in rows) == sorted(
        ["待验收", "按期整改", "已退回", "待整改", "逾期未整改（已退回）", "待验收（逾期提交）", "逾期整改"])
    for label in ("待验收（逾期提交）", "逾期未整改（已退回）"):
        assert label in pdf

    # Published means frozen: accepting A after publication changes nothing in November's reports.
    rect = Finding.objects.get(pk=w.A.pk).rectifications.get()
    _review(w, rect, True, at(12, 9))
    again = report_data(campaign=w.campaign, month=NOV)
    assert _states(again, w) == _states(data, w)


def test_a_row_frozen_under_the_old_rule_keeps_its_published_state():
    """PublishedFigures written before this change hold no ``submitted_late``; their labels stay."""
    row = {
        "finding_id": 60, "unit_id": 1, "unit_name": "坡子街街道", "indicator_code": "1.1.1", "indicator_name": "主次干道整洁",
        "point_name": "", "description": "垃圾未清运", "points": "0.50", "found_on": "2026-11-20",
        "rectify_deadline": "2026-12-03", "status_label": "待验收", "accepted_on": None, "on_time": False, "overdue": True,
    }
    assert _finding_from_json(row).rectification_label == "逾期未整改（待验收）"


def test_the_rows_take_two_queries_whatever_the_number_of_findings(november):
    """The findings and all their rounds: one query each (no query per finding)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.data import _finding_rows

    w = november
    with CaptureQueriesContext(connection) as queries:
        rows = _finding_rows(campaign=w.campaign, month=NOV, as_of=PUBLISH_DAY, unit_ids=None)
    assert len(rows) == 7
    assert len(queries) == 2


def test_the_bulletin_counts_what_the_rectification_lists_show(november):
    """整改跟踪 (inspections.selectors.open_rectifications) and the report agree on the same day."""
    from inspections.selectors import open_rectifications

    w = november
    data = report_data(campaign=w.campaign, month=NOV, as_of=PUBLISH_DAY)
    lists = open_rectifications(w.admin, w.campaign, PUBLISH_DAY)
    assert {r.finding_id for r in data.findings if r.overdue} == set(lists["overdue"].values_list("pk", flat=True)) == {w.C.pk}
    assert {r.finding_id for r in data.findings if r.status_label == "待验收"} == set(
        lists["awaiting_review"].values_list("pk", flat=True)) == {w.A.pk, w.E.pk}
