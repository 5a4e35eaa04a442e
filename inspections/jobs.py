"""Celery jobs of the inspections app (named ``jobs.py`` so nobody confuses them with the ``tasks`` app).

Thin wrappers: call the service, return a small result.
"""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="inspections.jobs.apply_overdue_penalties")
def apply_overdue_penalties() -> dict[str, int]:
    """Daily (beat): deduct once more for findings whose unit missed a deadline; notify overdue 督办单 once;
    keep overdue findings and orders on the escalation watch list (notices.services.escalations_run, 08:30)."""
    today = timezone.localdate()
    created = services.overdue_penalties_apply(today=today)
    notified = services.orders_overdue_notify(today=today)
    watched = services.findings_overdue_watch(today=today)
    return {"created": len(created), "orders_notified": len(notified), "findings_overdue": watched}
