"""Large list exports (findings, tasks) go through a report job; small ones still stream (issue 14)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import AuditLog
from reports import job_services
from reports.models import JobStatus, ReportJob
from tests import factories as f


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def findings(world):
    """Three findings of 城东街道 (two in October, one in September) and two of 口岸街道."""
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    rows = []
    for unit, point, day, text in (
        (world.unit_a, world.point_a, dt.date(2026, 10, 3), "人民路垃圾桶满溢"),
        (world.unit_a, world.point_a, dt.date(2026, 10, 9), "人民路占道经营"),
        (world.unit_a, world.point_a, dt.date(2026, 9, 20), "人民路乱贴小广告"),
        (world.unit_b, world.point_b, dt.date(2026, 10, 5), "口岸农贸市场地面积水"),
        (world.unit_b, world.point_b, dt.date(2026, 10, 6), "口岸农贸市场活禽未隔离"),
    ):
        rows.append(f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=unit, point=point,
                                     indicator=world.leaf_clean, found_on=day, month=day.replace(day=1), description=text))
    return rows


def descriptions(content: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    header, *rows = list(ws.iter_rows(values_only=True))
    return sorted(row[header.index("问题描述")] for row in rows)


def job_file(job: ReportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def test_a_small_findings_export_still_streams_in_the_request(world, findings, client_for, settings):
    settings.EXPORT_STREAM_MAX_ROWS = 5
    response = client_for(world.admin).get(reverse("inspections-findings-xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(descriptions(b"".join(response.streaming_content))) == 5
    assert not ReportJob.objects.exists()


def test_a_large_findings_export_offers_a_job_and_writes_no_file_in_the_request(world, findings, client_for, settings):
    settings.EXPORT_STREAM_MAX_ROWS = 4
    response = client_for(world.admin).get(reverse("inspections-findings-xlsx") + "?month=2026-10&q=人民路")
    # 2 rows match (October, 人民路) but the limit is about the filtered rows: below it, a stream.
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client_for(world.admin).get(reverse("inspections-findings-xlsx"))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="export-large"' in html
    assert "共有 <strong>5</strong> 条记录" in html and 'name="kind" value="findings-xlsx"' in html
    assert not ReportJob.objects.exists()


def test_the_findings_export_through_a_job_holds_the_filtered_rows_the_official_may_see(
    world, findings, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_STREAM_MAX_ROWS = 1
    client = client_for(world.official_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports-export-request"), {"kind": "findings-xlsx", "month": "2026-10", "bogus": "x"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.kind, job.month, job.requested_by, job.params) == ("findings-xlsx", None, world.official_a, {"month": "2026-10"})
    assert job.status == JobStatus.DONE and job.progress == 100  # eager Celery in tests: run in-process
    # Only 城东街道's two October findings: not September's, not 口岸街道's.
    assert descriptions(job_file(job)) == ["人民路占道经营", "人民路垃圾桶满溢"]
    assert job.file.name.startswith(f"reports/{world.campaign.slug}/exports/")
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and "问题清单-" in page.content.decode()
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download.status_code == 200
    assert descriptions(b"".join(download.streaming_content)) == ["人民路占道经营", "人民路垃圾桶满溢"]
    assert AuditLog.objects.filter(action="file.download", object_id=str(job.pk)).count() == 1


def test_another_official_can_not_open_or_download_someone_elses_export(world, findings, client_for):
    job, _ = job_services.report_job_request(kind="findings-xlsx", campaign=world.campaign, month=None,
                                             user=world.official_a, params={})
    client = client_for(world.official_b)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("reports-job-download", args=[job.pk])).status_code == 404
    # The admin opens every job.
    assert client_for(world.admin).get(job.get_absolute_url()).status_code == 200


def test_the_same_export_asked_twice_while_running_is_one_job_but_two_people_get_two(world, findings, monkeypatch):
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: True)  # stays queued
    first, created = job_services.report_job_request(kind="findings-xlsx", campaign=world.campaign, month=None,
                                                     user=world.official_a, params={"month": "2026-10"})
    again, created_again = job_services.report_job_request(kind="findings-xlsx", campaign=world.campaign, month=None,
                                                           user=world.official_a, params={"month": "2026-10"})
    other, created_other = job_services.report_job_request(kind="findings-xlsx", campaign=world.campaign, month=None,
                                                           user=world.official_b, params={"month": "2026-10"})
    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk and other.pk != first.pk


def test_someone_without_a_role_can_not_ask_for_an_export(world, findings, client_for):
    response = client_for(world.nobody).post(reverse("reports-export-request"), {"kind": "findings-xlsx"})
    assert response.status_code == 404 and not ReportJob.objects.exists()


def test_the_task_export_through_a_job_keeps_the_list_filters(world, client_for, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_STREAM_MAX_ROWS = 1
    for code, unit, title in (("1", world.unit_a, "公益广告刊播"), ("2", world.unit_a, "背街小巷整治"), ("3", world.unit_b, "农贸市场改造")):
        f.TaskFactory(campaign=world.campaign, unit=unit, code=code, title=title)
    client = client_for(world.admin)
    page = client.get(reverse("tasks-list-export") + f"?unit={world.unit_a.pk}")
    assert 'name="kind" value="tasks-xlsx"' in page.content.decode() and "共有 <strong>2</strong> 条记录" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports-export-request"), {"kind": "tasks-xlsx", "unit": str(world.unit_a.pk)})
    job = ReportJob.objects.get()
    assert job.status == JobStatus.DONE
    ws = load_workbook(io.BytesIO(job_file(job)), read_only=True).worksheets[0]
    header, *rows = list(ws.iter_rows(values_only=True))
    assert sorted(row[header.index("任务名称")] for row in rows) == ["公益广告刊播", "背街小巷整治"]
