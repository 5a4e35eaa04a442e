"""Celery jobs of the notices app: thin wrappers around ``notices.services``.

``deliver_notice`` sends one notice (one round over its channels, fallback inside the round);
when every channel failed it retries with exponential backoff (NOTICE_RETRY_BASE_SECONDS × 1, 2,
4 …) until NOTICE_MAX_ATTEMPTS rounds are used. The others run on beat: ``release_notices``
(quiet hours ended, lost retries), ``send_digests`` (each person's digest hour) and
``escalate_overdue`` (daily, after the task reminders).
"""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="notices.jobs.deliver_notice", bind=True, acks_late=True, max_retries=None)
def deliver_notice(self, notice_id: int) -> str:
    outcome = services.deliver(notice_id)
    if outcome == "retry":
        attempts = self.request.retries + 1
        raise self.retry(countdown=services.backoff_seconds(attempts))
    return outcome


@shared_task(name="notices.jobs.release_notices")
def release_notices() -> int:
    return len(services.release_due())


@shared_task(name="notices.jobs.send_digests")
def send_digests() -> int:
    return len(services.digests_send())


@shared_task(name="notices.jobs.escalate_overdue")
def escalate_overdue() -> int:
    return len(services.escalations_run(today=timezone.localdate()))
