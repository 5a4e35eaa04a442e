"""One definition of every published figure (issue 13 item 4), published means published
(issue 11 item 5), publication reaches every unit and the publish order (issue 13 item 5).

The world: 城东街道 has 1.50 + 0.80 on 1.1.1 (capped at its 2.00) and an overdue task on 1.1.2
(1.00); 口岸街道 has 0.50 on 1.2.1 plus its 0.50 overdue-rectification penalty. The old PDF
summed every line with an indicator code (1.1.2 1.00, 1.2.1 1.00), the old page summed the
findings before the cap (1.1.1 2.30): the right figures are 1.1.1 2.00 and 1.2.1 0.50, and they
add up to 问题扣分合计 2.50.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.models import AuditLog, Notification, PeriodEvent
from inspections.models import Correction, Finding, FindingStatus, OverduePenalty
from reports.data import build_year_data, report_data
from reports.renderers import render_bulletin_pdf, render_workbook_xlsx, score_chart_svg
from reports.services import period_publish
from tests import factories as f

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
PUBLISH_DAY = dt.date(2026, 11, 5)


def finding(w, unit, indicator, points, point=None, day=12, deadline=dt.date(2026, 12, 31)):
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 10, day), created_by=w.inspector)
    return f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=unit, indicator=indicator,
                            points=D(points), point=point, rectify_deadline=deadline)


@pytest.fixture
def october(world):
    w = world
    w.f1 = finding(w, w.unit_a, w.leaf_clean, "1.50", point=w.point_a)
    w.f2 = finding(w, w.unit_a, w.leaf_clean, "0.80", point=w.point_a)
    # Deadline 10-20, still open on the day of publication: overdue, with its penalty in October.
    w.f3 = finding(w, w.unit_b, w.leaf_market, "0.50", point=w.point_b, deadline=dt.date(2026, 10, 20))
    OverduePenalty.objects.create(finding=w.f3, unit=w.unit_b, campaign=w.campaign, month=OCT, points=D("0.50"))
    f.TaskFactory(campaign=w.campaign, unit=w.unit_a, indicator=w.leaf_ads, title="公益广告占比达到20%",
                  deadline=dt.date(2026, 10, 10))
    # f1 rectified on time (10-18 ≤ 12-31).
    Finding.objects.filter(pk=w.f1.pk).update(
        status=FindingStatus.ACCEPTED, accepted_at=timezone.make_aware(dt.datetime(2026, 10, 18, 10, 0)))
    return w


def publish(w, month=OCT, today=PUBLISH_DAY, **kw):
    return period_publish(campaign=w.campaign, month=month, actor=w.admin, today=today, **kw)


def test_the_figures_follow_the_one_definition(october):
    data = report_data(campaign=october.campaign, month=OCT, as_of=PUBLISH_DAY)
    assert data.findings_count == 3
    assert data.findings_points == D("2.50")  # 2.00 (1.1.1 after its cap) + 0.50
    assert (data.penalty_points, data.task_points) == (D("0.50"), D("1.00"))
    assert [(i.code, i.findings, i.points, i.units) for i in data.top_indicators] == [
        ("1.1.1", 2, D("2.00"), 1), ("1.2.1", 1, D("0.50"), 1),
    ]
    assert sum(i.points for i in data.top_indicators) == data.findings_points
    assert [(p.name, p.findings, p.points) for p in data.top_points] == [
        ("人民路（城东段）", 2, D("2.30")), ("口岸农贸市场", 1, D("0.50")),
    ]
    assert (data.rectified_on_time, data.overdue_open, data.rectified_on_time_rate) == (1, 1, D("33.3"))
    assert data.average_score == D("98.67")  # (97.00 + 99.00 + 100.00) / 3
    assert data.matrix[october.unit_a.pk] == {"1.1.1": D("2.00")}  # the task's 1.1.2 is not an indicator loss


def _page_figures(html: str) -> dict[str, str]:
    block = html[html.index('cw-figures'):]
    return dict((k, v) for v, k in re.findall(r'<div class="fs-5 fw-bold[^"]*">([^<]+)</div><div class="text-muted small">([^<]+)</div>', block))


def _page_indicators(html: str) -> list[tuple[str, str, str]]:
    table = html[html.index("扣分较多的测评指标"):]
    table = table[:table.index("</table>")]
    return re.findall(r'<tr><td>([^<]+)</td><td class="text-end">(\d+)</td><td class="text-end">([\d.]+)</td></tr>', table)


def test_page_bulletin_pdf_and_workbook_show_the_same_figures(october, client_for):
    publish(october)
    client = client_for(october.leader)
    page = client.get("/reports/months/2026-10/").content.decode()
    web = client.get("/reports/months/2026-10/bulletin/").content.decode()
    data = report_data(campaign=october.campaign, month=OCT)
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_bulletin_pdf(data, appendix=False).content)).pages)
    pdf = re.sub(r"\s+", "", pdf)
    wb = load_workbook(io.BytesIO(render_workbook_xlsx(data).content))
    sheet = {row[0]: row[1] for row in wb["概况"].iter_rows(min_row=2, values_only=True)}

    expected = {
        "参加考核单位": "3", "发现问题（个）": "3", "问题扣分合计（分）": "2.50", "逾期整改扣分合计（分）": "0.50",
        "任务逾期扣分合计（分）": "1.00", "按期整改率（1/3）": "33.3%", "逾期未整改（个）": "1", "平均得分": "98.67",
    }
    assert _page_figures(page) == expected
    assert _page_figures(web.replace("fs-5 fw-bold text-danger", "fs-5 fw-bold")) == expected
    assert {k: sheet[k] for k in expected} == expected
    for label, value in expected.items():
        assert re.sub(r"\s+", "", f"{value}{label}") in pdf, label

    indicators = [("1.1.1 主次干道整洁", "2", "2.00"), ("1.2.1 农贸市场管理规范", "1", "0.50")]
    assert _page_indicators(page) == indicators
    assert _page_indicators(web) == indicators
    assert "11.1.1主次干道整洁22.001" in pdf and "21.2.1农贸市场管理规范10.501" in pdf
    assert "1.1.2户外广告规范" not in pdf  # the overdue task is not an indicator's finding deduction
    assert sheet["扣分较多的测评指标1：1.1.1 主次干道整洁"] == "问题2个，扣分2.00，涉及1个单位"
    matrix = {row[0]: row[-1] for row in wb["指标失分"].iter_rows(min_row=2, values_only=True)}
    assert (matrix["城东街道"], matrix["口岸街道"]) == (2.0, 0.5)
    ranking = {row[2]: row[4] for row in wb["排名"].iter_rows(min_row=2, values_only=True)}
    assert ranking["城东街道"] + ranking["口岸街道"] == -2.5  # the 问题扣分 column (negative, as on the page) adds up to the figure

    # Every unit's score and rank: the same on the page, the web bulletin, the PDF and the workbook.
    expected_ranks = {"口岸街道": ("1", "99.00"), "城东街道": ("2", "97.00"), "市城管局": ("1", "100.00")}
    for html in (page, web):
        for name, (rank, score) in expected_ranks.items():
            assert re.search(rf'<td class="fw-bold">{rank}</td><td[^>]*>(<a href="[^"]*">)?{name}(</a>)?</td>.*?'
                             rf'<td class="text-end fw-bold">{score}</td>', html), name
    for name, (rank, score) in expected_ranks.items():
        assert f"{rank}{name}" in pdf and score in pdf
    assert {row[2]: (str(row[1]), f"{row[10]:.2f}") for row in wb["排名"].iter_rows(min_row=2, values_only=True)} == expected_ranks

    months = client.get("/reports/months/").content.decode()
    row = months[months.index("2026年10月"):]
    assert re.search(r'<td class="text-end"[^>]*>3</td>\s*<td class="text-end"[^>]*>2.50</td>', row)


def _cells(html_row: str) -> list[str]:
    """The text of each cell of one table row (tags dropped)."""
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html_row, re.S)]


def test_the_page_the_pdf_word_and_the_workbook_write_the_ranking_columns_alike(october, client_for):
    """口岸街道 with a figure in every column: its row reads the same, title by title, on the page,
    in the web bulletin, in the PDF and Word 通报 and (as numbers) in the workbook."""
    w = october
    from inspections.models import Bonus, BonusStatus
    from reports.word import render_bulletin_docx
    from tests.test_word_documents import _read, _tables

    f.TaskFactory(campaign=w.campaign, unit=w.unit_b, indicator=w.leaf_ads, title="设置公益广告", deadline=dt.date(2026, 10, 10))
    Bonus.objects.create(campaign=w.campaign, unit=w.unit_b, month=OCT, points=D("0.30"), reason="获评省级卫生街道",
                         status=BonusStatus.APPROVED, created_by=w.admin)
    Correction.objects.create(campaign=w.campaign, unit=w.unit_b, month=OCT, points=D("-0.20"), reason="九月漏记问题",
                              created_by=w.admin)
    publish(w, month=SEP, today=dt.date(2026, 10, 2), confirm_empty=True)  # 100.00: 较上月 is known
    publish(w)
    # 口岸街道: 100 − 0.50 (1.2.1) − 0.50 (overdue rectification) − 1.00 (overdue task) + 0.30 − 0.20 = 98.10,
    # −1.90 against September; 城东街道 100 − 2.00 − 1.00 = 97.00, so 口岸街道 ranks 1.
    titles = ["排名", "单位", "问题扣分", "逾期整改", "任务逾期", "加分", "更正", "得分", "较上月"]
    expected = ["1", "口岸街道", "-0.50", "-0.50", "-1.00", "+0.30", "-0.20", "98.10", "▼ -1.90"]

    client = client_for(w.leader)
    for url in ("/reports/months/2026-10/", "/reports/months/2026-10/bulletin/"):
        html = client.get(url).content.decode()
        table = html[html.index('<table class="table table-sm table-hover align-middle mb-0 cw-ranking'):]
        table = table[:table.index("</table>")]
        head = _cells(table[:table.index("</thead>")])
        row = _cells(next(r for r in table.split("<tr>") if "口岸街道" in r))
        page = dict(zip(head, row))
        assert "得分率" in page  # the one column the PDF has no room for
        assert [(t, page[t]) for t in titles] == list(zip(titles, expected)), url

    data = report_data(campaign=w.campaign, month=OCT)
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_bulletin_pdf(data, appendix=False).content)).pages)
    assert any(line.split() == titles for line in pdf.splitlines())
    row = next(line for line in pdf.splitlines() if "口岸街道" in line and "98.10" in line)
    assert row.split() == " ".join(expected).split()

    word = next(t for t in _tables(_read(render_bulletin_docx(data).content)) if t[0][:2] == ["排名", "单位"])
    assert word[0] == titles and next(r for r in word if r[1] == "口岸街道") == expected

    sheet = list(load_workbook(io.BytesIO(render_workbook_xlsx(data).content))["排名"].iter_rows(values_only=True))
    cells = dict(zip(sheet[0], next(r for r in sheet if r[2] == "口岸街道")))
    assert [t for t in titles if t in cells] == titles
    for title, text in zip(titles[2:], expected[2:]):
        assert D(str(cells[title])) == D(text.replace("▼ ", "")), title


def test_the_month_list_totals_an_open_month_the_same_way(october, client_for):
    w = october
    finding(w, w.community_a, w.leaf_clean, "0.40")  # 迎春社区 is not ranked: not a figure of the month
    Finding.objects.filter(pk=finding(w, w.unit_b, w.leaf_clean, "0.60").pk).update(status=FindingStatus.WITHDRAWN, withdrawn_reason="误报")
    months = client_for(w.admin).get("/reports/months/").content.decode()
    row = months[months.index("2026年10月"):]
    assert re.search(r'<td class="text-end"[^>]*>3</td>\s*<td class="text-end"[^>]*>2.50</td>', row)  # not 2.80 (raw findings)
    data = report_data(campaign=w.campaign, month=OCT)
    assert (data.findings_count, data.findings_points) == (3, D("2.50"))


def test_a_published_bulletin_does_not_move_when_live_data_changes(october):
    w = october
    publish(w)
    before = report_data(campaign=w.campaign, month=OCT)
    pdf_before = render_bulletin_pdf(before, appendix=True).content
    assert before.frozen and "数据截至发布时间" in before.data_note
    # After publication: 口岸街道's finding is rectified and accepted, 城东街道's open one too,
    # a correction is booked in November and the October task is finished late.
    Finding.objects.filter(pk__in=[w.f2.pk, w.f3.pk]).update(
        status=FindingStatus.ACCEPTED, accepted_at=timezone.make_aware(dt.datetime(2026, 11, 20, 9, 0)))
    Correction.objects.create(campaign=w.campaign, unit=w.unit_a, month=NOV, points=D("0.80"), reason="10月误扣返还",
                              finding=w.f2, created_by=w.admin)
    from tasks.models import Task
    Task.objects.filter(campaign=w.campaign).update(completed_on=dt.date(2026, 11, 20))

    after = report_data(campaign=w.campaign, month=OCT, as_of=dt.date(2026, 12, 1))
    assert after.as_of == PUBLISH_DAY
    assert (after.rectified_on_time, after.rectified_late, after.overdue_open) == (1, 0, 1)
    assert [f.rectification_label for f in after.findings] == [
        "按期整改", "待整改", "逾期未整改（待整改）"]
    assert [t.completed_on for t in after.tasks] == [None]
    assert [(u.unit_name, u.score, u.rank) for u in after.units] == [(u.unit_name, u.score, u.rank) for u in before.units]

    def text(content):
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)

    strip = lambda t: re.sub(r"生成时间：[^\n]*", "", t)  # noqa: E731 (the render time is the one thing that moves)
    assert strip(text(render_bulletin_pdf(after, appendix=True).content)) == strip(text(pdf_before))
    assert "数据截至发布时间" in text(pdf_before)
    wb = load_workbook(io.BytesIO(render_workbook_xlsx(after).content))
    states = [row[-1] for row in wb["整改情况"].iter_rows(min_row=2, values_only=True)]
    assert states == ["按期整改", "待整改", "逾期未整改（待整改）"]
    assert wb["概况"]["B3"].value.startswith("数据截至发布时间")


def test_an_open_month_says_its_figures_are_live(october):
    data = report_data(campaign=october.campaign, month=OCT, as_of=PUBLISH_DAY)
    assert not data.frozen and data.data_note.startswith("本月考核结果尚未发布")


# ---------------------------------------------------------------- publication reaches every unit

def test_before_publication_an_official_sees_only_their_own_live_row(october, client_for):
    client = client_for(october.official_a)
    page = client.get("/reports/months/2026-10/").content.decode()
    assert "城东街道" in page and "口岸街道" not in page and "未发布" in page
    assert "cw-figures" not in page
    assert client.get("/reports/months/2026-10/bulletin/").status_code == 404
    assert client.get("/reports/months/2026-10/?view=overall").content.decode().count("口岸街道") == 0


def test_after_publication_every_official_sees_the_bulletin_and_all_ranks(october, client_for):
    publish(october)
    client = client_for(october.official_a)
    page = client.get("/reports/months/2026-10/").content.decode()
    assert "城东街道" in page and "口岸街道" in page and "市城管局" in page and "未发布" not in page
    assert f'/reports/months/2026-10/units/{october.unit_a.pk}/' in page
    assert f'/reports/months/2026-10/units/{october.unit_b.pk}/' not in page  # other units' lines stay private
    bulletin = client.get("/reports/months/2026-10/bulletin/")
    assert bulletin.status_code == 200
    assert "泰和市创建全国文明城市2026年10月考核结果通报" in bulletin.content.decode()
    assert "口岸街道" in bulletin.content.decode()
    assert client.get(f"/reports/months/2026-10/units/{october.unit_b.pk}/").status_code == 404
    months = client.get("/reports/months/").content.decode()
    assert "/reports/months/2026-10/bulletin/" in months


def test_publishing_notifies_every_unit_official_with_their_own_result(october):
    publish(october)
    notices = {n.user_id: n for n in Notification.objects.filter(key__startswith="period-publish-")}
    assert set(notices) == {october.official_a.pk, october.official_b.pk}
    assert notices[october.official_a.pk].message == "2026年10月考核结果已发布：城东街道得分97.00分，乡镇街道组第2名。请查看通报。"
    assert notices[october.official_b.pk].message == "2026年10月考核结果已发布：口岸街道得分99.00分，乡镇街道组第1名。请查看通报。"
    assert notices[october.official_a.pk].url == "/reports/months/2026-10/bulletin/"


# ---------------------------------------------------------------- publish order and empty months

def test_a_month_cannot_be_published_before_an_earlier_month_with_data(october, client_for):
    w = october
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 9, 20), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_ads,
                     points=D("0.20"), rectify_deadline=dt.date(2026, 12, 31))
    client = client_for(w.admin)
    page = client.post("/reports/months/2026-10/publish/", follow=True).content.decode()
    assert "2026年9月已有考核数据但尚未发布：请按月份顺序发布，先发布2026年9月，再发布2026年10月。" in page
    assert not PeriodEvent.objects.exists()
    # Earlier months without data (May–August) do not block September; then October may follow.
    client.post("/reports/months/2026-09/publish/")
    client.post("/reports/months/2026-10/publish/")
    assert list(PeriodEvent.objects.filter(action="publish").order_by("at").values_list("period__month", "reason")) == [
        (SEP, ""), (OCT, "")]
    # The service says the same (November after an unpublished... published October: allowed).
    with pytest.raises(ValidationError, match="2026年11月没有任何检查"):
        publish(w, month=NOV, today=dt.date(2026, 12, 2))


def test_publishing_a_later_month_first_is_refused_by_the_service(october):
    inspection = f.InspectionFactory(campaign=october.campaign, date=dt.date(2026, 11, 3), created_by=october.inspector)
    f.FindingFactory(campaign=october.campaign, inspection=inspection, unit=october.unit_a, indicator=october.leaf_ads,
                     points=D("0.20"), rectify_deadline=dt.date(2026, 12, 31))
    with pytest.raises(ValidationError, match="先发布2026年10月，再发布2026年11月"):
        publish(october, month=NOV, today=dt.date(2026, 12, 2))
    publish(october)
    assert publish(october, month=NOV, today=dt.date(2026, 12, 2)).is_published


def test_an_empty_month_needs_a_recorded_confirmation(october, client_for):
    client = client_for(october.admin)
    page = client.get("/reports/months/2026-09/").content.decode()
    assert 'name="confirm_empty"' in page
    refused = client.post("/reports/months/2026-09/publish/", follow=True).content.decode()
    assert "2026年9月没有任何检查、问题、逾期整改扣分、加分或更正记录" in refused
    assert not PeriodEvent.objects.exists()
    client.post("/reports/months/2026-09/publish/", {"confirm_empty": "1"})
    event = PeriodEvent.objects.get(action="publish")
    assert event.reason == "确认发布无考核数据的月份" and event.actor == october.admin
    entry = AuditLog.objects.get(action="period.publish")
    assert entry.after["empty_confirmed"] is True and "确认发布无考核数据的月份" in entry.message
    # A month with data needs no confirmation and records none.
    assert 'name="confirm_empty"' not in client.get("/reports/months/2026-10/").content.decode()


# ---------------------------------------------------------------- the year

def test_the_year_is_the_average_of_the_published_months_hand_computed(october, client_for):
    w = october
    publish(w, month=SEP, today=dt.date(2026, 10, 2), confirm_empty=True)  # everyone 100.00
    publish(w)  # 城东街道 97.00, 口岸街道 99.00, 市城管局 100.00
    inspection = f.InspectionFactory(campaign=w.campaign, date=dt.date(2026, 11, 3), created_by=w.inspector)
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_ads,
                     points=D("0.25"), rectify_deadline=dt.date(2026, 12, 31))
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.dept, indicator=w.leaf_ads,
                     points=D("0.10"), rectify_deadline=dt.date(2026, 12, 31))
    publish(w, month=NOV, today=dt.date(2026, 12, 2))  # 城东街道 99.75, 口岸街道 100.00, 市城管局 99.90
    # December is open: it never counts.
    # 城东街道 (100 + 97 + 99.75) / 3 = 98.9166… → 98.92; 口岸街道 (100 + 99 + 100) / 3 = 99.6666… → 99.67;
    # 市城管局 (100 + 100 + 99.90) / 3 = 99.9666… → 99.97.
    out = io.StringIO()
    call_command("monthly_scores", "--year", "2026", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["months"] == ["2026-09", "2026-10", "2026-11"]
    assert [(u["unit"], u["ranking_group"], u["average"], u["rank"], u["months_counted"]) for u in payload["units"]] == [
        ("口岸街道", "乡镇街道组", "99.67", 1, 3), ("城东街道", "乡镇街道组", "98.92", 2, 3), ("市城管局", "市直部门组", "99.97", 1, 3),
    ]
    assert payload["units"][1]["scores"] == {"2026-09": "100.00", "2026-10": "97.00", "2026-11": "99.75"}

    page = client_for(w.official_a).get("/reports/years/2026/").content.decode()
    assert "2026年度考核汇总" in page and "98.92" in page and "99.67" in page and "99.97" in page
    assert "/reports/years/2026/" in client_for(w.leader).get("/reports/months/").content.decode()

    data = report_data(campaign=w.campaign, month=NOV)
    sheet = list(load_workbook(io.BytesIO(render_workbook_xlsx(data).content))["年度汇总"].iter_rows(values_only=True))
    assert sheet[0] == ("考核组别", "年度排名", "单位", "年度得分", "计入月数", "9月", "10月", "11月")
    assert sheet[2] == ("乡镇街道组", 2, "城东街道", 98.92, 3, 100, 97, 99.75)
    # October's workbook carries the year to date: September and October only.
    october_sheet = load_workbook(io.BytesIO(render_workbook_xlsx(report_data(campaign=w.campaign, month=OCT)).content))["年度汇总"]
    assert [c.value for c in october_sheet[1]][-2:] == ["9月", "10月"]


def test_year_ranks_share_equal_averages_and_late_units_average_their_own_months():
    rows = [
        (SEP, 1, "甲", "组", 1, D("99.00")), (OCT, 1, "甲", "组", 1, D("100.00")),
        (SEP, 2, "乙", "组", 1, D("100.00")), (OCT, 2, "乙", "组", 1, D("99.00")),
        (OCT, 3, "丙", "组", 1, D("99.60")),  # set up in October: one month
        (OCT, 4, "丁", "组", 1, D("98.00")),
    ]
    year = build_year_data(campaign_name="x", year=2026, months=[SEP, OCT], rows=rows)
    assert [(u.unit_name, u.average, u.rank, u.months_counted) for u in year.units] == [
        ("丙", D("99.60"), 1, 1), ("乙", D("99.50"), 2, 2), ("甲", D("99.50"), 2, 2), ("丁", D("98.00"), 4, 1),
    ]


def test_the_year_command_asks_for_a_campaign_when_the_year_is_ambiguous(october):
    f.CampaignFactory(slug="other-2026", name="另一个创建活动", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="请用 --campaign 指定"):
        call_command("monthly_scores", "--year", "2026", "--json", stdout=io.StringIO())


# ---------------------------------------------------------------- charts

def test_the_bar_chart_axis_starts_near_the_lowest_score():
    from tests.test_reports_renderers import unit

    units = [unit(1, "城东街道", "组", "96.00", 2), unit(2, "口岸街道", "组", "101.00", 1)]
    svg = score_chart_svg("乡镇街道组得分", units)
    # Axis 90 → 101: 96 is (96 − 90) ÷ 11 × 330 = 180.0 wide, 101 the full 330.0.
    assert 'width="180.0"' in svg and 'width="330.0"' in svg and ">90</text>" in svg
    low = score_chart_svg("x", [unit(1, "甲", "组", "40.00", 1)], full_score=D("100"))
    assert 'width="132.0"' in low  # scores below 50 keep the axis from 0: 40 ÷ 100 × 330


def test_the_bulletin_prints_the_short_digest_of_the_publication(october, client_for):
    period = publish(october)
    period.refresh_from_db()
    assert len(period.digest) == 64
    short = " ".join(period.digest[i:i + 4] for i in range(0, 16, 4))
    data = report_data(campaign=october.campaign, month=OCT)
    assert data.digest_short == short
    assert short in client_for(october.official_b).get("/reports/months/2026-10/bulletin/").content.decode()
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_bulletin_pdf(data, appendix=False).content)).pages)
    assert short.replace(" ", "") in re.sub(r"\s+", "", pdf)
    sheet = {row[0]: row[1] for row in load_workbook(io.BytesIO(render_workbook_xlsx(data).content))["概况"].iter_rows(values_only=True)}
    assert sheet["快照摘要（SHA-256）"] == period.digest


def test_the_year_follows_the_month_weights_the_campaign_sets():
    rows = [
        (SEP, 1, "甲", "组", 1, D("100.00")), (OCT, 1, "甲", "组", 1, D("97.00")), (NOV, 1, "甲", "组", 1, D("99.75")),
        (SEP, 2, "乙", "组", 1, D("100.00")), (OCT, 2, "乙", "组", 1, D("99.00")), (NOV, 2, "乙", "组", 1, D("100.00")),
    ]
    # September does not count (0), November weighs 2: 甲 (97 + 2 × 99.75) ÷ 3 = 98.8333… → 98.83,
    # 乙 (99 + 200) ÷ 3 = 99.6666… → 99.67 (plain averages would be 98.92 and 99.67).
    year = build_year_data(campaign_name="x", year=2026, months=[SEP, OCT, NOV], rows=rows,
                           weights={SEP: D("0"), NOV: D("2")})
    assert year.months == [OCT, NOV] and year.weighted
    assert [(u.unit_name, u.average, u.rank, u.months_counted) for u in year.units] == [
        ("乙", D("99.67"), 1, 2), ("甲", D("98.83"), 2, 2)]


def test_weights_set_on_the_campaign_reach_the_page_the_command_and_the_workbook(october, client_for):
    w = october
    publish(w, month=SEP, today=dt.date(2026, 10, 2), confirm_empty=True)
    publish(w)
    w.campaign.annual_weights = {"2026-09": 1, "2026-10": 3}
    w.campaign.full_clean()
    w.campaign.save()
    # 城东街道 (100 + 3 × 97) ÷ 4 = 97.75; 口岸街道 (100 + 3 × 99) ÷ 4 = 99.25.
    out = io.StringIO()
    call_command("monthly_scores", "--year", "2026", "--campaign", "taihe-2026", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["weights"] == {"2026-09": "1", "2026-10": "3"}
    assert [(u["unit"], u["average"]) for u in payload["units"][:2]] == [("口岸街道", "99.25"), ("城东街道", "97.75")]
    page = client_for(w.leader).get("/reports/years/2026/").content.decode()
    assert "10月（权重3）" in page and "97.75" in page and "加权" in page
    sheet = load_workbook(io.BytesIO(render_workbook_xlsx(report_data(campaign=w.campaign, month=OCT)).content))["年度汇总"]
    assert [c.value for c in sheet[1]][-2:] == ["9月（权重1）", "10月（权重3）"]


@pytest.mark.parametrize("value, message", [
    (["2026-10"], "应写成"),
    ({"2026-13": 1}, "格式不正确"),
    ({"十月": 1}, "格式不正确"),
    ({"2026-10": -1}, "不小于 0"),
    ({"2026-10": "高"}, "不小于 0"),
])
def test_bad_month_weights_get_a_clear_message(world, value, message):
    from django.core.exceptions import ValidationError as DjangoValidationError

    world.campaign.annual_weights = value
    with pytest.raises(DjangoValidationError, match=message):
        world.campaign.full_clean()


def test_a_unit_renamed_after_publication_keeps_its_published_name_in_that_month(october, client_for):
    publish(october)
    october.unit_b.name = "口岸镇"
    october.unit_b.save()
    data = report_data(campaign=october.campaign, month=OCT)
    assert [u.unit_name for u in data.units][:2] == ["口岸街道", "城东街道"]
    assert "口岸镇" not in client_for(october.leader).get("/reports/months/2026-10/bulletin/").content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_the_database_refuses_changing_the_frozen_figures(october):
    from django.db import IntegrityError, transaction

    from reports.models import PublishedFigures

    publish(october)
    with pytest.raises(IntegrityError, match="不能修改或删除"), transaction.atomic():
        PublishedFigures.objects.update(findings=[])
    assert len(PublishedFigures.objects.get().findings) == 3


def test_the_year_command_prints_a_table_without_json(october):
    publish(october)
    out = io.StringIO()
    call_command("monthly_scores", "--year", "2026", stdout=out)
    text = out.getvalue()
    assert "2026年度考核（已发布月份平均）· 计入：2026年10月" in text
    lines = [line.split() for line in text.splitlines() if "街道" in line and "【" not in line]
    assert lines == [["1", "口岸街道", "99.00", "1"], ["2", "城东街道", "97.00", "1"]]
