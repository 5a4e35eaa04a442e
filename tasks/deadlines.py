"""Deadlines: when a task is overdue, due soon, or was done on time.

The definitions, once, for every page, export and score:

- **on time**: the unit marked the task complete on or before its deadline
  (``completed_on <= deadline``). Acceptance by the office later does not
  change this; a task with no deadline (长期坚持) is never late.
- **overdue**: still open (未开始 or 进行中) on a day after its deadline. It
  counts as overdue every day until it is completed.
- **due soon**: open, not overdue, and the deadline is within the next
  ``DUE_SOON_WORKING_DAYS`` working days (today included).
- **deadline in working days**: "N 工作日 from a date" counts N working days
  after that date (the date itself not counted), skipping weekends and
  holidays and counting 调休 make-up Saturdays (:func:`working_day_deadline`).

The Python predicates judge one task; the ``*_q`` filters say the same thing
to the database for lists and dashboards (tests check that both agree).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from campaign.workdays import WorkCalendar

from .models import TaskStatus

OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
DONE_STATUSES = (TaskStatus.COMPLETED, TaskStatus.ACCEPTED)
DUE_SOON_WORKING_DAYS = 3


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_overdue(*, deadline: dt.date | None, status: str, today: dt.date) -> bool:
    return deadline is not None and is_open(status) and today > deadline


def is_on_time(*, deadline: dt.date | None, completed_on: dt.date | None) -> bool | None:
    """True/False for a completed task; None while it is not completed."""
    if completed_on is None:
        return None
    return deadline is None or completed_on <= deadline


def due_soon_limit(today: dt.date, calendar: WorkCalendar) -> dt.date:
    """The last deadline that still counts as due soon seen from ``today``."""
    return calendar.add_working_days(today, DUE_SOON_WORKING_DAYS - 1) if DUE_SOON_WORKING_DAYS > 0 else today


def is_due_soon(*, deadline: dt.date | None, status: str, today: dt.date, calendar: WorkCalendar) -> bool:
    if deadline is None or not is_open(status) or deadline < today:
        return False
    return deadline <= due_soon_limit(today, calendar)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Filter for overdue tasks (``prefix`` like ``"task__"`` for related lookups)."""
    return Q(**{f"{prefix}deadline__lt": today, f"{prefix}status__in": OPEN_STATUSES})


def due_soon_q(today: dt.date, calendar: WorkCalendar, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}deadline__gte": today,
            f"{prefix}deadline__lte": due_soon_limit(today, calendar),
            f"{prefix}status__in": OPEN_STATUSES,
        }
    )


def on_time_q(prefix: str = "") -> Q:
    """Filter for tasks completed on time (the database twin of :func:`is_on_time` for done tasks)."""
    return Q(**{f"{prefix}status__in": DONE_STATUSES}) & (
        Q(**{f"{prefix}deadline__isnull": True}) | Q(**{f"{prefix}completed_on__lte": F(f"{prefix}deadline")})
    )


def done_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": DONE_STATUSES})


def judged_q(today: dt.date, prefix: str = "") -> Q:
    """Tasks that count in the on-time rate: completed ones, and open ones whose deadline has passed."""
    return done_q(prefix) | overdue_q(today, prefix)


def working_day_deadline(start: dt.date, working_days: int, calendar: WorkCalendar | None = None) -> dt.date:
    """The deadline ``working_days`` 工作日 after ``start`` (``start`` itself not counted).

    Example: 2026-09-30 + 3 工作日 = 2026-10-10 (10月1日–7日 are the National Day
    holiday, 10月8日 and 9日 count 1 and 2, Saturday 10月10日 is a 调休 make-up
    working day and counts 3).
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    return (calendar or WorkCalendar.load()).add_working_days(start, working_days)


def days_overdue(*, deadline: dt.date | None, status: str, today: dt.date) -> int:
    """Calendar days a task has been overdue (0 when it is not overdue)."""
    if not is_overdue(deadline=deadline, status=status, today=today):
        return 0
    return (today - deadline).days  # type: ignore[operator]
