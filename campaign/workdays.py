"""Working days: the national holiday and 调休 calendar plus the office's own adjustments.

The national calendar comes from the maintained ``chinese_calendar`` package.
Dates it does not cover fall back to Monday–Friday. :class:`CalendarDay`
rows (entered by the office) override both.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar

from .models import CalendarDay


class WorkCalendar:
    """A calendar snapshot; build one per request or job and reuse it."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = overrides if overrides is not None else {}

    @classmethod
    def load(cls) -> "WorkCalendar":
        return cls(dict(CalendarDay.objects.values_list("date", "is_workday")))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (start itself not counted).

        ``days=0`` gives ``start`` moved forward to a working day if it is not one.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        if days == 0:
            while not self.is_workday(current):
                current += dt.timedelta(days=1)
            return current
        counted = 0
        while counted < days:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                counted += 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def workdays(self, days: Iterable[dt.date]) -> list[dt.date]:
        return [d for d in days if self.is_workday(d)]


def add_working_days(start: dt.date, days: int) -> dt.date:
    return WorkCalendar.load().add_working_days(start, days)
