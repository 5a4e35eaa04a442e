"""Report job pages: ask for a report, watch its progress, download or retry it.

Only admins and leaders (``reports.request``) see these pages; anyone else
gets a 404, like every object they may not see, except the page of a large list
export they asked for themselves (``job_services.may_open``).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaign import access, downloads
from campaign.selectors import current_campaign
from inspections import exports as finding_exports
from tasks import exports as task_exports

from . import job_services
from .forms import ReportJobForm
from .models import JobStatus, ReportJob

POLL_SECONDS = 2


def _require_reporter(request: HttpRequest) -> None:
    if not access.can(request.user, "reports.request"):
        raise Http404("未找到该页面，或您无权查看。")


def _get_job_for_user(request: HttpRequest, pk: int) -> ReportJob:
    job = get_object_or_404(ReportJob.objects.select_related("campaign", "requested_by"), pk=pk)
    if not job_services.may_open(request.user, job):
        raise Http404("未找到该页面，或您无权查看。")
    return job


# The list filters a large export keeps, per kind (the same keys as the list's query string).
EXPORT_FILTER_KEYS = {"findings-xlsx": finding_exports.FILTER_KEYS, "tasks-xlsx": task_exports.FILTER_KEYS,
                      # A survey's raw responses and results (the results page's buttons); surveys/exports.py checks access.
                      "survey-xlsx": ("survey",), "survey-pdf": ("survey",),
                      # The 迎检 archive of the 材料审核 page (materials/archive.py), optionally one phase.
                      "materials-zip": ("phase",)}


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    """Ask for a list export too large for a web request (the findings list's or the task list's
    export button leads here with its filters); the job page follows its progress."""
    campaign = current_campaign(request)
    kind = request.POST.get("kind", "")
    if campaign is None or kind not in EXPORT_FILTER_KEYS:
        raise Http404("未找到该页面，或您无权查看。")
    params = {key: request.POST[key][:100] for key in EXPORT_FILTER_KEYS[kind] if request.POST.get(key)}
    try:
        job, created = job_services.report_job_request(kind=kind, campaign=campaign, month=None, user=request.user,
                                                       params=params, request=request)
    except PermissionDenied:
        raise Http404("未找到该页面，或您无权查看。") from None
    return to_job_page(request, job, created, submitted="导出任务已提交，后台生成完成后可在本页下载。",
                       same="相同的导出正在生成中，已为您打开该任务。")


def to_job_page(request: HttpRequest, job: ReportJob, created: bool, *, submitted: str, same: str) -> HttpResponse:
    """After asking for a job (a report, an export, a 工作总结): say what became of it and open its page."""
    job.refresh_from_db()
    if job.status == JobStatus.FAILED:  # Redis could not take it (job_services.report_job_enqueue)
        messages.error(request, job.error)
    elif created:
        messages.success(request, submitted)
    else:
        messages.info(request, same)
    return redirect(job)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """The jobs of the current campaign, newest first, and the form to ask for a report."""
    _require_reporter(request)
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    # ?kind=…&month=YYYY-MM preselects the form (links from the month pages).
    initial = {key: request.GET[key] for key in ("kind", "month") if key in request.GET}
    form = ReportJobForm(request.POST or None, campaign=campaign, today=timezone.localdate(), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job, created = job_services.report_job_request(
                kind=form.cleaned_data["kind"], campaign=campaign, month=form.cleaned_data["month"],
                user=request.user, request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return to_job_page(request, job, created, submitted="报表任务已提交，生成完成后可在此下载。",
                               same="相同的报表正在生成中，已为您打开该任务。")
    jobs = ReportJob.objects.filter(campaign=campaign).select_related("requested_by")
    page = Paginator(jobs, 20).get_page(request.GET.get("page"))
    return render(request, "reports/job_list.html", {"form": form, "page": page, "campaign": campaign})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One job; htmx polls the status fragment until the job is done or failed."""
    job = _get_job_for_user(request, pk)
    context = {"job": job, "poll_seconds": POLL_SECONDS, "finished": job.status in (JobStatus.DONE, JobStatus.FAILED),
               "chunks": job_services.report_job_chunks(job), "reporter": access.can(request.user, "reports.request")}
    if request.headers.get("HX-Request"):
        return render(request, "reports/job_status.html", context)
    return render(request, "reports/job_detail.html", context)


# By the kind's suffix (bulletin-pdf, workbook-xlsx, summary-docx, materials-zip …).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream the finished file (access-checked, recorded in the audit log)."""
    job = _get_job_for_user(request, pk)
    try:
        handle = job_services.report_job_download(job=job, user=request.user, request=request)
    except ValidationError:
        raise Http404("报表尚未生成完成。") from None
    except FileNotFoundError:
        raise Http404("报表文件已不存在，请重新生成。") from None
    content_type = CONTENT_TYPES.get(job.kind.rsplit("-", 1)[-1], "application/octet-stream")
    return downloads.send(request, handle, filename=job.filename, content_type=content_type, obj=job, what="下载报表")


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job_for_user(request, pk)
    try:
        job = job_services.report_job_retry(job=job, user=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        job.refresh_from_db()
        if job.status == JobStatus.FAILED:
            messages.error(request, job.error)
        else:
            messages.success(request, "已重新提交生成。")
    return redirect(job)


@login_required
def job_unit_appendix(request: HttpRequest, pk: int, unit_id: int) -> HttpResponse:
    """One unit's appendix, cut from a finished chunked bulletin (access-checked, audited)."""
    job = _get_job_for_user(request, pk)
    try:
        rendered = job_services.report_job_unit_appendix(job=job, unit_id=unit_id, user=request.user, request=request)
    except (ValidationError, FileNotFoundError):
        raise Http404("该单位在本通报中没有扣分明细，或通报尚未生成完成。") from None
    return downloads.send(
        request, rendered.content, filename=rendered.filename, content_type=rendered.mimetype, obj=job, what="下载单位附件"
    )
