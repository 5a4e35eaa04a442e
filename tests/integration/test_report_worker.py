"""A real Celery worker renders reports asked for through the site, and survives being killed."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from reports.models import JobStatus, ReportJob
from tests.conftest import build_world
from tests import factories as f

from .conftest import VISIBILITY_TIMEOUT, kill_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _october_world():
    world = build_world()
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean, point=world.point_a)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_b, indicator=world.leaf_market, point=world.point_b)
    return world


def _job(pk: int) -> ReportJob:
    return ReportJob.objects.get(pk=pk)


def _job_files(job: ReportJob) -> list[str]:
    try:
        _dirs, names = default_storage.listdir(f"reports/{job.campaign.slug}/{job.month:%Y-%m}")
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith(f"job-{job.pk}-")]


def test_a_report_asked_for_on_the_site_is_rendered_by_a_worker_and_downloaded(celery_over_redis, client):
    world = _october_world()
    worker = celery_over_redis("itest-site")
    client.force_login(world.admin)
    response = client.post(reverse("reports-jobs"), {"kind": "bulletin-pdf", "month": "2026-10"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.QUEUED  # not rendered in the web process

    wait_for(lambda: _job(job.pk).status in (JobStatus.DONE, JobStatus.FAILED), timeout=120, what="报表生成完成", worker=worker)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 1 and job.progress == 100
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert _job_files(job) == [f"job-{job.pk}-bulletin-pdf.pdf"]


def test_a_worker_killed_mid_render_leaves_the_job_to_the_next_worker_which_finishes_it_with_one_file(celery_over_redis, client):
    world = _october_world()
    # The test hook slows every progress step by 1 s, so the render is still running when we kill it.
    first = celery_over_redis("itest-doomed", CHUANGWEN_TEST_RENDER_DELAY="1")
    client.force_login(world.admin)
    client.post(reverse("reports-jobs"), {"kind": "workbook-xlsx", "month": "2026-10"})
    job = ReportJob.objects.get()

    wait_for(lambda: _job(job.pk).status == JobStatus.RUNNING and _job(job.pk).progress >= 30, timeout=60,
             what="第一个 worker 开始生成", worker=first)
    kill_worker(first)  # kill -9, mid-render: the message was never acknowledged
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1
    assert _job_files(job) == []

    # Redis hands an unacknowledged message out again once it is older than the visibility timeout;
    # a worker restores such messages when it starts (and then only every ~100 s), so start the new
    # worker after that moment, like an operator restarting the service.
    age = (timezone.now() - job.started_at).total_seconds()
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 2 - age))
    second = celery_over_redis("itest-rescue")
    wait_for(lambda: _job(job.pk).status in (JobStatus.DONE, JobStatus.FAILED), timeout=120,
             what="第二个 worker 完成生成", worker=second)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2
    assert _job_files(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"]
    _dirs, temporary = default_storage.listdir("reports/tmp")
    assert [n for n in temporary if n.startswith(f"job-{job.pk}-")] == []
    with default_storage.open(job.file.name, "rb") as handle:
        assert handle.read(2) == b"PK"
    assert dt.date(2026, 10, 1) == job.month
