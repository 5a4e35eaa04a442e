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
from django.utils import timezone
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
    assert ranking["城东街道"][4] == -0.6 and ranking["城东街道"][10] == 99.4  # 100 − 2 × 0.30 (deductions negative, as the page shows them)
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
    # A previous attempt died mid-render (its heartbeat stopped 10 minutes ago): status running,
    # a half-written temporary file, a stale final file.
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, progress=45, heartbeat_at=timezone.now() - dt.timedelta(minutes=10)
    )
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
    log = AuditLog.objects.get(action="file.download")  # one row per download, naming the job
    assert log.actor == october.leader and log.object_id == str(job.pk)
    assert not AuditLog.objects.filter(action="report.download").exists()


def test_download_of_an_unfinished_job_is_404(world, client_for):
    job, _ = ask(world)
    assert client_for(world.admin).get(reverse("reports-job-download", args=[job.pk])).status_code == 404
    assert not AuditLog.objects.filter(action__in=["report.download", "file.download"]).exists()


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


# ---------------------------------------------------------------- jobs that always end (issue 11)

def _age(job, **delta):
    """Pretend the job's last heartbeat (and start) happened ``delta`` ago."""
    then = timezone.now() - dt.timedelta(**delta)
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=then, started_at=then)


def _broken_broker(*args, **kwargs):
    from kombu.exceptions import OperationalError as KombuOperationalError

    raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")


@pytest.mark.django_db(transaction=True)  # real commits: on_commit runs inside the request, as in production
def test_redis_down_at_request_time_fails_the_job_with_a_clear_message_and_retry_then_works(october, client_for, monkeypatch):
    monkeypatch.setattr(jobs.render_report, "apply_async", _broken_broker)
    client = client_for(october.admin)
    response = client.post(reverse("reports-jobs"), {"kind": "workbook-xlsx", "month": "2026-10"}, follow=True)
    assert response.status_code == 200  # not a 500
    job = ReportJob.objects.get()
    assert job.status == JobStatus.FAILED and job.error == job_services.ENQUEUE_FAILED
    page = response.content.decode()
    assert "消息队列 Redis 连接失败" in page and reverse("reports-job-retry", args=[job.pk]) in page
    # Not left queued: asking again makes a new job instead of waiting for the dead one.
    monkeypatch.undo()
    retried = client.post(reverse("reports-job-retry", args=[job.pk]), follow=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert "已重新提交生成" in retried.content.decode()


def test_a_running_job_whose_heartbeat_stopped_does_not_block_a_new_request(world):
    stuck, _ = ask(world)
    ReportJob.objects.filter(pk=stuck.pk).update(status=JobStatus.RUNNING, attempts=1)
    _age(stuck, seconds=30)  # younger than REPORT_STALE_SECONDS: healthy, the request waits for it
    same, created = ask(world)
    assert (same.pk, created) == (stuck.pk, False)
    _age(stuck, minutes=10)
    fresh, created = ask(world)
    assert created and fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == JobStatus.FAILED and stuck.error == job_services.SUPERSEDED


def test_a_queued_job_nobody_picked_up_does_not_block_a_new_request(world, settings):
    lost, _ = ask(world)
    _age(lost, seconds=settings.REPORT_QUEUED_STALE_SECONDS - 60)
    assert ask(world)[0].pk == lost.pk
    _age(lost, seconds=settings.REPORT_QUEUED_STALE_SECONDS + 60)
    fresh, created = ask(world)
    assert created and fresh.pk != lost.pk


def test_a_delivery_for_a_job_another_worker_renders_right_now_leaves_it_alone(october):
    job, _ = ask(october)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, progress=45)
    _age(job, seconds=5)
    again = job_services.report_job_run(job.pk)
    assert again.status == JobStatus.RUNNING and again.attempts == 1 and again.progress == 45
    assert files_of(job) == []


def test_the_sweeper_requeues_a_stale_running_job_a_bounded_number_of_times_then_fails_it(world, monkeypatch, settings):
    sent = []
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: sent.append(job_id) or True)
    settings.REPORT_MAX_REQUEUES = 2
    job, _ = ask(world)
    healthy, _ = ask(world, kind="bulletin-pdf")
    ReportJob.objects.filter(pk__in=[job.pk, healthy.pk]).update(status=JobStatus.RUNNING, attempts=1)
    _age(healthy, seconds=10)
    for round_ in (1, 2):
        _age(job, seconds=settings.REPORT_STALE_SECONDS + 1)
        with django_on_commit():
            done = job_services.report_jobs_sweep()
        assert done["requeued"] == [job.pk]
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.requeues == round_
        assert f"第{round_}次" in job.message
        ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)  # a worker took it, and died again
    assert sent == [job.pk, job.pk]
    _age(job, seconds=settings.REPORT_STALE_SECONDS + 1)
    done = job_services.report_jobs_sweep()
    assert done == {"requeued": [], "failed": [job.pk], "parts": [], "merged": []}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == job_services.GAVE_UP_RUNNING
    healthy.refresh_from_db()
    assert healthy.status == JobStatus.RUNNING and healthy.requeues == 0  # its heartbeat is fresh


def test_the_sweeper_sends_a_lost_queued_job_again_then_gives_up(world, monkeypatch, settings):
    sent = []
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: sent.append(job_id) or True)
    settings.REPORT_MAX_REQUEUES = 1
    job, _ = ask(world)
    assert job_services.report_jobs_sweep()["requeued"] == []  # just queued
    _age(job, seconds=settings.REPORT_QUEUED_STALE_SECONDS + 1)
    with django_on_commit():
        assert job_services.report_jobs_sweep()["requeued"] == [job.pk]
    assert sent == [job.pk]
    _age(job, seconds=settings.REPORT_QUEUED_STALE_SECONDS + 1)
    assert job_services.report_jobs_sweep()["failed"] == [job.pk]
    job.refresh_from_db()
    assert job.error == job_services.GAVE_UP_QUEUED


def test_a_user_retry_resets_the_requeue_bound(world, monkeypatch):
    monkeypatch.setattr(job_services, "report_job_enqueue", lambda job_id, kind: True)
    job, _ = ask(world)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, requeues=2)
    job = job_services.report_job_retry(job=job, user=world.admin)
    assert job.status == JobStatus.QUEUED and job.requeues == 0


def test_sweeper_and_heartbeat_settings_sit_well_below_the_visibility_timeout(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reports-sweep"]
    assert entry["task"] == "reports.jobs.sweep_report_jobs"
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.REPORT_HEARTBEAT_SECONDS * 2 <= settings.REPORT_STALE_SECONDS
    # A dead worker's job is back in the queue within stale + one sweep, a small part of the hour Redis waits.
    assert settings.REPORT_STALE_SECONDS + entry["schedule"] <= visibility / 10
    assert app.conf.worker_max_memory_per_child == settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
    assert 0 < app.conf.worker_max_memory_per_child <= 2 * 1024 * 1024  # KiB: at most 2 GiB per process
    for name in ("reports.jobs.render_bulletin_chunk", "reports.jobs.finish_bulletin"):
        assert app.amqp.router.route({}, name)["queue"].name == "pdf"


class django_on_commit:
    """Run on_commit callbacks registered inside the block (the test itself runs in a transaction)."""

    def __enter__(self):
        from django.db import connection

        self.connection = connection
        self.start = len(connection.run_on_commit)
        return self

    def __exit__(self, *exc):
        callbacks = self.connection.run_on_commit[self.start:]
        del self.connection.run_on_commit[self.start:]
        for _sids, callback, _robust in callbacks:
            callback()
        return False


# ---------------------------------------------------------------- the full bulletin in parts (issue 14)

def _unit(unit_id, name, group, n_lines, score="100.00"):
    from reports.scoring import ScoreLine, UnitScore

    lines = [ScoreLine("finding", f"{name}问题{i}", Decimal("-0.10"), "1.1.1", f"点位{i}", OCT, "inspections.finding", unit_id * 100 + i)
             for i in range(n_lines)]
    return UnitScore(unit_id=unit_id, unit_name=name, unit_type="street", ranking_group=group, full_score=Decimal("100.00"),
                     finding_deductions=Decimal("0"), penalty_deductions=Decimal("0"), task_deductions=Decimal("0"),
                     bonus=Decimal("0"), corrections=Decimal("0"), pass_rate=None, score=Decimal(score), score_rate=None,
                     rank=1, change=None, lines=lines)


def _hand_built(groups):
    from reports.data import build_report_data

    units = [u for _name, members in groups for u in members]
    return build_report_data(campaign_name="泰和市2026年创建全国文明城市", city_name="泰和市", year=2026, month=OCT,
                             is_published=True, units=units, groups=groups, kind_label="全国文明城市")


def test_the_bulletin_is_cut_per_group_into_slices_of_at_most_n_lines_without_splitting_a_unit():
    street = [_unit(1, "城东街道", "乡镇街道组", 3), _unit(2, "口岸街道", "乡镇街道组", 2), _unit(3, "城西街道", "乡镇街道组", 4),
              _unit(4, "城北街道", "乡镇街道组", 0), _unit(5, "坡子街", "乡镇街道组", 7)]
    dept = [_unit(6, "市城管局", "市直部门组", 0)]
    community = [_unit(7, "迎春社区", "社区组", 1)]
    plan = renderers.plan_bulletin_chunks(_hand_built([("乡镇街道组", street), ("市直部门组", dept), ("社区组", community)]), max_rows=5)
    # 3+2 = 5 fits; 4 starts a new slice; no lines → no appendix; 7 > 5 alone in its own slice;
    # 市直部门组 has no lines at all → no part; a group never shares a slice with another.
    assert [(p.group, p.unit_ids, p.first_of_group, p.first_of_appendix) for p in plan] == [
        ("", (), False, False),
        ("乡镇街道组", (1, 2), True, True),
        ("乡镇街道组", (3,), False, False),
        ("乡镇街道组", (5,), False, False),
        ("社区组", (7,), True, False),
    ]
    assert plan[0].front and plan[1].label == "附件·乡镇街道组（第1/3段），2个单位"


def _read_pdf(content):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(content))


def _outline(reader):
    """[(title, page number 1-based, [children…])] of the PDF's bookmarks."""
    def walk(items):
        out = []
        for n, item in enumerate(items):
            if isinstance(item, list):
                continue
            children = items[n + 1] if n + 1 < len(items) and isinstance(items[n + 1], list) else []
            out.append((item.title, reader.get_destination_page_number(item) + 1, walk(children)))
        return out

    return walk(reader.outline)


def test_the_merged_bulletin_has_continuous_page_numbers_a_contents_page_and_bookmarks_per_group_and_unit():
    street = [_unit(1, "城东街道", "乡镇街道组", 70, "93.00"), _unit(2, "口岸街道", "乡镇街道组", 3, "99.70"),
              _unit(3, "城西街道", "乡镇街道组", 45, "95.50")]
    community = [_unit(4, "迎春社区", "社区组", 2, "99.80"), _unit(5, "白云社区", "社区组", 0)]
    dept = [_unit(6, "市城管局", "市直部门组", 0)]
    data = _hand_built([("乡镇街道组", street), ("社区组", community), ("市直部门组", dept)])
    plan = renderers.plan_bulletin_chunks(data, max_rows=50)
    assert [p.unit_ids for p in plan] == [(), (1,), (2, 3), (4,)]
    parts = [renderers.render_bulletin_part(renderers.bulletin_part_payload(data, p)) for p in plan]
    assert parts[1].pages >= 2  # 70 lines: the unit runs over a page break inside its part
    rendered, outline = renderers.merge_bulletin_parts(parts, title=data.title, filename=f"{data.title}.pdf")
    reader = _read_pdf(rendered.content)
    total = len(reader.pages)
    texts = [page.extract_text() for page in reader.pages]
    assert total == outline["pages"] > sum(p.pages for p in parts)  # plus the 目录
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 / 共 {total} 页" in text, number  # every page, numbered across the parts
    assert data.title in texts[0]
    # Stamping leaves every page's content compressed, with the uncompressed originals dropped:
    # the merged file is about the parts' size, not three or four times it.
    assert all(page["/Contents"].get_object().get("/Filter") == "/FlateDecode" for page in reader.pages)
    assert len(rendered.content) < 1.5 * sum(len(p.content) for p in parts)

    tree = _outline(reader)
    titles = [t for t, _p, _c in tree]
    assert titles[:2] == ["一、总体情况", "二、考核排名"] and titles[-2:] == ["附件目录", "附件：各单位扣分明细"]
    ranking = dict((t, c) for t, _p, c in tree)["二、考核排名"]
    assert [t for t, _p, _c in ranking if t in dict(data.groups)] == ["乡镇街道组", "社区组", "市直部门组"]
    appendix = tree[-1][2]
    # Groups and units with lines, units in the order they are printed (the order given: rank order).
    assert [(g, [u for u, _p, _c in units]) for g, _p, units in appendix] == [
        ("乡镇街道组", ["城东街道", "口岸街道", "城西街道"]), ("社区组", ["迎春社区"]),
    ]
    contents_page = dict((t, p) for t, p, _c in tree)["附件目录"]
    contents = "\n" + "\n".join(texts[contents_page - 1:tree[-1][1] - 1])
    for group, group_page, units in appendix:
        assert group in texts[group_page - 1] and f"\n{group_page}{group}\n" in contents
        for name, page, _c in units:
            assert f"{name}（" in texts[page - 1] and f"{name}（" not in texts[page - 2], (name, page)
            assert f"\n{page}{name}\n" in contents, (name, page)  # 目录 row: page number, then the name
    for unit in outline["units"]:  # each unit's pages: from its heading to its last line, no page more
        pages = texts[unit["start"] - 1:unit["end"]]
        assert f"{unit['name']}（" in pages[0] and all(f"{unit['name']}问题" in t for t in pages), unit
        assert unit["end"] == total or f"{unit['name']}问题" not in texts[unit["end"]], unit
    by_name = {u["name"]: u for u in outline["units"]}
    assert by_name["城东街道"]["end"] > by_name["城东街道"]["start"]
    assert by_name["城西街道"]["start"] >= by_name["口岸街道"]["end"] and outline["units"][-1]["end"] == total


def test_a_chunked_bulletin_job_merges_its_parts_shows_them_and_offers_each_units_appendix(
    october, settings, client_for, django_capture_on_commit_callbacks
):
    # 口岸街道 (99.70, 1 line) ranks before 城东街道 (99.40, 2 lines); each gets a part of its own.
    settings.REPORT_CHUNK_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = ask(october, kind="bulletin-pdf")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    chunks = list(job.chunks.order_by("index"))
    assert [(c.index, c.unit_ids, c.status, c.attempts) for c in chunks] == [
        (0, [], "done", 1), (1, [october.unit_b.pk], "done", 1), (2, [october.unit_a.pk], "done", 1),
    ]
    assert files_of(job) == [f"job-{job.pk}-bulletin-pdf.pdf"] and tmp_files_of(job) == []  # parts cleared
    with default_storage.open(job.file.name, "rb") as handle:
        reader = _read_pdf(handle.read())
    total = len(reader.pages)
    assert [u["name"] for u in job.outline["units"]] == ["口岸街道", "城东街道"] and job.outline["pages"] == total
    page = client_for(october.admin).get(reverse("reports-job-detail", args=[job.pk])).content.decode()
    link = reverse("reports-job-unit-appendix", args=[job.pk, october.unit_b.pk])
    assert link in page and "各单位附件" in page
    response = client_for(october.leader).get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    excerpt = _read_pdf(response.content)
    text = "".join(p.extract_text() for p in excerpt.pages)
    unit_b = job.outline["units"][0]
    assert len(excerpt.pages) == unit_b["end"] - unit_b["start"] + 1
    assert "口岸街道（" in text and "城东街道（" not in text
    # The excerpt numbers its own pages from 1, not the bulletin's (issue 14).
    pages = [p.extract_text() for p in excerpt.pages]
    for number, page_text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page_text
        assert f"共 {total} 页" not in page_text or total == len(pages)
    assert f"第 {unit_b['start']} 页" not in text or unit_b["start"] == 1
    appendix_logs = AuditLog.objects.filter(action="file.download", object_id=str(job.pk), actor=october.leader)
    assert ["附件·口岸街道" in row.after["filename"] for row in appendix_logs] == [True]
    assert not AuditLog.objects.filter(action="report.download").exists()
    assert client_for(october.official_a).get(link).status_code == 404
    assert client_for(october.admin).get(reverse("reports-job-unit-appendix", args=[job.pk, october.dept.pk])).status_code == 404


def test_a_failed_part_is_retried_alone(october, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REPORT_CHUNK_ROWS = 1
    real = renderers.render_bulletin_part
    calls = []

    def flaky(payload):
        index = 0 if payload["front"] else payload["items"][0]["unit"].unit_id
        calls.append(index)
        if index == october.unit_b.pk and calls.count(index) == 1:
            raise RuntimeError("字体缓存损坏")
        return real(payload)

    monkeypatch.setattr(renderers, "render_bulletin_part", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = ask(october, kind="bulletin-pdf")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert sorted(calls) == sorted([0, october.unit_a.pk, october.unit_b.pk, october.unit_b.pk])  # only that part twice
    assert [c.attempts for c in job.chunks.order_by("index")] == [1, 2, 1]  # part 1 is 口岸街道
    assert job.attempts == 1


def test_a_part_failing_every_time_fails_the_job_with_its_reason(october, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REPORT_CHUNK_ROWS = 1
    real = renderers.render_bulletin_part

    def broken(payload):
        if not payload["front"] and payload["items"][0]["unit"].unit_id == october.unit_b.pk:
            raise RuntimeError("字体缓存损坏")
        return real(payload)

    monkeypatch.setattr(renderers, "render_bulletin_part", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = ask(october, kind="bulletin-pdf")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "附件第 1 部分" in job.error and "字体缓存损坏" in job.error
    assert job.chunks.get(index=1).attempts == job_services.CHUNK_MAX_ATTEMPTS


def test_the_sweeper_resends_only_the_part_whose_worker_died(october, settings, monkeypatch):
    from reports.models import ReportChunk

    settings.REPORT_CHUNK_ROWS = 1
    sent = []
    monkeypatch.setattr(job_services, "report_chunk_enqueue", lambda job_id, attempt, index, countdown=0: sent.append(index) or True)
    job, _ = ask(october, kind="bulletin-pdf")
    job = job_services.report_job_run(job.pk)  # plans three parts; nothing renders them (enqueue stubbed)
    assert sent == [0, 1, 2] and job.status == JobStatus.RUNNING
    sent.clear()
    old = timezone.now() - dt.timedelta(seconds=settings.REPORT_STALE_SECONDS + 5)
    ReportChunk.objects.filter(job=job, index=0).update(status=JobStatus.DONE)
    ReportChunk.objects.filter(job=job, index=1).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=old)  # its worker died
    ReportChunk.objects.filter(job=job, index=2).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    with django_on_commit():
        done = job_services.report_jobs_sweep()
    assert sent == [1] and len(done["parts"]) == 1 and done["requeued"] == []
    assert ReportChunk.objects.get(job=job, index=1).status == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.requeues == 1


def test_the_render_report_command_writes_the_chunked_bulletin(october, tmp_path, settings):
    settings.REPORT_CHUNK_ROWS = 1
    out = tmp_path / "oct.pdf"
    call_command("render_report", campaign="taihe-2026", month="2026-10", kind="bulletin-pdf", out=str(out))
    reader = _read_pdf(out.read_bytes())
    total = len(reader.pages)
    assert all(f"第 {n} 页 / 共 {total} 页" in p.extract_text() for n, p in enumerate(reader.pages, start=1))
    assert [t for t, _p, _c in _outline(reader)][-1] == "附件：各单位扣分明细"


def test_a_chunked_bulletin_whose_parts_wait_in_the_queue_still_blocks_a_duplicate_request(october, settings, monkeypatch):
    from reports.models import ReportChunk

    settings.REPORT_CHUNK_ROWS = 1
    monkeypatch.setattr(job_services, "report_chunk_enqueue", lambda *args, **kwargs: True)
    job, _ = ask(october, kind="bulletin-pdf")
    job_services.report_job_run(job.pk)  # planned: three parts queued, none started
    _age(job, seconds=settings.REPORT_STALE_SECONDS + 30)  # the job row itself has not beaten for a while
    assert ask(october, kind="bulletin-pdf")[0].pk == job.pk  # its parts were queued just now: healthy
    ReportChunk.objects.filter(job=job).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.REPORT_QUEUED_STALE_SECONDS + 1))
    fresh, created = ask(october, kind="bulletin-pdf")
    assert created and fresh.pk != job.pk


def test_the_job_page_shows_progress_across_parts(october, settings, monkeypatch, client_for):
    from reports.models import ReportChunk

    settings.REPORT_CHUNK_ROWS = 1
    monkeypatch.setattr(job_services, "report_chunk_enqueue", lambda *args, **kwargs: True)
    job, _ = ask(october, kind="bulletin-pdf")
    job_services.report_job_run(job.pk)
    ReportChunk.objects.filter(job=job, index=0).update(status=JobStatus.DONE, attempts=1)
    ReportChunk.objects.filter(job=job, index=1).update(status=JobStatus.RUNNING, attempts=2)
    ReportJob.objects.filter(pk=job.pk).update(progress=36, message="正在分块生成：已完成 1/3 部分")
    fragment = client_for(october.admin).get(reverse("reports-job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "已完成 1/3 部分" in fragment and "36%" in fragment
    assert "0·已完成" in fragment and "1·生成中（第2次）" in fragment and "2·排队中" in fragment
    assert 'title="附件·乡镇街道组（第1/2段），1个单位"' in fragment
