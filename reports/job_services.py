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

Imports flow one way: ``reports/jobs.py`` (the Celery wrappers) imports this
module, never the reverse. Jobs are sent by their registered names (``JOB_*``),
the way Celery addresses a task on the wire; ``reports/apps.py`` imports the
Celery module at start-up so the names resolve to the registered tasks (eager
mode without Redis runs them in-process).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from campaign import access, audit
from campaign.models import Campaign, Membership, Role, month_start
from notices import services as notices
from campaign.periods import is_month_published, month_label

from . import renderers
from .models import JobStatus, ReportChunk, ReportJob, ReportKind
from .renderers import RENDERERS, RenderedFile

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
TMP_DIR = "reports/tmp"
# Scheduled on the 1st of each month: both monthly reports of last month.
MONTHLY_KINDS = (ReportKind.BULLETIN_PDF, ReportKind.WORKBOOK_XLSX)
# Test hook only: seconds to sleep at every progress step, so an integration test can kill a worker mid-render.
SLOW_RENDER_ENV = "CHUANGWEN_TEST_RENDER_DELAY"


# Shown when Redis cannot take the job (the request itself succeeds, the job is failed and can be retried).
ENQUEUE_FAILED = "报表服务暂时无法接收任务（消息队列 Redis 连接失败），本次申请未能提交生成。请稍后点击“重试”；如持续失败，请联系系统管理员检查 Redis 服务。"
SUPERSEDED = "该任务长时间没有进展（生成进程可能已中断），已由新的申请取代。"
GAVE_UP_RUNNING = "生成过程多次中断（报表服务进程异常退出或失去响应），已停止自动重新排队。请点击“重试”；如仍失败，请联系系统管理员。"
GAVE_UP_QUEUED = "长时间没有报表服务处理该任务（worker 可能未启动），已停止等待。请确认报表服务运行后点击“重试”。"
# Celery's publish retries, kept short: the web request waits for them.
ENQUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# A bulletin part that fails is retried alone this many times before the whole job fails.
CHUNK_MAX_ATTEMPTS = 3

# The Celery jobs this module sends (defined in reports/jobs.py under these names).
JOB_RENDER = "reports.jobs.render_report"
JOB_RENDER_PDF = "reports.jobs.render_pdf_report"
JOB_BULLETIN_CHUNK = "reports.jobs.render_bulletin_chunk"
JOB_BULLETIN_FINISH = "reports.jobs.finish_bulletin"


def _signature(name: str, args: list) -> Any:
    from celery import current_app

    return current_app.signature(name, args=args)


class ReportJobError(Exception):
    """A render that failed for a reason worth showing to the user (Chinese message)."""


# ---------------------------------------------------------------- liveness

def _ago(seconds: float, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=seconds)


def job_is_healthy(job: ReportJob, *, now: dt.datetime | None = None) -> bool:
    """Is this queued/running job still alive, so that the same request may wait for it?

    Running: its heartbeat is younger than ``REPORT_STALE_SECONDS``. Queued: it was sent to the
    broker less than ``REPORT_QUEUED_STALE_SECONDS`` ago. A chunked bulletin is alive while any of
    its parts beats (the parts beat on the job row too). Anything else is stuck and never blocks a
    new request.
    """
    beat = job.heartbeat_at or job.started_at or job.created_at
    if job.status == JobStatus.RUNNING:
        if beat >= _ago(settings.REPORT_STALE_SECONDS, now):
            return True
        # A chunked bulletin whose parts wait in the queue behind other work is not stuck.
        return ReportChunk.objects.filter(job=job, attempt=job.attempts).filter(
            Q(status=JobStatus.RUNNING, heartbeat_at__gte=_ago(settings.REPORT_STALE_SECONDS, now))
            | Q(status=JobStatus.QUEUED, heartbeat_at__gte=_ago(settings.REPORT_QUEUED_STALE_SECONDS, now))
        ).exists()
    if job.status == JobStatus.QUEUED:
        return beat >= _ago(settings.REPORT_QUEUED_STALE_SECONDS, now)
    return False


@contextmanager
def heartbeat(job_id: int, attempt: int, chunk_id: int | None = None) -> Iterator[None]:
    """While the block runs, a thread stamps ``heartbeat_at`` on the job (and part) every few seconds.

    WeasyPrint lays out a big document in one call without progress callbacks, so the beat comes
    from a thread of its own (with its own database connection). Only the attempt that owns the
    job beats: an abandoned attempt's thread updates nothing. In-process (eager) runs need none.
    """
    interval = settings.REPORT_HEARTBEAT_SECONDS
    if settings.CELERY_TASK_ALWAYS_EAGER or interval <= 0:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        from django.db import connection

        try:
            while not stop.wait(interval):
                try:
                    now = timezone.now()
                    ReportJob.objects.filter(pk=job_id, attempts=attempt, status=JobStatus.RUNNING).update(heartbeat_at=now)
                    if chunk_id is not None:
                        ReportChunk.objects.filter(pk=chunk_id, status=JobStatus.RUNNING).update(heartbeat_at=now)
                except Exception:  # noqa: BLE001 - a missed beat is not worth killing the render for
                    logger.warning("report job %s: heartbeat failed", job_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"report-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 10)


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
    export = kind in renderers.EXPORTS  # one person's list, cut to what they may see (no month)
    if export:
        if user is None or not access.roles_of(user):
            raise PermissionDenied("您没有导出该清单的权限。")
    elif user is not None and not access.can(user, "reports.request"):
        raise PermissionDenied("只有创建办管理员和领导可以生成报表。")
    if kind not in RENDERERS and not export:
        raise ValidationError(f"不支持的报表类型：{kind}")
    if month is not None or not export:
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
        if export:  # another person's export of the same filters holds other rows
            existing = existing.filter(requested_by=user)
        now = timezone.now()
        for job in existing:
            if job.params != params:
                continue
            if job_is_healthy(job, now=now):
                return job, False
            # Stuck (its worker died, its message was lost): it must not block this request.
            report_job_fail(job.pk, SUPERSEDED)
        job = ReportJob.objects.create(
            kind=kind, campaign=campaign, month=month, params=params, requested_by=user if user is not None and user.is_authenticated else None,
            message="排队等待生成", heartbeat_at=now,
        )
        audit.record(
            "report.request", actor=user, obj=job, request=request, actor_name="" if user else "定时任务",
            after={"kind": kind, "month": month.isoformat() if month else None},
            message=f"申请生成{job.get_kind_display()}" + (f"（{month_label(month)}）" if month else ""),
        )
        transaction.on_commit(lambda: report_job_enqueue(job.pk, kind))
    return job, True


def report_job_enqueue(job_id: int, kind: str) -> bool:
    """Send the job to Celery: PDFs to the ``pdf`` queue (routed in settings), the rest to the default queue.

    If the broker cannot be reached (Redis down), the job is marked failed with a clear message
    (it can be retried) instead of the request failing with a 500 and a queued job left behind.
    Returns whether the job was sent.
    """
    return _send(JOB_RENDER_PDF if kind.endswith("-pdf") else JOB_RENDER, [job_id], job_id=job_id)


def _send(name: str, args: list, *, job_id: int) -> bool:
    """Send the Celery job ``name`` (one of the ``JOB_*`` names above); False (and the job failed) if the broker is down."""
    try:
        _signature(name, args).apply_async(retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - kombu/redis raise many kinds; all mean "not sent"
        logger.exception("report job %s: could not send %s to the broker", job_id, name)
        ReportJob.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
            status=JobStatus.FAILED, error=ENQUEUE_FAILED, message="提交失败", finished_at=timezone.now()
        )
        return False
    return True


def report_job_retry(*, job: ReportJob, user: Any, request: HttpRequest | None = None) -> ReportJob:
    """Queue a failed job again (same row, so its history stays in one place)."""
    if not may_open(user, job):
        raise PermissionDenied("只有创建办管理员和领导可以生成报表。")
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.FAILED:
            raise ValidationError("只有失败的报表任务可以重试。")
        running = ReportJob.objects.filter(
            kind=job.kind, campaign_id=job.campaign_id, month=job.month, status__in=ACTIVE_STATUSES
        ).exclude(pk=job.pk)
        for other in running:
            if other.params == job.params and job_is_healthy(other):
                return other
        job.status = JobStatus.QUEUED
        job.progress = 0
        job.message = "重新排队等待生成"
        job.error = ""
        job.finished_at = None
        job.requeues = 0
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "progress", "message", "error", "finished_at", "requeues", "heartbeat_at"])
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
    if kind == ReportKind.BULLETIN_PDF and settings.REPORT_CHUNK_ROWS > 0:
        # The same parts and merge as the Celery path, one after another.
        return renderers.render_bulletin_chunked(data, max_rows=settings.REPORT_CHUNK_ROWS, progress=progress)
    return RENDERERS[kind](data, progress=progress)


def _progress_hook(job_id: int) -> Any:
    delay = float(os.environ.get(SLOW_RENDER_ENV) or 0)

    def progress(percent: int, message: str) -> None:
        # A plain UPDATE in autocommit: the job page sees it at once.
        ReportJob.objects.filter(pk=job_id).update(
            progress=max(0, min(percent, 99)), message=message[:200], heartbeat_at=timezone.now()
        )
        if delay:
            time.sleep(delay)

    return progress


def _tmp_prefix(job: ReportJob) -> str:
    return f"job-{job.pk}-"


def _final_name(job: ReportJob, rendered: RenderedFile) -> str:
    extension = os.path.splitext(rendered.filename)[1] or ".bin"
    folder = f"{job.month:%Y-%m}" if job.month else "exports"
    return f"reports/{job.campaign.slug}/{folder}/job-{job.pk}-{job.kind}{extension}"


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
    if rendered.path:
        return _store_path(job, rendered)
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


def _store_path(job: ReportJob, rendered: RenderedFile) -> str:
    """Move a file the renderer built on disk (``rendered.path``) to the final name: a rename on the
    local file system, a streamed upload elsewhere; never read into memory."""
    final = _final_name(job, rendered)
    if default_storage.exists(final):
        default_storage.delete(final)
    try:
        if isinstance(default_storage, FileSystemStorage):
            target = default_storage.path(final)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.move(rendered.path, target)
            return final
        with open(rendered.path, "rb") as handle:
            return default_storage.save(final, handle)
    finally:
        if os.path.exists(rendered.path):
            os.unlink(rendered.path)


def _claim(job_id: int) -> tuple[ReportJob, bool]:
    """Lock the job and decide whether this delivery renders it; returns ``(job, go)``.

    Done or failed: nothing to do. Running with a fresh heartbeat: another worker is on it (a
    duplicate message), leave it. Running with a stale heartbeat: its worker died; take it over,
    counted against ``REPORT_MAX_REQUEUES`` like a re-queue by the sweeper.
    """
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("campaign").get(pk=job_id)
        if job.status == JobStatus.DONE and job.file and default_storage.exists(job.file.name):
            return job, False  # a re-delivered message for a finished job
        if job.status == JobStatus.FAILED:
            return job, False  # only an explicit retry queues it again
        if job.status == JobStatus.RUNNING:
            if job_is_healthy(job):
                return job, False
            if job.requeues >= settings.REPORT_MAX_REQUEUES:
                _fail_locked(job, GAVE_UP_RUNNING)
                return job, False
            job.requeues += 1
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.heartbeat_at = job.started_at
        job.progress = 5
        job.message = "开始生成" if job.attempts == 1 else f"第{job.attempts}次尝试：重新开始生成"
        job.error = ""
        job.outline = {}
        job.save(update_fields=["status", "attempts", "requeues", "started_at", "heartbeat_at", "progress", "message", "error", "outline"])
    return job, True


def _still_mine(job: ReportJob) -> bool:
    return ReportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).exists()


def report_job_run(job_id: int) -> ReportJob:
    """Render one job and store its file; the body of the Celery task.

    The bulletin is planned here and rendered in parts by :func:`report_chunk_run` (see there).
    Transient database errors propagate (the task retries them with backoff); any other error
    marks the job failed with the reason in Chinese.
    """
    from django.db import InterfaceError, OperationalError

    job, go = _claim(job_id)
    if not go:
        return job
    try:
        with heartbeat(job.pk, job.attempts):
            if job.kind == ReportKind.BULLETIN_PDF and settings.REPORT_CHUNK_ROWS > 0:
                _plan_bulletin(job)
                job.refresh_from_db()
                return job
            if job.kind in renderers.EXPORTS:
                rendered = renderers.EXPORTS[job.kind](user=job.requested_by, campaign=job.campaign, params=job.params,
                                                       progress=_progress_hook(job.pk))
            else:
                rendered = render_report_file(kind=job.kind, campaign=job.campaign, month=job.month,
                                              progress=_progress_hook(job.pk))
            if not _still_mine(job):
                return job  # the sweeper gave this job to another worker meanwhile; it stores the file
            name = _store(job, rendered)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - every other failure is shown on the job page
        logger.exception("report job %s failed", job_id)
        report_job_fail(job_id, _explain(exc))
        job.refresh_from_db()
        return job
    ReportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
        status=JobStatus.DONE, progress=100, message="已生成，可以下载", file=name, filename=rendered.filename,
        finished_at=timezone.now(), error="",
    )
    job.refresh_from_db()
    _notify_ready(job)
    return job


def _notify_ready(job: ReportJob) -> None:
    """Tell the person who asked that the file is ready (scheduled jobs have nobody to tell)."""
    if job.status == JobStatus.DONE and job.requested_by_id:
        notices.notify(
            event=notices.Event.REPORT_READY, users=[job.requested_by_id], key=f"report-job-{job.pk}-{job.attempts}",
            message=f"{job.get_kind_display()}已生成，可以下载。", url=job.get_absolute_url(),
        )


# ---------------------------------------------------------------- the bulletin in parts (issue 14)

def _chunk_payload_name(job: ReportJob, index: int) -> str:
    return f"{TMP_DIR}/{_tmp_prefix(job)}{job.attempts}-part-{index}.pickle"


def _plan_bulletin(job: ReportJob) -> None:
    """Compute the figures once, cut the bulletin into parts and send each part to the ``pdf`` queue.

    Part 0 is the front (title, summary, ranking); parts 1… are slices of the appendix, one ranking
    group at a time, at most ``REPORT_CHUNK_ROWS`` score lines each. Each part's input is pickled
    into the temporary folder (written by this worker, read by the part's worker; nothing a user
    can upload lands there).
    """
    from .data import report_data

    progress = _progress_hook(job.pk)
    progress(8, "正在汇总考核数据")
    data = report_data(campaign=job.campaign, month=month_start(job.month))
    plan = renderers.plan_bulletin_chunks(data, max_rows=settings.REPORT_CHUNK_ROWS)
    _clear_temporary(job)
    for index, part in enumerate(plan):
        payload = renderers.bulletin_part_payload(data, part)
        default_storage.save(_chunk_payload_name(job, index), ContentFile(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)))
    # All parts' rows and their number appear at once: a planner killed half-way leaves no partial plan
    # that could be merged into a bulletin with parts missing (the sweeper re-queues the whole job).
    with transaction.atomic():
        ReportChunk.objects.filter(job=job).delete()
        now = timezone.now()
        chunks = ReportChunk.objects.bulk_create([
            ReportChunk(job=job, attempt=job.attempts, index=index, label=part.label[:200], unit_ids=list(part.unit_ids),
                        status=JobStatus.QUEUED, heartbeat_at=now)
            for index, part in enumerate(plan)
        ])
        ReportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
            progress=10, message=f"考核数据已汇总，分 {len(chunks)} 部分生成", heartbeat_at=now,
            outline={"title": data.title, "filename": f"{data.title}.pdf", "parts": len(chunks)},
        )
    for chunk in chunks:
        report_chunk_enqueue(job.pk, job.attempts, chunk.index)


def report_chunk_enqueue(job_id: int, attempt: int, index: int, countdown: int = 0) -> bool:
    if countdown:
        try:
            _signature(JOB_BULLETIN_CHUNK, [job_id, attempt, index]).apply_async(
                countdown=countdown, retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
        except Exception:  # noqa: BLE001
            logger.exception("report job %s: could not re-send part %s", job_id, index)
            return False  # the sweeper sends it again
        return True
    return _send(JOB_BULLETIN_CHUNK, [job_id, attempt, index], job_id=job_id)


def report_chunk_run(job_id: int, attempt: int, index: int) -> ReportChunk | None:
    """Render one part of the bulletin; the last part to finish sends the merge.

    A part whose render fails is queued again alone (up to ``CHUNK_MAX_ATTEMPTS`` renders), the
    others keep their files. A message for an abandoned attempt or a part already done does nothing.
    """
    from django.db import InterfaceError, OperationalError

    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
            return None
        chunk = ReportChunk.objects.select_for_update().filter(job=job, attempt=attempt, index=index).first()
        if chunk is None or chunk.status == JobStatus.DONE:
            return chunk
        if chunk.status == JobStatus.RUNNING and chunk.heartbeat_at and chunk.heartbeat_at >= _ago(settings.REPORT_STALE_SECONDS):
            return chunk  # another worker renders it right now
        if chunk.attempts >= CHUNK_MAX_ATTEMPTS:
            _fail_locked(job, f"附件第 {index} 部分（{chunk.label}）多次生成失败：{chunk.error or '生成进程中断'}"[:2000])
            return chunk
        chunk.status = JobStatus.RUNNING
        chunk.attempts += 1
        chunk.heartbeat_at = timezone.now()
        chunk.save(update_fields=["status", "attempts", "heartbeat_at"])
        job.heartbeat_at = chunk.heartbeat_at
        job.save(update_fields=["heartbeat_at"])
    delay = float(os.environ.get(SLOW_RENDER_ENV) or 0)
    try:
        with heartbeat(job_id, attempt, chunk.pk):
            with default_storage.open(_chunk_payload_name(job, index), "rb") as handle:
                payload = pickle.load(handle)  # noqa: S301 - written by our own planner, see _plan_bulletin
            if delay:
                time.sleep(delay)
            part = renderers.render_bulletin_part(payload)
            name = f"{TMP_DIR}/{_tmp_prefix(job)}{attempt}-part-{index}.pdf"
            if default_storage.exists(name):
                default_storage.delete(name)
            name = default_storage.save(name, ContentFile(part.content))
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - retried alone, then shown on the job page
        logger.exception("report job %s: part %s failed", job_id, index)
        error = _explain(exc)
        ReportChunk.objects.filter(pk=chunk.pk, status=JobStatus.RUNNING).update(status=JobStatus.QUEUED, error=error, heartbeat_at=timezone.now())
        chunk.refresh_from_db()
        if chunk.attempts >= CHUNK_MAX_ATTEMPTS:
            report_job_fail(job_id, f"附件第 {index} 部分（{chunk.label}）多次生成失败：{error}"[:2000])
        else:
            report_chunk_enqueue(job_id, attempt, index, countdown=2 * chunk.attempts)
        return chunk
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING or job.attempts != attempt:
            return chunk
        ReportChunk.objects.filter(pk=chunk.pk).update(
            status=JobStatus.DONE, pages=part.pages, bookmarks=part.bookmarks, file=name, error="", heartbeat_at=timezone.now()
        )
        parts = ReportChunk.objects.filter(job=job, attempt=attempt)
        total = (job.outline or {}).get("parts") or parts.count()
        done = parts.filter(status=JobStatus.DONE).count()
        job.progress = 10 + 80 * done // max(total, 1)
        job.message = f"正在分块生成：已完成 {done}/{total} 部分"
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["progress", "message", "heartbeat_at"])
        if done == total:
            transaction.on_commit(lambda: report_finish_enqueue(job_id, attempt))
    chunk.refresh_from_db()
    return chunk


def report_finish_enqueue(job_id: int, attempt: int) -> bool:
    return _send(JOB_BULLETIN_FINISH, [job_id, attempt], job_id=job_id)


def report_bulletin_finish(job_id: int, attempt: int) -> ReportJob | None:
    """Merge the parts into one PDF (continuous page numbers, 目录, bookmarks) and store it."""
    from django.db import InterfaceError, OperationalError

    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("campaign").filter(pk=job_id).first()
        if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
            return job
        chunks = list(ReportChunk.objects.filter(job=job, attempt=attempt).order_by("index"))
        if not chunks or len(chunks) != (job.outline or {}).get("parts") or any(c.status != JobStatus.DONE for c in chunks):
            return job
        job.progress, job.message, job.heartbeat_at = 92, "正在合并各部分、编排页码和目录", timezone.now()
        job.save(update_fields=["progress", "message", "heartbeat_at"])
    try:
        with heartbeat(job.pk, attempt):
            parts = []
            for chunk in chunks:
                with default_storage.open(chunk.file, "rb") as handle:
                    parts.append(renderers.BulletinPart(handle.read(), chunk.pages or 0, chunk.bookmarks))
            meta = job.outline or {}
            rendered, outline = renderers.merge_bulletin_parts(
                parts, title=meta.get("title") or job.get_kind_display(), filename=meta.get("filename") or "考核结果通报.pdf",
            )
            if not _still_mine(job):
                return job
            name = _store(job, rendered)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001
        logger.exception("report job %s: merge failed", job_id)
        report_job_fail(job_id, _explain(exc))
        job.refresh_from_db()
        return job
    ReportJob.objects.filter(pk=job.pk, attempts=attempt).update(
        status=JobStatus.DONE, progress=100, message="已生成，可以下载", file=name, filename=rendered.filename,
        finished_at=timezone.now(), error="", outline=outline,
    )
    job.refresh_from_db()
    _notify_ready(job)
    return job


# ---------------------------------------------------------------- the sweeper

def report_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """Make every queued or running job end: the beat runs this every ``REPORT_SWEEP_SECONDS``.

    - a running job whose heartbeat stopped (its worker was killed or hangs) is queued again,
      at most ``REPORT_MAX_REQUEUES`` times, then failed with a message; a chunked bulletin has
      only its stale parts sent again (or its merge, when every part is done);
    - a queued job (or part) nobody picked up for ``REPORT_QUEUED_STALE_SECONDS`` is sent again
      (a message lost with Redis), within the same bound.

    Sending a job twice is harmless: a delivery finds it done, or running with a fresh heartbeat,
    and leaves it. Returns the ids acted on, for logs and tests.
    """
    now = now or timezone.now()
    stale, queued_stale = _ago(settings.REPORT_STALE_SECONDS, now), _ago(settings.REPORT_QUEUED_STALE_SECONDS, now)
    done: dict[str, list[int]] = {"requeued": [], "failed": [], "parts": [], "merged": []}
    candidates = ReportJob.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            job = ReportJob.objects.select_for_update().filter(pk=pk, status__in=ACTIVE_STATUSES).first()
            if job is None:
                continue
            planned = job.status == JobStatus.RUNNING and (job.outline or {}).get("parts")
            chunks = list(ReportChunk.objects.select_for_update().filter(job=job, attempt=job.attempts)) if planned else []
            if chunks:
                _sweep_chunks(job, chunks, now=now, stale=stale, queued_stale=queued_stale, done=done)
                continue
            if job_is_healthy(job, now=now):
                continue
            if job.requeues >= settings.REPORT_MAX_REQUEUES:
                _fail_locked(job, GAVE_UP_RUNNING if job.status == JobStatus.RUNNING else GAVE_UP_QUEUED, now=now)
                done["failed"].append(job.pk)
                continue
            was_running = job.status == JobStatus.RUNNING
            job.requeues += 1
            job.status = JobStatus.QUEUED
            job.progress = 0
            job.heartbeat_at = now
            job.message = (f"生成进程无响应，已自动重新排队（第{job.requeues}次）" if was_running
                           else f"长时间未开始生成，已重新提交（第{job.requeues}次）")
            job.save(update_fields=["requeues", "status", "progress", "heartbeat_at", "message"])
            transaction.on_commit(lambda pk=job.pk, kind=job.kind: report_job_enqueue(pk, kind))
            done["requeued"].append(job.pk)
    return done


def _sweep_chunks(job: ReportJob, chunks: list[ReportChunk], *, now, stale, queued_stale, done) -> None:
    if all(c.status == JobStatus.DONE for c in chunks):
        # Every part is there; only the merge can be missing (its worker died).
        if job.heartbeat_at and job.heartbeat_at >= stale:
            return
        if job.requeues >= settings.REPORT_MAX_REQUEUES:
            _fail_locked(job, GAVE_UP_RUNNING, now=now)
            done["failed"].append(job.pk)
            return
        job.requeues += 1
        job.heartbeat_at = now
        job.save(update_fields=["requeues", "heartbeat_at"])
        transaction.on_commit(lambda: report_finish_enqueue(job.pk, job.attempts))
        done["merged"].append(job.pk)
        return
    resend = [
        c for c in chunks
        if (c.status == JobStatus.RUNNING and (c.heartbeat_at is None or c.heartbeat_at < stale))
        or (c.status == JobStatus.QUEUED and (c.heartbeat_at is None or c.heartbeat_at < queued_stale))
    ]
    if not resend:
        return
    if any(c.attempts >= CHUNK_MAX_ATTEMPTS for c in resend if c.status == JobStatus.RUNNING) or job.requeues >= settings.REPORT_MAX_REQUEUES:
        _fail_locked(job, GAVE_UP_RUNNING, now=now)
        done["failed"].append(job.pk)
        return
    job.requeues += 1
    job.heartbeat_at = now
    job.message = f"部分生成进程无响应，已重新排队 {len(resend)} 个部分"
    job.save(update_fields=["requeues", "heartbeat_at", "message"])
    for chunk in resend:
        chunk.status = JobStatus.QUEUED
        chunk.heartbeat_at = now
        chunk.save(update_fields=["status", "heartbeat_at"])
        transaction.on_commit(lambda index=chunk.index: report_chunk_enqueue(job.pk, job.attempts, index))
        done["parts"].append(chunk.pk)


def _fail_locked(job: ReportJob, error: str, *, now: dt.datetime | None = None) -> None:
    job.status = JobStatus.FAILED
    job.error = error
    job.message = "生成失败"
    job.finished_at = now or timezone.now()
    job.save(update_fields=["status", "error", "message", "finished_at"])


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

def may_open(user: Any, job: ReportJob) -> bool:
    """Admins and leaders open every job; anyone else only an export they asked for themselves
    (its rows were cut to what they may see, ``renderers.EXPORTS``)."""
    if access.can(user, "reports.request"):
        return True
    return (job.kind in renderers.EXPORTS and job.requested_by_id is not None
            and job.requested_by_id == getattr(user, "pk", None) and bool(access.roles_of(user)))


def report_job_download(*, job: ReportJob, user: Any, request: HttpRequest | None = None) -> Any:
    """Open a finished job's file for ``user`` (admins and leaders; an export's own requester).

    The download is recorded once, as ``file.download`` naming the job, by ``campaign.downloads.send``.
    """
    if not may_open(user, job):
        raise PermissionDenied("只有创建办管理员和领导可以下载报表。")
    if job.status != JobStatus.DONE or not job.file:
        raise ValidationError("报表尚未生成完成，暂不能下载。")
    return default_storage.open(job.file.name, "rb")


def report_job_unit_appendix(*, job: ReportJob, unit_id: int, user: Any, request: HttpRequest | None = None) -> RenderedFile:
    """One unit's pages of a finished chunked bulletin, as a PDF of their own (the view's download is audited).

    The pages are cut from the merged file (no second render), so they read exactly like the
    bulletin, except that they number their own pages (第 1 页 / 共 N 页).
    """
    if not access.can(user, "reports.request"):
        raise PermissionDenied("只有创建办管理员和领导可以下载报表。")
    unit = next((u for u in (job.outline or {}).get("units", []) if u["id"] == unit_id), None)
    if job.status != JobStatus.DONE or not job.file or unit is None:
        raise ValidationError("该单位在本通报中没有扣分明细，或通报尚未生成完成。")
    with default_storage.open(job.file.name, "rb") as handle:
        content = renderers.extract_pages(handle.read(), unit["start"], unit["end"], renumber=True)
    stem = os.path.splitext(job.filename)[0]
    filename = f"{stem}（附件·{unit['name']}）.pdf"
    return RenderedFile(filename, renderers.PDF_CONTENT_TYPE, content)


def report_job_chunks(job: ReportJob) -> list[ReportChunk]:
    """The parts of the job's current attempt, for the job page (empty unless it is a chunked bulletin)."""
    if job.kind != ReportKind.BULLETIN_PDF:
        return []
    return list(ReportChunk.objects.filter(job=job, attempt=job.attempts).order_by("index"))


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
        users = list(users.order_by("pk"))
        result = notices.notify(
            event=notices.Event.SYSTEM, users=users, key=f"reports-unpublished-{campaign.pk}-{month:%Y-%m}", day=today, url=url,
            message=f"{campaign.name}{month_label(month)}考核结果尚未发布，月度通报和考核数据未自动生成。请审核发布后在“报表导出”中生成。",
        )
        done["notified"] += [user for user in users if user.pk in set(result.user_ids)]
    return done
