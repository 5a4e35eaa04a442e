"""Report jobs that always end (issue 11) and the bulletin in parts (issue 14), with real workers over Redis."""
from __future__ import annotations

import io
import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from reports import job_services
from reports.models import JobStatus, ReportJob
from tests import factories as f
from tests.conftest import build_world

from .conftest import kill_worker, point_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _october_world():
    world = build_world()
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean, point=world.point_a)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_a, indicator=world.leaf_clean, point=world.point_a)
    f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=world.unit_b, indicator=world.leaf_market, point=world.point_b)
    return world


def _job(pk: int) -> ReportJob:
    return ReportJob.objects.get(pk=pk)


def _finished(pk: int) -> bool:
    return _job(pk).status in (JobStatus.DONE, JobStatus.FAILED)


def _job_files(job: ReportJob) -> list[str]:
    try:
        _dirs, names = default_storage.listdir(f"reports/{job.campaign.slug}/{job.month:%Y-%m}")
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith(f"job-{job.pk}-")]


def _tmp_files(job: ReportJob) -> list[str]:
    try:
        _dirs, names = default_storage.listdir(job_services.TMP_DIR)
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith(f"job-{job.pk}-")]


def test_a_worker_killed_mid_render_is_noticed_by_the_sweeper_and_the_job_finishes_within_two_minutes(celery_over_redis, client):
    world = _october_world()
    # Redis would hand the killed worker's message out again only after an hour: the rescue must come from
    # the heartbeat and the sweeper (beat every 2 s, stale after 6 s without a heartbeat).
    hour = {"CELERY_VISIBILITY_TIMEOUT": "3600", "REPORT_SOFT_TIME_LIMIT": "600", "REPORT_TIME_LIMIT": "660"}
    beat = celery_over_redis("itest-beat", beat=True, **hour)
    # Each progress step sleeps 8 s (longer than the 6 s stale limit): only the heartbeat thread keeps the job alive.
    doomed = celery_over_redis("itest-doomed", CHUANGWEN_TEST_RENDER_DELAY="8", **hour)
    client.force_login(world.admin)
    client.post(reverse("reports-jobs"), {"kind": "workbook-xlsx", "month": "2026-10"})
    job = ReportJob.objects.get()
    wait_for(lambda: _job(job.pk).progress >= 30, timeout=60, what="第一个 worker 开始生成", worker=doomed)
    time.sleep(3)  # 8 s after the last progress step: without the heartbeat thread the sweeper would have struck
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.requeues == 0 and job.attempts == 1
    assert (timezone.now() - job.heartbeat_at).total_seconds() < 4

    kill_worker(doomed)  # kill -9 mid-render
    killed_at = time.monotonic()
    rescue = celery_over_redis("itest-rescue", **hour)
    wait_for(lambda: _finished(job.pk), timeout=120, what="清扫任务重新排队后完成生成", worker=rescue)
    assert time.monotonic() - killed_at < 120
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2 and job.requeues == 1
    assert _job_files(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"] and _tmp_files(job) == []
    with default_storage.open(job.file.name, "rb") as handle:
        assert handle.read(2) == b"PK"
    assert beat.poll() is None


def test_redis_unreachable_at_request_time_gives_a_clear_message_then_succeeds_once_it_is_back(celery_over_redis, client, redis_url):
    world = _october_world()
    worker = celery_over_redis("itest-after-outage")
    client.force_login(world.admin)
    point_broker("redis://127.0.0.1:1/0")  # nothing listens there: Redis is down for the web process
    started = time.monotonic()
    response = client.post(reverse("reports-jobs"), {"kind": "workbook-xlsx", "month": "2026-10"}, follow=True)
    assert time.monotonic() - started < 15  # fails fast, the web worker is not held up
    assert response.status_code == 200
    job = ReportJob.objects.get()
    assert job.status == JobStatus.FAILED and job.error == job_services.ENQUEUE_FAILED
    assert "消息队列 Redis 连接失败" in response.content.decode()

    point_broker(redis_url)  # Redis is back
    client.post(reverse("reports-job-retry", args=[job.pk]))
    wait_for(lambda: _finished(job.pk), timeout=120, what="Redis 恢复后重试完成", worker=worker)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert _job_files(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"]


def test_a_job_queued_before_redis_is_killed_survives_the_restart_with_appendonly(celery_over_redis, client, own_redis):
    import redis

    world = _october_world()
    point_broker(own_redis.url)
    client.force_login(world.admin)
    client.post(reverse("reports-jobs"), {"kind": "workbook-xlsx", "month": "2026-10"})
    job = ReportJob.objects.get()
    assert job.status == JobStatus.QUEUED
    queue = redis.Redis.from_url(own_redis.url)
    assert queue.llen("celery") == 1
    time.sleep(2)  # appendfsync everysec: at most a second of writes is at risk
    own_redis.kill()  # kill -9, no shutdown save
    own_redis.start()
    assert redis.Redis.from_url(own_redis.url).llen("celery") == 1  # the message came back from the AOF

    worker = celery_over_redis("itest-aof", REDIS_URL=own_redis.url)
    wait_for(lambda: _finished(job.pk), timeout=120, what="Redis 重启后完成生成", worker=worker)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 1 and _job_files(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"]


def test_the_bulletin_is_rendered_in_parts_by_two_worker_processes_and_merged(celery_over_redis, client):
    from pypdf import PdfReader

    world = _october_world()
    worker = celery_over_redis("itest-parts", concurrency=2, REPORT_CHUNK_ROWS="1")
    client.force_login(world.admin)
    client.post(reverse("reports-jobs"), {"kind": "bulletin-pdf", "month": "2026-10"})
    job = ReportJob.objects.get()
    wait_for(lambda: _finished(job.pk), timeout=120, what="分块通报生成完成", worker=worker)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert [(c.index, c.status, c.attempts) for c in job.chunks.order_by("index")] == [(0, "done", 1), (1, "done", 1), (2, "done", 1)]
    assert _job_files(job) == [f"job-{job.pk}-bulletin-pdf.pdf"] and _tmp_files(job) == []
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    total = len(reader.pages)
    assert total == job.outline["pages"]
    assert all(f"第 {n} 页 / 共 {total} 页" in p.extract_text() for n, p in enumerate(reader.pages, start=1))
    assert [u["name"] for u in job.outline["units"]] == ["口岸街道", "城东街道"]
