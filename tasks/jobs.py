"""Celery jobs of the tasks app (named ``jobs.py``, never ``tasks.py``: ``tasks`` is this Django app).

Thin wrappers: load, call the service, return a small result.
"""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="tasks.jobs.send_task_reminders")
def send_task_reminders() -> dict[str, int]:
    """Daily (beat): reminders for tasks due within 3 working days and overdue tasks."""
    result = services.reminders_send(today=timezone.localdate())
    return {"tasks": result.tasks, "created": result.created, "emailed": result.emailed}
