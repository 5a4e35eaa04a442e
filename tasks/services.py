"""Writes for the tasks app: progress, completion, acceptance, deadlines and reminders.

Each service enforces its rule once and records the action in the audit log.
Views call these; so do jobs and tests.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone

from campaign import audit, uploads
from campaign.models import Membership, Role
from campaign.workdays import WorkCalendar
from notices import services as notices

from . import deadlines, selectors
from .models import Evidence, ProgressEntry, Task, TaskStatus

logger = logging.getLogger(__name__)

EVIDENCE_FOLDER = "evidence/tasks"
_STATE_FIELDS = [
    "status", "completed_on", "accepted_at", "accepted_by", "return_reason", "shortfall_reason", "deadline", "deadline_text",
]


def _track(task: Task, user: Any) -> None:
    """Tell simple_history who made the change (outside a request there is no middleware to say it)."""
    task._history_user = user if getattr(user, "is_authenticated", False) else None


def progress_add(
    *,
    task: Task,
    author: Any,
    text: str,
    value: Decimal | None = None,
    files: Sequence[Any] = (),
    client_token: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[ProgressEntry, bool]:
    """Record a progress entry with its evidence files; returns ``(entry, created)``.

    The same ``client_token`` posted twice (a double click, a resent form on a
    weak signal) gives back the first entry instead of a second one. Files are
    checked by content (campaign.uploads) and stored under generated names.
    The first entry moves a 未开始 task to 进行中. An accepted task takes no
    more entries.
    """
    if client_token is not None:
        existing = ProgressEntry.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.task_id != task.pk:
                raise ValidationError("提交标识与任务不符，请刷新页面后重新填报。")
            return existing, False
    if task.status == TaskStatus.ACCEPTED:
        raise ValidationError("该任务已验收，不能再填报进展。")
    if value is not None and value < 0:
        raise ValidationError("完成数值不能为负数。")
    try:
        # The files written before a refused one are deleted again when the rows roll back.
        with uploads.atomic_with_files():
            entry = ProgressEntry(task=task, author=author, text=text, value=value, client_token=client_token)
            entry._history_user = author
            entry.save()
            for upload in files:
                uploads.store_upload(Evidence(entry=entry), upload, folder=EVIDENCE_FOLDER, user=author)
            if task.status == TaskStatus.NOT_STARTED:
                _track(task, author)
                task.status = TaskStatus.IN_PROGRESS
                task.save(update_fields=["status", "updated_at"])
    except IntegrityError:
        # Two copies of the same form raced each other: the other one won.
        if client_token is not None:
            existing = ProgressEntry.objects.filter(client_token=client_token, task=task).first()
            if existing is not None:
                return existing, False
        raise
    audit.record(
        "task.progress",
        actor=author,
        obj=task,
        after={"entry": entry.pk, "value": value, "files": len(files)},
        request=request,
        message=f"填报进展：{text[:100]}",
    )
    return entry, True


def task_complete(
    *, task: Task, user: Any, today: dt.date | None = None, reason: str = "", request: HttpRequest | None = None
) -> Task:
    """The unit marks the task complete: 已完成 with ``completed_on`` = today (on time is judged on this date).

    When the task has a quantitative target that its derived progress has not
    reached (:func:`selectors.is_target_short`), completing it needs a reason
    (``shortfall_reason``), which the office sees in red when it accepts.
    """
    if not deadlines.is_open(task.status):
        raise ValidationError(f"任务当前状态为“{task.get_status_display()}”，不能再标记完成。")
    reason = (reason or "").strip()
    progress = selectors.task_progress(task)
    short = selectors.is_target_short(task.target_value, progress)
    if short and not reason:
        unit = task.target_unit
        raise ValidationError(
            f"量化目标未达到（目标 {selectors.plain_number(task.target_value)}{unit}，"
            f"当前 {selectors.plain_number(progress or Decimal('0'))}{unit}），标记完成须填写目标未达原因。"
        )
    before = audit.snapshot(task, _STATE_FIELDS)
    _track(task, user)
    task.status = TaskStatus.COMPLETED
    task.completed_on = today or timezone.localdate()
    task.shortfall_reason = reason[:2000] if short else ""
    task.save(update_fields=["status", "completed_on", "shortfall_reason", "updated_at"])
    audit.record("task.complete", actor=user, obj=task, before=before, after=audit.snapshot(task, _STATE_FIELDS), request=request)
    return task


def task_accept(*, task: Task, user: Any, request: HttpRequest | None = None) -> Task:
    """The office accepts a completed task (已验收). Acceptance does not change ``completed_on``."""
    if task.status != TaskStatus.COMPLETED:
        raise ValidationError(f"只有“已完成”的任务才能验收，该任务当前为“{task.get_status_display()}”。")
    before = audit.snapshot(task, _STATE_FIELDS)
    _track(task, user)
    task.status = TaskStatus.ACCEPTED
    task.accepted_at = timezone.now()
    task.accepted_by = user
    task.return_reason = ""
    task.save(update_fields=["status", "accepted_at", "accepted_by", "return_reason", "updated_at"])
    audit.record("task.accept", actor=user, obj=task, before=before, after=audit.snapshot(task, _STATE_FIELDS), request=request)
    return task


def task_return(*, task: Task, user: Any, reason: str, request: HttpRequest | None = None) -> Task:
    """The office sends a completed task back (退回) with a reason: 进行中 again, completion date cleared."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("退回任务必须填写退回原因。")
    if task.status != TaskStatus.COMPLETED:
        raise ValidationError(f"只有“已完成”的任务才能退回，该任务当前为“{task.get_status_display()}”。")
    before = audit.snapshot(task, _STATE_FIELDS)
    _track(task, user)
    task.status = TaskStatus.IN_PROGRESS
    task.completed_on = None
    task.return_reason = reason
    task.shortfall_reason = ""  # asked again on the next completion
    task.save(update_fields=["status", "completed_on", "return_reason", "shortfall_reason", "updated_at"])
    audit.record(
        "task.return", actor=user, obj=task, before=before, after=audit.snapshot(task, _STATE_FIELDS), request=request,
        message=f"退回原因：{reason[:200]}",
    )
    return task


def task_set_deadline(
    *,
    task: Task,
    user: Any,
    start: dt.date,
    working_days: int,
    calendar: WorkCalendar | None = None,
    request: HttpRequest | None = None,
) -> Task:
    """Set the deadline to ``working_days`` 工作日 after ``start`` (see :func:`deadlines.working_day_deadline`)."""
    if working_days < 1:
        raise ValidationError("工作日数必须至少为 1。")
    before = audit.snapshot(task, _STATE_FIELDS)
    _track(task, user)
    task.deadline = deadlines.working_day_deadline(start, working_days, calendar)
    task.deadline_text = f"{start.month}月{start.day}日起{working_days}个工作日"
    task.is_ongoing = False
    task.save(update_fields=["deadline", "deadline_text", "is_ongoing", "updated_at"])
    audit.record(
        "task.deadline", actor=user, obj=task, before=before, after=audit.snapshot(task, _STATE_FIELDS), request=request
    )
    return task


# ---------------------------------------------------------------------------
# Reminders


@dataclass(frozen=True)
class ReminderResult:
    tasks: int
    created: int
    emailed: int


def reminder_key(task: Task) -> str:
    return f"task-deadline:{task.pk}"


def _reminder_message(task: Task, *, today: dt.date) -> str:
    if deadlines.is_overdue(deadline=task.deadline, status=task.status, today=today):
        days = deadlines.days_overdue(deadline=task.deadline, status=task.status, today=today)
        return f"【逾期】任务“{task.title}”（{task.unit.name}）完成时限为{task.deadline:%Y年%m月%d日}，已逾期{days}天，请尽快完成。"
    return f"【即将到期】任务“{task.title}”（{task.unit.name}）将于{task.deadline:%Y年%m月%d日}到期，请按时完成。"


def reminders_send(*, today: dt.date, calendar: WorkCalendar | None = None) -> ReminderResult:
    """Notify about tasks due within 3 working days and overdue tasks, once per task per user per day.

    Recipients: the task's responsible person (if they have an account) and
    the unit officials of the task's unit. Running the job twice on one day
    adds nothing: the (user, key, day) unique constraint and the existing-key
    check make it idempotent. Notices go through ``notices.services.notify_many``
    (in-app at once; e-mail/SMS as routed, only for new notices and only where
    the channel is configured); overdue tasks stay on the escalation watch list.
    """
    calendar = calendar or WorkCalendar.load()
    due = list(
        Task.objects.filter(campaign__is_active=True)
        .filter(deadlines.overdue_q(today) | deadlines.due_soon_q(today, calendar))
        .select_related("unit", "person")
        .order_by("pk")
    )
    if not due:
        return ReminderResult(0, 0, 0)
    officials: dict[int, list[Any]] = {}
    for m in Membership.objects.filter(role=Role.OFFICIAL, unit_id__in={t.unit_id for t in due}, user__is_active=True).select_related("user"):
        officials.setdefault(m.unit_id, []).append(m.user)
    items: list[notices.Item] = []
    late: dict[Any, list[Task]] = {}
    for task in due:
        recipients = list(officials.get(task.unit_id, []))
        if task.person is not None and task.person.is_active:
            recipients.append(task.person)
        overdue = deadlines.is_overdue(deadline=task.deadline, status=task.status, today=today)
        event = notices.Event.OVERDUE if overdue else notices.Event.DEADLINE_SOON
        message = _reminder_message(task, today=today)
        items += [notices.Item(event, u.pk, reminder_key(task), message, task.get_absolute_url(), task.unit_id) for u in recipients]
        if overdue:  # keeps the task on the escalation watch list while it stays overdue
            late.setdefault(task.unit, []).append(task)
            notices.watch_overdue(
                subject=reminder_key(task), unit=task.unit, since=task.deadline + dt.timedelta(days=1), today=today,
                message=message, url=task.get_absolute_url(),
            )
    # The unit's work group hears one line per day about its overdue tasks, not one message per task.
    group = {
        (unit.pk, f"tasks-overdue:{unit.pk}", notices.Event.OVERDUE,
         f"【逾期】{unit.name}有{len(tasks)}项任务已逾期：{'、'.join(t.title for t in tasks[:5])}{'等' if len(tasks) > 5 else ''}，请尽快完成。",
         tasks[0].get_absolute_url() if len(tasks) == 1 else "")
        for unit, tasks in late.items()
    }
    result = notices.notify_many(items, day=today, robot_keys=group)
    emailed = result.delivered_by(notices.Channel.EMAIL)
    return ReminderResult(tasks=len(due), created=len(result.new), emailed=emailed)
