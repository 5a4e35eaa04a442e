"""Word documents (reports/word.py): the bulletin and the 工作总结 draft read back with python-docx —
公文 fonts (w:eastAsia), margins, page numbers, headings, and figures against hand-computed data —
through the report-job path, with the access rule (a unit only its own summary)."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from inspections.models import Finding, FindingStatus, Rectification
from reports import job_services
from reports.data import report_data, summary_figures
from reports.models import JobStatus, ReportJob
from reports.summary import summary_data
from reports.word import render_bulletin_docx, render_summary_docx
from tasks.models import TaskStatus
from tests import factories as f

OCT = dt.date(2026, 10, 1)
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def october(world):
    """October for 城东街道: 3 findings of 0.30 on 1.1.1 (one accepted on time, one open past its
    deadline 10-19, one open until 12-31); 口岸街道: 1 × 0.50 on 1.2.1. Tasks due in October under
    城东街道: on time, late, open (overdue), and 迎春社区's on time; 口岸街道's one is not counted."""
    w = world
    inspection = f.InspectionFactory(campaign=w.campaign, created_by=w.inspector, date=dt.date(2026, 10, 12))
    done, late, _later = (
        f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_a, indicator=w.leaf_clean, point=w.point_a,
                         rectify_deadline=deadline)
        for deadline in (dt.date(2026, 10, 19), dt.date(2026, 10, 19), dt.date(2026, 12, 31))
    )
    Rectification.objects.create(finding=done, round=1, description="已清运", submitted_by=w.official_a,
                                 submitted_at=_at(dt.date(2026, 10, 15)), deadline=dt.date(2026, 10, 19),
                                 status="accepted", reviewed_by=w.inspector, reviewed_at=_at(dt.date(2026, 10, 16)))
    Finding.objects.filter(pk=done.pk).update(status=FindingStatus.ACCEPTED, accepted_at=_at(dt.date(2026, 10, 16)))
    f.FindingFactory(campaign=w.campaign, inspection=inspection, unit=w.unit_b, indicator=w.leaf_market, point=w.point_b,
                     points=Decimal("0.50"))
    for unit, deadline, status, completed in (
        (w.unit_a, dt.date(2026, 10, 10), TaskStatus.COMPLETED, dt.date(2026, 10, 5)),
        (w.unit_a, dt.date(2026, 10, 10), TaskStatus.COMPLETED, dt.date(2026, 10, 12)),
        (w.unit_a, dt.date(2026, 10, 20), TaskStatus.IN_PROGRESS, None),
        (w.community_a, dt.date(2026, 10, 25), TaskStatus.ACCEPTED, dt.date(2026, 10, 25)),
        (w.unit_b, dt.date(2026, 10, 20), TaskStatus.IN_PROGRESS, None),
    ):
        f.TaskFactory(campaign=w.campaign, unit=unit, indicator=w.leaf_clean, deadline=deadline, status=status,
                      completed_on=completed, title=f"{unit.name}{deadline:%m%d}任务")
    w.late = late
    return w


def _read(content: bytes) -> Document:
    return Document(io.BytesIO(content))


def _east_asia(paragraph) -> str:
    """The East Asian font a paragraph's first run shows: the run's own, else its style's."""
    fonts = paragraph.runs[0]._r.rPr.find(qn("w:rFonts")) if paragraph.runs[0]._r.rPr is not None else None
    if fonts is not None and fonts.get(qn("w:eastAsia")):
        return fonts.get(qn("w:eastAsia"))
    return paragraph.style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _size(paragraph) -> float:
    return paragraph.style.font.size.pt


def _tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]


def test_the_bulletin_docx_is_a_gongwen_with_the_same_figures_as_the_pdf(october):
    data = report_data(campaign=october.campaign, month=OCT, as_of=AS_OF)
    rendered = render_bulletin_docx(data)
    assert rendered.filename == "泰和市创建全国文明城市2026年10月考核结果通报.docx"
    doc = _read(rendered.content)
    section = doc.sections[0]
    mm = lambda length: round(length.mm, 1)  # noqa: E731 - stored in twips
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert tuple(map(mm, (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin))) == (37, 35, 28, 26)
    title = doc.paragraphs[0]
    assert title.text == data.title and _east_asia(title) == "方正小标宋简体" and _size(title) == 22
    headings = {p.text: p for p in doc.paragraphs if p.style.name == "公文一级标题"}
    assert list(headings)[:2] == ["一、总体情况", "二、考核排名"]
    assert all(_east_asia(p) == "黑体" and _size(p) == 16 for p in headings.values())
    groups = [p for p in doc.paragraphs if p.style.name == "公文二级标题"]
    assert "（一）乡镇街道组" in [p.text for p in groups] and _east_asia(groups[0]) == "楷体_GB2312"
    assert doc.styles["Normal"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert doc.styles["Normal"].font.size.pt == 16
    tables = _tables(doc)
    # 一、总体情况: the very pairs summary_figures() gives the PDF and the page.
    assert [tuple(r) for r in tables[0][1:]] == summary_figures(data)
    figures = dict(summary_figures(data))
    assert figures["发现问题（个）"] == "4" and figures["问题扣分合计（分）"] == "1.40"
    # 二、考核排名 of 乡镇街道组: 口岸街道 100 − 0.50 − 1 (its overdue task) = 98.50; 城东街道 100 − 3 × 0.30
    # (cap 2.00 not reached) − 2 × 1 (a task done late, one still open) = 97.10.
    # The page's titles and signs (reports.data.ranking_cells): deductions negative.
    ranking = next(t for t in tables if t[0][:2] == ["排名", "单位"])
    assert ranking[0] == ["排名", "单位", "问题扣分", "逾期整改", "任务逾期", "加分", "更正", "得分", "较上月"]
    assert [(r[0], r[1], r[2], r[4], r[7]) for r in ranking[1:]] == [
        ("1", "口岸街道", "-0.50", "-1.00", "98.50"), ("2", "城东街道", "-0.90", "-2.00", "97.10")]
    # 附件: every line of 城东街道 with its rectification state.
    lines = next(t for t in tables if t[0][0] == "类型" and any(r[6] == "按期整改" for r in t[1:]))
    assert sorted(r[6] for r in lines[1:] if r[0] == "问题扣分") == ["待整改", "按期整改", "逾期未整改（待整改）"]
    assert sorted(r[5] for r in lines[1:] if r[0] != "问题扣分") == ["-1.00", "-1.00"]  # the two task lines
    footer = section.footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.text.startswith("— ")


def test_the_font_table_names_substitutes_for_the_gongwen_fonts(october):
    data = report_data(campaign=october.campaign, month=OCT, as_of=AS_OF)
    doc = _read(render_bulletin_docx(data).content)
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
    xml = part.blob.decode()
    assert 'w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in xml
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in xml


def test_a_units_october_summary_has_the_four_parts_and_hand_computed_figures(october):
    data = summary_data(campaign=october.campaign, unit=october.unit_a, scope="month", month=OCT, as_of=AS_OF)
    rendered = render_summary_docx(data)
    assert rendered.filename == "城东街道2026年10月创建全国文明城市工作总结（初稿）.docx"
    doc = _read(rendered.content)
    heads = [p.text for p in doc.paragraphs if p.style.name == "公文一级标题"]
    assert heads == ["一、基本情况", "二、主要做法和成效", "三、存在问题", "四、下一步打算"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "（请填写：本期主要做法" in text and "（请填写：下一步重点工作" in text
    tables = {t[1][0]: t for t in _tables(doc) if len(t) > 1}
    tasks = {r[0]: r[1] for r in tables["期内到期任务"]}
    # Under 城东街道 (迎春社区 included): 4 due, 3 done, 2 on time, 1 late, 1 overdue; 2 ÷ 4.
    assert tasks == {"指标": "数值", "期内到期任务": "4项", "已完成": "3项", "按期完成": "2项", "逾期完成": "1项",
                     "逾期未完成": "1项", "按期完成率": "50.0%"}
    findings = {r[0]: r[1] for r in tables["督查发现问题"]}
    # 3 findings of 0.30; 1 accepted on time; 1 overdue on 11-20; 1 ÷ 3 = 33.3 %.
    assert (findings["督查发现问题"], findings["问题分值合计"], findings["已整改销号"], findings["按期整改率"],
            findings["整改完成率"], findings["逾期未整改"]) == ("3个", "0.90分", "1个", "33.3%", "33.3%", "1个")
    scores = tables["2026年10月"]
    assert scores[1][:5] == ["2026年10月", "97.10", "2/2", "乡镇街道组", "▼ -2.90"]  # September: 100, nothing found (较上月 as the ranking writes it)
    assert "城东街道1020任务" in text and "超过整改时限仍未整改的问题1个" in text  # 三、存在问题 from the platform
    body = next(p for p in doc.paragraphs if p.text.startswith("本期到期任务"))
    assert _east_asia(body) == "仿宋_GB2312"


def test_the_citys_year_summary_counts_every_unit(october):
    data = summary_data(campaign=october.campaign, unit=None, scope="year", year=2026, as_of=AS_OF)
    assert data.title == "泰和市创建办2026年创建全国文明城市工作总结"
    tasks = {f.label: f.value for f in data.task_figures}
    assert tasks["期内到期任务"] == "5项" and tasks["逾期未完成"] == "2项"
    assert {f.label: f.value for f in data.finding_figures}["督查发现问题"] == "4个"


def _ask_summary(client, unit, **extra):
    return client.post(reverse("reports-summaries"), {"unit": unit.pk if unit else "", "scope": "month", "month": "2026-10", **extra})


def test_an_official_asks_for_their_units_summary_and_downloads_it(october, client_for, django_capture_on_commit_callbacks):
    client = client_for(october.official_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask_summary(client, october.unit_a)
    job = ReportJob.objects.get(kind="summary-docx")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.params["unit"] == october.unit_a.pk and job.filename.endswith("工作总结（初稿）.docx")
    assert client.get(job.get_absolute_url()).status_code == 200
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    doc = _read(b"".join(download.streaming_content))
    assert doc.paragraphs[0].text.startswith("城东街道2026年10月")
    assert "工作总结" in client.get(reverse("reports-summaries")).content.decode()


def test_a_unit_cannot_ask_for_or_open_another_units_summary(october, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ask_summary(client_for(october.official_a), october.unit_a)
    job = ReportJob.objects.get(kind="summary-docx")
    other = client_for(october.official_b)
    assert _ask_summary(other, october.unit_a).status_code == 404
    assert _ask_summary(other, None).status_code == 404  # the whole city is the office's
    assert other.get(job.get_absolute_url()).status_code == 404
    assert other.get(reverse("reports-job-download", args=[job.pk])).status_code == 404
    assert ReportJob.objects.filter(kind="summary-docx").count() == 1


def test_the_worker_refuses_a_summary_job_for_another_unit(october, django_capture_on_commit_callbacks):
    # Asked around the page (the job services take any role for one person's documents): the render refuses.
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_services.report_job_request(kind="summary-docx", campaign=october.campaign, month=OCT,
                                                 user=october.official_b, params={"scope": "month", "unit": october.unit_a.pk,
                                                                                  "month": "2026-10"})
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "只能生成本单位的工作总结" in job.error


def test_a_phase_summary_without_a_phase_is_a_form_error(october, client_for):
    response = _ask_summary(client_for(october.official_a), october.unit_a, scope="phase")
    assert response.status_code == 200 and "阶段总结请选择工作阶段。" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_the_bulletin_docx_job_renders_in_the_worker_path_and_downloads_audited(october, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_services.report_job_request(kind="bulletin-docx", campaign=october.campaign, month=OCT, user=october.admin)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    with default_storage.open(job.file.name, "rb") as handle:
        doc = _read(handle.read())
    assert doc.paragraphs[0].text == "泰和市创建全国文明城市2026年10月考核结果通报"
    client = client_for(october.leader)
    assert client.get(reverse("reports-jobs")).content.decode().count("月度考核结果通报（Word）") >= 1  # offered in the form
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download.status_code == 200
    from campaign.models import AuditLog

    assert AuditLog.objects.filter(action="file.download").count() == 1
    assert client_for(october.official_a).get(reverse("reports-job-download", args=[job.pk])).status_code == 404


def test_the_summary_page_offers_an_official_only_their_own_units(october, client_for):
    html = client_for(october.official_a).get(reverse("reports-summaries")).content.decode()
    assert "城东街道" in html and "迎春社区" in html and "口岸街道" not in html and "全市" not in html
    office = client_for(october.admin).get(reverse("reports-summaries")).content.decode()
    assert "全市（泰和市创建办）" in office and "口岸街道" in office
    assert client_for(october.inspector).get(reverse("reports-summaries")).status_code == 404
