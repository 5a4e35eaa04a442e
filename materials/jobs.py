"""Celery jobs of 材料审核 (thin: call the service)."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="materials.jobs.notify_overdue_materials")
def notify_overdue_materials() -> dict[str, int]:
    """Daily (beat): each unit is told once per standard whose deadline passed with items still owed."""
    return {"notified": services.overdue_notify(today=timezone.localdate())}
