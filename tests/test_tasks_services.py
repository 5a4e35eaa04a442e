"""Services of the tasks app: progress entries, complete / accept / return, deadlines, reminders."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from campaign.models import AuditLog, Membership, Notification, Role
from campaign.workdays import WorkCalendar
from tasks import jobs, services
from tasks.models import Evidence, ProgressEntry, TaskStatus
from tests import factories as f
from tests.test_tasks_uploads import png_bytes

D = dt.date
SHORT = "资金未到位，其余宣传栏明年建成"  # the fixture's task reports nothing toward its 7 个: completing needs a reason


@pytest.fixture
def task(world):
    return f.TaskFactory(
        campaign=world.campaign, unit=world.unit_a, title="新建乡村宣传栏", indicator=world.leaf_ads, phase=world.phase_push,
        target_value=Decimal("7"), target_unit="个", person_name="陈联络员", leader_name="刘乡长", deadline=D(2026, 9, 30),
    )


def test_first_progress_entry_starts_the_task_and_stores_the_photo(world, task):
    photo = SimpleUploadedFile("宣传栏.jpg", png_bytes(), content_type="image/jpeg")
    entry, created = services.progress_add(task=task, author=world.official_a, text="新建宣传栏3个", value=Decimal("3"), files=[photo])
    task.refresh_from_db()
    assert created and task.status == TaskStatus.IN_PROGRESS
    evidence = Evidence.objects.get(entry=entry)
    assert evidence.original_name == "宣传栏.jpg" and evidence.content_type == "image/png"
    assert evidence.file.name.startswith("evidence/tasks/") and evidence.file.name.endswith(".png")
    assert AuditLog.objects.filter(action="task.progress", object_id=str(task.pk)).count() == 1


def test_the_same_form_posted_twice_creates_one_entry(world, task):
    token = uuid.uuid4()
    first, created1 = services.progress_add(task=task, author=world.official_a, text="新建宣传栏3个", value=Decimal("3"), client_token=token)
    second, created2 = services.progress_add(task=task, author=world.official_a, text="新建宣传栏3个", value=Decimal("3"), client_token=token)
    assert (created1, created2) == (True, False)
    assert first.pk == second.pk
    assert ProgressEntry.objects.filter(task=task).count() == 1


def test_a_race_past_the_token_lookup_returns_the_first_entry_and_stores_no_second_file(world, task, monkeypatch):
    token = uuid.uuid4()
    first, _ = services.progress_add(task=task, author=world.official_a, text="新建宣传栏3个", client_token=token)
    # The second request looked for the token before the first one committed.
    real_filter = ProgressEntry.objects.filter
    calls = {"n": 0}

    def filter_once_empty(*args, **kwargs):
        if "client_token" in kwargs and calls["n"] == 0:
            calls["n"] += 1
            return ProgressEntry.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(ProgressEntry.objects, "filter", filter_once_empty)
    photo = SimpleUploadedFile("宣传栏.png", png_bytes(), content_type="image/png")
    again, created = services.progress_add(task=task, author=world.official_a, text="新建宣传栏3个", files=[photo], client_token=token)
    assert (again.pk, created) == (first.pk, False)
    assert ProgressEntry.objects.count() == 1
    assert not Evidence.objects.exists()


def test_an_accepted_task_takes_no_more_progress(world, task):
    task.status, task.completed_on = TaskStatus.ACCEPTED, D(2026, 9, 28)
    task.save()
    with pytest.raises(ValidationError, match="已验收"):
        services.progress_add(task=task, author=world.official_a, text="补充")


def test_complete_then_accept_keeps_the_completion_date_and_records_both(world, task):
    services.task_complete(task=task, user=world.official_a, today=D(2026, 9, 30), reason=SHORT)
    services.task_accept(task=task, user=world.admin)
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED
    assert task.completed_on == D(2026, 9, 30)
    assert task.accepted_by == world.admin
    actions = list(AuditLog.objects.filter(object_type="tasks.Task", object_id=str(task.pk)).order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["task.complete", "task.accept"]


def test_returning_a_task_reopens_it_and_keeps_the_reason(world, task):
    services.task_complete(task=task, user=world.official_a, today=D(2026, 9, 29), reason=SHORT)
    services.task_return(task=task, user=world.admin, reason="照片不能反映宣传栏内容，请补充。")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.completed_on is None
    assert task.return_reason == "照片不能反映宣传栏内容，请补充。"
    log = AuditLog.objects.get(action="task.return")
    assert log.before["status"] == "completed" and log.after["status"] == "in_progress"


def test_return_needs_a_reason_and_a_completed_task(world, task):
    with pytest.raises(ValidationError, match="已完成"):
        services.task_return(task=task, user=world.admin, reason="不合格")
    services.task_complete(task=task, user=world.official_a, today=D(2026, 9, 29), reason=SHORT)
    with pytest.raises(ValidationError, match="退回原因"):
        services.task_return(task=task, user=world.admin, reason="  ")


def test_a_completed_task_cannot_be_completed_again(world, task):
    services.task_complete(task=task, user=world.official_a, today=D(2026, 9, 29), reason=SHORT)
    with pytest.raises(ValidationError, match="不能再标记完成"):
        services.task_complete(task=task, user=world.official_a, today=D(2026, 9, 30), reason=SHORT)


def test_setting_a_deadline_in_working_days_over_national_day(world, task):
    services.task_set_deadline(task=task, user=world.admin, start=D(2026, 9, 30), working_days=3, calendar=WorkCalendar({}))
    task.refresh_from_db()
    assert task.deadline == D(2026, 10, 10)
    assert task.deadline_text == "9月30日起3个工作日"
    assert AuditLog.objects.filter(action="task.deadline").count() == 1


# ---------------------------------------------------------------------------
# Reminders


@pytest.fixture
def reminder_world(world):
    """Today 2026-10-09 (Fri): one task overdue, one due on the make-up Saturday, one far off, one done late."""
    today = D(2026, 10, 9)
    person = f.UserFactory(username="chen_person", email="chen@example.cn")
    overdue = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="宣传栏建设", deadline=D(2026, 9, 30), person=person)
    soon = f.TaskFactory(campaign=world.campaign, unit=world.unit_b, title="农贸市场整治", deadline=D(2026, 10, 10))
    far = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="志愿服务", deadline=D(2026, 11, 30))
    done = f.TaskFactory(
        campaign=world.campaign, unit=world.unit_a, title="公益广告", deadline=D(2026, 9, 1), status=TaskStatus.COMPLETED,
        completed_on=D(2026, 9, 5),
    )
    return today, person, overdue, soon, far, done


def test_reminders_go_to_the_responsible_person_and_the_unit_officials(world, reminder_world):
    today, person, overdue, soon, far, done = reminder_world
    result = services.reminders_send(today=today, calendar=WorkCalendar({}))
    got = set(Notification.objects.values_list("user__username", "key"))
    assert got == {
        ("official_a", f"task-deadline:{overdue.pk}"),
        ("chen_person", f"task-deadline:{overdue.pk}"),
        ("official_b", f"task-deadline:{soon.pk}"),
    }
    assert (result.tasks, result.created) == (2, 3)
    assert "已逾期9天" in Notification.objects.get(user=person).message  # 9月30日 → 10月9日


def test_the_reminder_job_run_twice_on_one_day_notifies_once(world, reminder_world):
    today = reminder_world[0]
    first = services.reminders_send(today=today, calendar=WorkCalendar({}))
    second = services.reminders_send(today=today, calendar=WorkCalendar({}))
    assert first.created == 3 and second.created == 0
    assert Notification.objects.count() == 3
    # The next day reminds again.
    services.reminders_send(today=today + dt.timedelta(days=1), calendar=WorkCalendar({}))
    assert Notification.objects.count() == 6


def test_the_celery_job_calls_the_service(world, reminder_world, monkeypatch):
    seen = {}

    def fake(*, today):
        seen["today"] = today
        return services.ReminderResult(1, 2, 0)

    monkeypatch.setattr(services, "reminders_send", fake)
    assert jobs.send_task_reminders() == {"tasks": 1, "created": 2, "emailed": 0}
    assert isinstance(seen["today"], dt.date)


@override_settings(EMAIL_HOST="smtp.example.cn", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_reminders_are_emailed_when_mail_is_configured(world, reminder_world):
    services.reminders_send(today=reminder_world[0], calendar=WorkCalendar({}))
    assert [m.to for m in mail.outbox] == [["chen@example.cn"]]  # the officials have no address
    services.reminders_send(today=reminder_world[0], calendar=WorkCalendar({}))
    assert len(mail.outbox) == 1


def test_no_email_without_a_mail_host(world, reminder_world, settings):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.reminders_send(today=reminder_world[0], calendar=WorkCalendar({}))
    assert mail.outbox == []


def test_officials_of_a_parent_unit_are_not_reminded_about_a_community_task(world):
    Membership.objects.create(user=f.UserFactory(username="community_official"), unit=world.community_a, role=Role.OFFICIAL)
    f.TaskFactory(campaign=world.campaign, unit=world.community_a, deadline=D(2026, 9, 30))
    services.reminders_send(today=D(2026, 10, 9), calendar=WorkCalendar({}))
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["community_official"]
