"""Celery jobs of the reports app: thin wrappers around ``reports.job_services``.

(Celery modules are named ``jobs.py`` in every app: ``tasks`` is our Django app
for the responsibility breakdown.) A job loads nothing itself: it passes the
row id to the service, and only decides about retries.

- ``render_pdf_report`` is routed to the ``pdf`` queue (``CELERY_TASK_ROUTES``)
  so long WeasyPrint renders never hold up the workbook and other jobs; run a
  worker with ``-Q celery,pdf`` (or dedicated workers per queue).
- Transient database errors are retried with exponential backoff
  (10 s, 20 s, 40 s … at most 5 minutes, 5 times); then the job is marked failed.
- ``acks_late`` + ``reject_on_worker_lost``: a worker killed mid-render leaves the
  message unacknowledged and it is delivered again; the service restarts the
  render cleanly. Long before that (the visibility timeout is an hour), the
  sweeper ``sweep_report_jobs`` (beat) sees the job's heartbeat stop and queues
  it again (issue 11).
- The bulletin renders in parts: ``render_bulletin_chunk`` per part, then
  ``finish_bulletin`` merges them (issue 14); both on the ``pdf`` queue.
"""
from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import digest, job_services

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


def _backoff(retries: int) -> int:
    return min(300, 10 * 2**retries)


def _run(task, job_id: int) -> None:
    _retrying(task, job_services.report_job_run, job_id)


_OPTIONS = dict(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT,
)


# The names are the contract with job_services (JOB_*), which sends by name and never imports this module.
@shared_task(name=job_services.JOB_RENDER_PDF, **_OPTIONS)
def render_pdf_report(self, job_id: int) -> None:
    """Render a PDF report job (queue ``pdf``)."""
    _run(self, job_id)


@shared_task(name=job_services.JOB_RENDER, **_OPTIONS)
def render_report(self, job_id: int) -> None:
    """Render any other report job (default queue)."""
    _run(self, job_id)


def _retrying(task, fn, *args) -> None:
    try:
        fn(*args)
    except TRANSIENT_ERRORS as exc:
        if task.request.retries >= MAX_RETRIES:
            job_services.report_job_fail(args[0], f"数据库连接多次失败，已停止重试：{exc}"[:2000])
            raise
        raise task.retry(exc=exc, countdown=_backoff(task.request.retries))


@shared_task(name=job_services.JOB_BULLETIN_CHUNK, **_OPTIONS)
def render_bulletin_chunk(self, job_id: int, attempt: int, index: int) -> None:
    """Render one part of the chunked bulletin (queue ``pdf``); the last part sends the merge."""
    _retrying(self, job_services.report_chunk_run, job_id, attempt, index)


@shared_task(name=job_services.JOB_BULLETIN_FINISH, **_OPTIONS)
def finish_bulletin(self, job_id: int, attempt: int) -> None:
    """Merge the parts of a chunked bulletin into one PDF (queue ``pdf``)."""
    _retrying(self, job_services.report_bulletin_finish, job_id, attempt)


@shared_task(name="reports.jobs.sweep_report_jobs")
def sweep_report_jobs() -> None:
    """Beat, every ``REPORT_SWEEP_SECONDS``: re-queue or fail jobs whose heartbeat stopped."""
    job_services.report_jobs_sweep()


@shared_task(name="reports.jobs.monthly_reports")
def monthly_reports() -> None:
    """Beat, on the 1st of each month: last month's bulletin and workbook for every active campaign."""
    job_services.monthly_reports_request()


@shared_task(name="reports.jobs.verify_published")
def verify_published() -> None:
    """Beat, daily: the digest chain of every published month; a broken month notifies its admins once."""
    digest.verify_published_and_notify()
