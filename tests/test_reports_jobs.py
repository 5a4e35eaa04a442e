"""Report jobs: asking, de-duplicating, rendering in-process, idempotent re-runs, failures, pages, schedule."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import AssessmentPeriod, AuditLog, Notification, PeriodStatus
from reports import job_services, jobs, renderers
from reports.models import JobStatus, ReportJob
from tests import factories as f

OCT = dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A media folder per test: job ids repeat between tests, their files must not."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def october(world):
    """Two October findings for 城东街道 (0.30 each on 1.1.1) and one for 口岸街道 (0.30 on 1.2.1)."""
    inspection = f.InspectionFactory(campaign=world.campaign, created_by=world.inspector)
    for unit, indicator, point in ((world.unit_a, world.leaf_clean, world.point_a), (world.unit_a, world.leaf_clean, world.point_a),
                                   (world.unit_b, world.leaf_market, world.point_b)):
        f.FindingFactory(campaign=world.campaign, inspection=inspection, unit=unit, indicator=indicator, point=point)
    return world


def ask(world, kind="workbook-xlsx", user=None):
    return job_services.report_job_request(kind=kind, campaign=world.campaign, month=OCT, user=user or world.admin)


def files_of(job):
    folder = f"reports/{job.campaign.slug}/{job.month:%Y-%m}"
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith(f"job-{job.pk}-")]


def tmp_files_of(job):
    try:
        _dirs, names = default_storage.listdir(job_services.TMP_DIR)
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith(f"job-{job.pk}-")]


def test_asking_for_a_report_queues_a_job_and_enqueues_it_only_after_commit(world, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: sent.append((job_id, kind)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, created = ask(world)
        assert sent == []  # nothing leaves before the commit
    assert created and job.status == JobStatus.QUEUED and job.requested_by == world.admin
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [(job.pk, "workbook-xlsx")]
    assert AuditLog.objects.filter(action="report.request", object_id=str(job.pk)).exists()


def test_the_same_report_asked_twice_while_queued_returns_the_same_job(world):
    first, created_first = ask(world)
    second, created_second = ask(world, user=world.leader)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    other_kind, created = ask(world, kind="bulletin-pdf")
    assert created and other_kind.pk != first.pk


def test_a_finished_job_does_not_stop_a_new_request(world):
    first, _ = ask(world)
    ReportJob.objects.filter(pk=first.pk).update(status=JobStatus.DONE)
    second, created = ask(world)
    assert created and second.pk != first.pk


def test_officials_and_inspectors_cannot_ask_for_reports(world):
    from django.core.exceptions import PermissionDenied

    for user in (world.official_a, world.inspector, world.nobody):
        with pytest.raises(PermissionDenied):
            ask(world, user=user)


def test_without_redis_the_job_runs_in_process_and_produces_the_workbook(october, django_capture_on_commit_callbacks, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER  # the embedded default: no REDIS_URL
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = ask(october)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.progress == 100 and job.attempts == 1
    assert job.filename == "泰和市2026年10月考核数据.xlsx"
    with default_storage.open(job.file.name, "rb") as handle:
        wb = load_workbook(io.BytesIO(handle.read()))
    ranking = {row[2]: row for row in wb["排名"].iter_rows(min_row=2, values_only=True)}
    assert ranking["城东街道"][4] == 0.6 and ranking["城东街道"][10] == 99.4  # 100 − 2 × 0.30
    assert ranking["口岸街道"][10] == 99.7
    assert files_of(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"]
    assert tmp_files_of(job) == []


def test_without_redis_the_bulletin_pdf_is_produced_too(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = ask(october, kind="bulletin-pdf")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.filename == "泰和市创建全国文明城市2026年10月考核结果通报.pdf"
    with default_storage.open(job.file.name, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_a_redelivered_job_restarts_cleanly_and_ends_with_one_file(october):
    job, _ = ask(october)
    # A previous attempt died mid-render: status running, a half-written temporary file, a stale final file.
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, progress=45)
    default_storage.save(f"{job_services.TMP_DIR}/job-{job.pk}-1.part", ContentFile(b"half"))
    default_storage.save(f"reports/{october.campaign.slug}/2026-10/job-{job.pk}-workbook-xlsx.xlsx", ContentFile(b"stale"))
    job = job_services.report_job_run(job.pk)
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert files_of(job) == [f"job-{job.pk}-workbook-xlsx.xlsx"]
    assert tmp_files_of(job) == []
    with default_storage.open(job.file.name, "rb") as handle:
        assert handle.read(2) == b"PK"  # the real workbook, not the stale bytes
    # Delivered once more after it finished: nothing changes.
    again = job_services.report_job_run(job.pk)
    assert again.attempts == 2 and again.file.name == job.file.name
    assert len(files_of(job)) == 1


def test_a_failed_render_shows_why_and_can_be_retried(october, monkeypatch, django_capture_on_commit_callbacks):
    def broken(data, progress=None):
        raise ValueError("指标编号缺失")

    monkeypatch.setitem(renderers.RENDERERS, "workbook-xlsx", broken)
    job, _ = ask(october)
    job = job_services.report_job_run(job.pk)
    assert job.status == JobStatus.FAILED
    assert "指标编号缺失" in job.error and job.error.startswith("生成失败")
    assert job_services.report_job_run(job.pk).status == JobStatus.FAILED  # a stray re-delivery does not resurrect it
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_services.report_job_retry(job=job, user=october.admin)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2 and job.error == ""


def test_only_failed_jobs_can_be_retried(world):
    from django.core.exceptions import ValidationError

    job, _ = ask(world)
    with pytest.raises(ValidationError):
        job_services.report_job_retry(job=job, user=world.admin)


def test_transient_database_errors_are_retried_then_the_job_fails(world, monkeypatch):
    calls = []

    def flaky(job_id):
        calls.append(job_id)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(job_services, "report_job_run", flaky)
    job, _ = ask(world)
    result = jobs.render_report.apply(args=[job.pk])
    assert result.failed()
    assert len(calls) == jobs.MAX_RETRIES + 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "数据库连接多次失败" in job.error


def test_backoff_doubles_up_to_five_minutes():
    assert [jobs._backoff(n) for n in range(7)] == [10, 20, 40, 80, 160, 300, 300]


def test_pdf_jobs_go_to_the_pdf_queue(settings):
    from config.celery import app

    assert app.amqp.router.route({}, "reports.jobs.render_pdf_report")["queue"].name == "pdf"
    assert app.amqp.router.route({}, "reports.jobs.render_report")["queue"].name == "celery"
    assert jobs.render_pdf_report.acks_late and jobs.render_pdf_report.reject_on_worker_lost
    assert jobs.render_pdf_report.soft_time_limit < jobs.render_pdf_report.time_limit
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.REPORT_TIME_LIMIT


# ---------------------------------------------------------------- pages

def test_admin_sees_the_jobs_page_with_the_form(world, client_for):
    response = client_for(world.admin).get(reverse("reports-jobs"))
    assert response.status_code == 200
    assert "生成报表" in response.content.decode()


@pytest.mark.parametrize("who", ["official_a", "inspector", "nobody"])
def test_others_get_404_on_every_job_page(world, client_for, who):
    job, _ = ask(world)
    client = client_for(getattr(world, who))
    for name in ("reports-jobs", "reports-job-detail", "reports-job-download"):
        args = [] if name == "reports-jobs" else [job.pk]
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("reports-job-retry", args=[job.pk])).status_code == 404


def test_a_leader_asks_for_a_report_through_the_site_and_is_sent_to_its_page(world, client_for, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: None)
    client = client_for(world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports-jobs"), {"kind": "bulletin-pdf", "month": "2026-10"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports-job-detail", args=[job.pk])
    again = client.post(reverse("reports-jobs"), {"kind": "bulletin-pdf", "month": "2026-10"})
    assert again["Location"] == response["Location"] and ReportJob.objects.count() == 1


def test_the_progress_fragment_polls_while_running_and_stops_when_done(world, client_for):
    job, _ = ask(world)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress=45, message="正在写入扣分明细")
    client = client_for(world.admin)
    fragment = client.get(reverse("reports-job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment and "45%" in fragment and "正在写入扣分明细" in fragment
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100, file="reports/x.xlsx", filename="考核数据.xlsx")
    fragment = client.get(reverse("reports-job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and reverse("reports-job-download", args=[job.pk]) in fragment


def test_a_failed_job_page_says_why_and_offers_a_retry(world, client_for):
    job, _ = ask(world)
    job_services.report_job_fail(job.pk, "生成失败：ValueError: 指标编号缺失")
    page = client_for(world.admin).get(reverse("reports-job-detail", args=[job.pk])).content.decode()
    assert "指标编号缺失" in page and reverse("reports-job-retry", args=[job.pk]) in page


def test_download_streams_the_file_and_is_audited(october, client_for):
    job, _ = ask(october)
    job_services.report_job_run(job.pk)
    response = client_for(october.leader).get(reverse("reports-job-download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    log = AuditLog.objects.get(action="report.download")
    assert log.actor == october.leader and log.object_id == str(job.pk)


def test_download_of_an_unfinished_job_is_404(world, client_for):
    job, _ = ask(world)
    assert client_for(world.admin).get(reverse("reports-job-download", args=[job.pk])).status_code == 404
    assert not AuditLog.objects.filter(action="report.download").exists()


# ---------------------------------------------------------------- schedule and command

def test_on_the_first_the_schedule_renders_last_months_published_reports(world, monkeypatch):
    sent = []
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: sent.append(kind))
    AssessmentPeriod.objects.create(campaign=world.campaign, month=OCT, status=PeriodStatus.PUBLISHED)
    done = job_services.monthly_reports_request(today=dt.date(2026, 11, 1))
    assert sorted(j.kind for j in done["jobs"]) == ["bulletin-pdf", "workbook-xlsx"]
    assert all(j.month == OCT and j.requested_by is None for j in done["jobs"])
    assert done["notified"] == []


def test_on_the_first_an_unpublished_month_notifies_the_admins_once(world):
    done = job_services.monthly_reports_request(today=dt.date(2026, 11, 1))
    assert done["jobs"] == [] and done["notified"] == [world.admin]
    notice = Notification.objects.get(user=world.admin)
    assert "2026年10月考核结果尚未发布" in notice.message
    assert job_services.monthly_reports_request(today=dt.date(2026, 11, 1))["notified"] == []
    assert ReportJob.objects.count() == 0


def test_the_beat_schedule_runs_on_the_first_of_each_month(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-monthly"]
    assert entry["task"] == "reports.jobs.monthly_reports"
    assert entry["schedule"].day_of_month == {1}


def test_render_report_command_writes_the_same_file(october, tmp_path):
    out = tmp_path / "oct.xlsx"
    call_command("render_report", campaign="taihe-2026", month="2026-10", kind="workbook-xlsx", out=str(out))
    wb = load_workbook(out)
    ranking = {row[2]: row[10] for row in wb["排名"].iter_rows(min_row=2, values_only=True)}
    assert ranking["城东街道"] == 99.4
    assert Decimal("99.4") == Decimal(str(ranking["城东街道"]))


def test_the_jobs_page_preselects_kind_and_month_from_the_link(world, client_for):
    page = client_for(world.admin).get(reverse("reports-jobs") + "?kind=bulletin-pdf&month=2026-10").content.decode()
    assert 'value="bulletin-pdf" selected' in page and 'value="2026-10" selected' in page
