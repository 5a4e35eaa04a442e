"""Writes for report jobs: ask for a report, render it (worker side), retry, download, schedule.

(Publishing a month lives in ``reports/services.py``; report jobs are kept in
this module of their own so the two halves of the app can change separately.)

How a report flows: a view calls :func:`report_job_request`, which creates a
``ReportJob`` row (or returns the queued/running one for the same report) and
enqueues a Celery job only after the transaction commits. The worker's thin
task (``reports/jobs.py``) calls :func:`report_job_run`, which computes the
figures (``reports/data.py``), renders (``reports/renderers.py``), writes the
file to a temporary name and moves it to its final name through Django's
storage API, and records progress on the row as it goes. The same function
runs in-process when there is no Redis (eager mode) and from
``manage.py render_report``.

``report_job_run`` is idempotent: a message delivered twice (a worker killed
mid-render, ``acks_late`` re-delivers it) finds the job ``running`` with no
file, clears any half-written temporary file and renders again; a job already
done is left alone. So a job ends with exactly one file.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from campaign import access, audit
from campaign.models import Campaign, Membership, Notification, Role, month_start
from campaign.periods import is_month_published, month_label

from .models import JobStatus, ReportJob, ReportKind
from .renderers import RENDERERS, RenderedFile

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
TMP_DIR = "reports/tmp"
# Scheduled on the 1st of each month: both monthly reports of last month.
MONTHLY_KINDS = (ReportKind.BULLETIN_PDF, ReportKind.WORKBOOK_XLSX)
# Test hook only: seconds to sleep at every progress step, so an integration test can kill a worker mid-render.
SLOW_RENDER_ENV = "CHUANGWEN_TEST_RENDER_DELAY"


class ReportJobError(Exception):
    """A render that failed for a reason worth showing to the user (Chinese message)."""


# ---------------------------------------------------------------- asking

def report_job_request(
    *,
    kind: str,
    campaign: Campaign,
    month: dt.date,
    user: Any,
    params: dict | None = None,
    request: HttpRequest | None = None,
) -> tuple[ReportJob, bool]:
    """Ask for a report; returns ``(job, created)``.

    The same report (kind, campaign, month, params) asked while one is queued
    or running returns that job (``created`` False). The Celery job is
    enqueued only after the transaction commits, so the worker always finds
    the row. ``user`` None means the schedule asked.
    """
    if user is not None and not access.can(user, "reports.request"):
        raise PermissionDenied("只有创建办管理员和领导可以生成报表。")
    if kind not in RENDERERS:
        raise ValidationError(f"不支持的报表类型：{kind}")
    month = month_start(month)
    if not (month_start(campaign.start_date) <= month <= campaign.end_date):
        raise ValidationError(f"{month_label(month)}不在创建活动“{campaign.name}”的起止时间内。")
    params = params or {}
    with transaction.atomic():
        # Lock the campaign row: two clicks at once must not both create a job.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        existing = (
            ReportJob.objects.filter(kind=kind, campaign=campaign, month=month, status__in=ACTIVE_STATUSES)
            .order_by("created_at")
        )
        for job in existing:
            if job.params == params:
                return job, False
        job = ReportJob.objects.create(
            kind=kind, campaign=campaign, month=month, params=params, requested_by=user if user is not None and user.is_authenticated else None,
            message="排队等待生成",
        )
        audit.record(
            "report.request", actor=user, obj=job, request=request, actor_name="" if user else "定时任务",
            after={"kind": kind, "month": month.isoformat()}, message=f"申请生成{job.get_kind_display()}（{month_label(month)}）",
        )
        transaction.on_commit(lambda: report_job_enqueue(job.pk, kind))
    return job, True


def report_job_enqueue(job_id: int, kind: str) -> None:
    """Send the job to Celery: PDFs to the ``pdf`` queue (routed in settings), the rest to the default queue."""
    from . import jobs  # the Celery module imports this one; import here to keep the direction one way

    task = jobs.render_pdf_report if kind.endswith("-pdf") else jobs.render_report
    task.delay(job_id)


def report_job_retry(*, job: ReportJob, user: Any, request: HttpRequest | None = None) -> ReportJob:
    """Queue a failed job again (same row, so its history stays in one place)."""
    if not access.can(user, "reports.request"):
        raise PermissionDenied("只有创建办管理员和领导可以生成报表。")
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.FAILED:
            raise ValidationError("只有失败的报表任务可以重试。")
        running = ReportJob.objects.filter(
            kind=job.kind, campaign_id=job.campaign_id, month=job.month, status__in=ACTIVE_STATUSES
        ).exclude(pk=job.pk)
        for other in running:
            if other.params == job.params:
                return other
        job.status = JobStatus.QUEUED
        job.progress = 0
        job.message = "重新排队等待生成"
        job.error = ""
        job.finished_at = None
        job.save(update_fields=["status", "progress", "message", "error", "finished_at"])
        audit.record("report.retry", actor=user, obj=job, request=request, message=f"重试{job.get_kind_display()}")
        transaction.on_commit(lambda: report_job_enqueue(job.pk, job.kind))
    return job


# ---------------------------------------------------------------- rendering

def render_report_file(*, kind: str, campaign: Campaign, month: dt.date, progress: Any = None) -> RenderedFile:
    """Compute the figures and render one report: the function the worker and ``render_report`` share."""
    from .data import report_data  # reads scoring; imported late so renderers stay importable alone

    if kind not in RENDERERS:
        raise ReportJobError(f"不支持的报表类型：{kind}")
    if progress:
        progress(10, "正在汇总考核数据")
    data = report_data(campaign=campaign, month=month_start(month))
    if progress:
        progress(30, "考核数据已汇总")
    return RENDERERS[kind](data, progress=progress)


def _progress_hook(job_id: int) -> Any:
    delay = float(os.environ.get(SLOW_RENDER_ENV) or 0)

    def progress(percent: int, message: str) -> None:
        # A plain UPDATE in autocommit: the job page sees it at once.
        ReportJob.objects.filter(pk=job_id).update(progress=max(0, min(percent, 99)), message=message[:200])
        if delay:
            time.sleep(delay)

    return progress


def _tmp_prefix(job: ReportJob) -> str:
    return f"job-{job.pk}-"


def _final_name(job: ReportJob, rendered: RenderedFile) -> str:
    extension = os.path.splitext(rendered.filename)[1] or ".bin"
    return f"reports/{job.campaign.slug}/{job.month:%Y-%m}/job-{job.pk}-{job.kind}{extension}"


def _clear_temporary(job: ReportJob) -> None:
    """Delete half-written files an interrupted attempt of this job left behind."""
    try:
        _dirs, files = default_storage.listdir(TMP_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        if name.startswith(_tmp_prefix(job)):
            default_storage.delete(f"{TMP_DIR}/{name}")


def _store(job: ReportJob, rendered: RenderedFile) -> str:
    """Write to a temporary name, then move to the final name.

    On the local file system the move is ``os.replace`` (atomic: the final
    name holds either nothing or the whole file). Other storages (S3 and
    friends) have no rename: the file is copied to the final name and the
    temporary one deleted; the job row only points at the final name after
    the copy completed, so a reader never sees a half file through the site.
    """
    _clear_temporary(job)
    tmp = default_storage.save(f"{TMP_DIR}/{_tmp_prefix(job)}{job.attempts}.part", ContentFile(rendered.content))
    final = _final_name(job, rendered)
    if default_storage.exists(final):  # left by an attempt that died after the move
        default_storage.delete(final)
    if isinstance(default_storage, FileSystemStorage):
        target = default_storage.path(final)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(default_storage.path(tmp), target)
        return final
    with default_storage.open(tmp, "rb") as handle:
        final = default_storage.save(final, handle)
    default_storage.delete(tmp)
    return final


def report_job_run(job_id: int) -> ReportJob:
    """Render one job and store its file; the body of the Celery task.

    Transient database errors propagate (the task retries them with backoff);
    any other error marks the job failed with the reason in Chinese.
    """
    from django.db import InterfaceError, OperationalError

    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("campaign").get(pk=job_id)
        if job.status == JobStatus.DONE and job.file and default_storage.exists(job.file.name):
            return job  # a re-delivered message for a finished job
        if job.status == JobStatus.FAILED:
            return job  # only an explicit retry queues it again
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.progress = 5
        job.message = "开始生成" if job.attempts == 1 else f"第{job.attempts}次尝试：重新开始生成"
        job.error = ""
        job.save(update_fields=["status", "attempts", "started_at", "progress", "message", "error"])
    try:
        rendered = render_report_file(kind=job.kind, campaign=job.campaign, month=job.month, progress=_progress_hook(job.pk))
        name = _store(job, rendered)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - every other failure is shown on the job page
        logger.exception("report job %s failed", job_id)
        report_job_fail(job_id, _explain(exc))
        job.refresh_from_db()
        return job
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, progress=100, message="已生成，可以下载", file=name, filename=rendered.filename,
        finished_at=timezone.now(), error="",
    )
    job.refresh_from_db()
    return job


def _explain(exc: BaseException) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return "生成超时：报表数据量过大或服务器繁忙，已停止生成。请稍后重试，或联系管理员调整时限。"
    if isinstance(exc, ReportJobError):
        return str(exc)
    return f"生成失败：{type(exc).__name__}: {exc}"[:2000]


def report_job_fail(job_id: int, error: str) -> None:
    """Mark a job failed with the reason shown on its page."""
    ReportJob.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=error, message="生成失败", finished_at=timezone.now()
    )


# ---------------------------------------------------------------- downloading

def report_job_download(*, job: ReportJob, user: Any, request: HttpRequest | None = None) -> Any:
    """Open a finished job's file for ``user`` (admins and leaders) and record the download."""
    if not access.can(user, "reports.request"):
        raise PermissionDenied("只有创建办管理员和领导可以下载报表。")
    if job.status != JobStatus.DONE or not job.file:
        raise ValidationError("报表尚未生成完成，暂不能下载。")
    handle = default_storage.open(job.file.name, "rb")
    audit.record(
        "report.download", actor=user, obj=job, request=request,
        message=f"下载{job.get_kind_display()}（{month_label(job.month)}）：{job.filename}"[:300],
    )
    return handle


# ---------------------------------------------------------------- schedule

def monthly_reports_request(*, today: dt.date | None = None) -> dict[str, list]:
    """On the 1st of a month: render last month's bulletin and workbook for every active campaign.

    A campaign whose last month is not published yet gets no report; its
    admins get a notification instead (once per day). Returns what was done,
    for logs and tests.
    """
    today = today or timezone.localdate()
    month = month_start(month_start(today) - dt.timedelta(days=1))
    done: dict[str, list] = {"jobs": [], "notified": []}
    for campaign in Campaign.objects.filter(is_active=True).order_by("pk"):
        if not (month_start(campaign.start_date) <= month <= campaign.end_date):
            continue
        if is_month_published(campaign, month):
            for kind in MONTHLY_KINDS:
                job, _created = report_job_request(kind=kind, campaign=campaign, month=month, user=None)
                done["jobs"].append(job)
            continue
        try:
            url = reverse("reports-months")
        except NoReverseMatch:
            url = ""
        admins = Membership.objects.filter(role=Role.ADMIN).values_list("user_id", flat=True)
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(Q(pk__in=admins) | Q(is_superuser=True), is_active=True).distinct()
        for user in users:
            _notice, created = Notification.objects.get_or_create(
                user=user, key=f"reports-unpublished-{campaign.pk}-{month:%Y-%m}", day=today,
                defaults={
                    "message": f"{campaign.name}{month_label(month)}考核结果尚未发布，月度通报和考核数据未自动生成。请审核发布后在“报表导出”中生成。",
                    "url": url,
                },
            )
            if created:
                done["notified"].append(user)
    return done
