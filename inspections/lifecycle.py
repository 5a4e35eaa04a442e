"""Rules of a finding's rectification clock and of a 督办单's state, as plain functions.

Overdue (逾期) means the **unit** missed a deadline it controls:

- the unit must *submit* a rectification by the finding's ``rectify_deadline``;
- once submitted, the clock stops: the time the inspector takes to review never
  counts against the unit;
- a round sent back gives the unit a new deadline, ``campaign.return_working_days``
  working days after the return day (written into the finding's
  ``rectify_deadline`` and the returned round's ``resubmit_deadline``);
- each round records the deadline it answered (``Rectification.deadline``), so a
  late submission stays late whatever happens afterwards.

A 督办单's state is derived from its findings, never stored (see :func:`order_state`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.utils import timezone

AWAITING_UNIT = ("open", "returned")  # FindingStatus values where the unit must act


def submitted_on(rectification: Any) -> dt.date:
    """The local day a round was submitted (a round read for a report carries it as ``submitted_day``,
    computed once: ``timezone.localdate`` looks the time zone up on every call, 0.4 s on 17,000 rounds)."""
    day = getattr(rectification, "submitted_day", None)
    if day is not None:
        return day
    return timezone.localdate(rectification.submitted_at)


def missed_deadline(finding: Any, rounds: Sequence[Any], today: dt.date) -> dt.date | None:
    """The first deadline the unit missed for ``finding``, or None.

    ``rounds`` are the finding's rectification rounds in order. A round
    submitted after the deadline it answered missed that deadline; a finding
    still awaiting the unit (待整改 or 已退回) whose deadline is before ``today``
    missed its current deadline. Withdrawn findings never miss anything.
    """
    if finding.status == "withdrawn":
        return None
    for rect in sorted(rounds, key=lambda r: r.round):
        due = rect.deadline or finding.rectify_deadline
        if submitted_on(rect) > due:
            return due
    if finding.status in AWAITING_UNIT and finding.rectify_deadline < today:
        return finding.rectify_deadline
    return None


def is_overdue_now(finding: Any, today: dt.date) -> bool:
    """Still awaiting the unit after its deadline (what lists highlight as 逾期未整改)."""
    return finding.status in AWAITING_UNIT and finding.rectify_deadline < today


def waiting_working_days(submitted: dt.date, today: dt.date, calendar: Any) -> int:
    """Working days a submitted round has waited for review (the inspectors' backlog, not the unit's)."""
    return calendar.working_days_between(submitted, today)


class OrderState(models.TextChoices):
    ISSUED = "issued", "已下发"
    IN_PROGRESS = "in_progress", "办理中"
    DONE = "done", "已办结"
    OVERDUE = "overdue", "逾期"


def order_state(findings: Iterable[Any], today: dt.date) -> str:
    """The state of a 督办单 from its findings on ``today``.

    - 已办结: every finding that is not withdrawn is accepted (已销号);
    - 逾期: some finding still awaits the unit (待整改 / 已退回) past its deadline;
    - 办理中: the unit has submitted a rectification for some finding;
    - 已下发: nothing submitted yet, deadline not passed.
    """
    active = [f for f in findings if f.status != "withdrawn"]
    if all(f.status == "accepted" for f in active):
        return OrderState.DONE
    if any(is_overdue_now(f, today) for f in active):
        return OrderState.OVERDUE
    if any(f.status != "open" for f in active):
        return OrderState.IN_PROGRESS
    return OrderState.ISSUED


def order_state_label(state: str) -> str:
    return OrderState(state).label
