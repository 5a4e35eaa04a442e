"""The two survey files: raw responses as a workbook and the results as a PDF.

Both are built here and rendered by report jobs (``reports/renderers.py`` ``EXPORTS`` calls
:func:`survey_xlsx` / :func:`survey_pdf`; the job framework stores the file and serves it audited).
The PDF shows the same figures as the results page: both read ``selectors.survey_results``.
Cells are written through ``campaign.excel`` (text that a spreadsheet would take for a formula is
neutralised). Public answers carry no name; the contact column appears only when the survey asked
for a phone number and said why.
"""
from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import Workbook

from campaign import access
from campaign.excel import XLSX_CONTENT_TYPE, write_table_streamed
from campaign.models import Campaign
from campaign.pdf import render_pdf
from campaign.periods import file_name

from . import charts, selectors
from .models import Answer, QuestionKind, Response, Survey

PDF_CONTENT_TYPE = "application/pdf"
CHUNK = 2000
Progress = Callable[[int, str], None] | None


def _survey_for(user: Any, campaign: Campaign, params: dict) -> Survey:
    if user is not None and not access.can(user, "surveys.view_results"):
        raise PermissionDenied("您无权导出该问卷。")
    try:
        return Survey.objects.select_related("campaign").get(pk=int(params.get("survey") or 0), campaign=campaign)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise ValidationError("未找到该问卷。") from None


def _filename(survey: Survey, what: str, ext: str) -> str:
    return file_name(f"{survey.title}-{what}", ext, day=timezone.localdate())


def response_rows(survey: Survey, questions: list, *, with_contact: bool) -> Iterator[list[Any]]:
    """One row per response: number, time, mode, area, interviewer, (contact), one cell per question."""
    responses = (
        Response.objects.filter(survey=survey).order_by("submitted_at", "pk")
        .values_list("pk", "submitted_at", "mode", "unit__name", "interviewer__first_name", "interviewer__username", "contact")
    )
    labels = {o.pk: o.text for q in questions for o in q.options.all()}
    modes = dict(Response._meta.get_field("mode").choices)
    batch: list[tuple] = []

    def flush() -> Iterator[list[Any]]:
        cells: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for rid, qid, option_id, rating, text in Answer.objects.filter(response_id__in=[r[0] for r in batch]).order_by(
            "pk"
        ).values_list("response_id", "question_id", "option_id", "rating", "text"):
            cells[rid][qid].append(labels.get(option_id) if option_id else (rating if rating is not None else text))
        for rid, at, mode, area, first, username, contact in batch:
            row = [rid, timezone.localtime(at).replace(tzinfo=None), modes.get(mode, mode), area or "", first or username or ""]
            if with_contact:
                row.append(contact)
            for q in questions:
                values = cells[rid].get(q.pk, [])
                if q.kind == QuestionKind.RATING:
                    row.append(values[0] if values else None)
                else:
                    row.append("；".join(str(v) for v in values))
            yield row

    for row in responses.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def survey_xlsx(*, user: Any, campaign: Campaign, params: dict, progress: Progress = None) -> tuple[str, str, bytes]:
    """Raw responses (sheet 原始数据) and per-question counts (sheet 汇总); ``(filename, mimetype, bytes)``."""
    survey = _survey_for(user, campaign, params)
    questions = selectors.survey_questions(survey)
    if progress:
        progress(10, "正在导出答卷")
    wb = Workbook(write_only=True)
    raw = wb.create_sheet("原始数据")
    headers = ["答卷编号", "提交时间", "作答方式", "受访者所在区域", "调查员"]
    if survey.ask_contact:
        headers.append("联系电话")
    headers += [f"{i}. {q.text}" for i, q in enumerate(questions, 1)]
    write_table_streamed(raw, headers, response_rows(survey, questions, with_contact=survey.ask_contact),
                         number_formats={1: "yyyy-mm-dd hh:mm"})
    if progress:
        progress(80, "正在汇总")
    results = selectors.survey_results(survey)
    summary = wb.create_sheet("汇总")
    rows: list[list[Any]] = []
    for measure, label, rate in results.measures:
        rows.append(["", label, "", rate.yes, rate.answered, float(rate.value) if rate.value is not None else None])
    for i, stat in enumerate(results.questions, 1):
        for option in stat.options:
            rows.append([f"{i}. {stat.question.text}", option.label, "是" if option.counts_yes and stat.question.measure else "",
                         option.count, stat.answered, float(option.share) if option.share is not None else None])
    write_table_streamed(summary, ["题目", "选项/比率", "计为“是”", "人数", "作答人数", "占比"], rows, number_formats={5: "0.00%"})
    buffer = io.BytesIO()
    wb.save(buffer)
    return _filename(survey, "原始数据", "xlsx"), XLSX_CONTENT_TYPE, buffer.getvalue()


def survey_pdf(*, user: Any, campaign: Campaign, params: dict, progress: Progress = None) -> tuple[str, str, bytes]:
    """The results report: respondents, rates, per-area table and per-question charts."""
    survey = _survey_for(user, campaign, params)
    if progress:
        progress(20, "正在统计")
    results = selectors.survey_results(survey)
    chart_list = [(stat, charts.bars_svg(stat.options, width=480, title=stat.question.text) if stat.options else "")
                  for stat in results.questions]
    if progress:
        progress(50, "正在生成 PDF")
    content = render_pdf("surveys/pdf_results.html", {
        "survey": survey, "results": results, "charts": chart_list, "today": timezone.localdate(),
    })
    return _filename(survey, "调查结果", "pdf"), PDF_CONTENT_TYPE, content
