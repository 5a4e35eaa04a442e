"""Celery jobs of the inspections app (named ``jobs.py`` so nobody confuses them with the ``tasks`` app).

Thin wrappers: call the service, return a small result.
"""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="inspections.jobs.apply_overdue_penalties")
def apply_overdue_penalties() -> dict[str, int]:
    """Daily (beat): deduct once more for findings not accepted by their deadline."""
    created = services.overdue_penalties_apply(today=timezone.localdate())
    return {"created": len(created)}
