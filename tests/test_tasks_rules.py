"""The rules of the tasks app: working-day deadlines, on time versus overdue, derived progress."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaign.models import CalendarDay
from campaign.workdays import WorkCalendar
from tasks import deadlines, selectors
from tasks.models import Task, TaskStatus
from tests import factories as f

D = dt.date


def test_three_working_days_after_september_30_skip_national_day_and_count_the_makeup_saturday():
    # chinese_calendar 2026: 10月1日–7日 holiday; 8 (Thu) = 1, 9 (Fri) = 2, Sat 10 (调休上班) = 3.
    assert deadlines.working_day_deadline(D(2026, 9, 30), 3, WorkCalendar({})) == D(2026, 10, 10)


def test_five_working_days_after_september_30_skip_the_sunday_after_the_makeup_day():
    # 8, 9, 10 (Sat, make-up), Sunday 11 off, Mon 12 = 4, Tue 13 = 5.
    assert deadlines.working_day_deadline(D(2026, 9, 30), 5, WorkCalendar({})) == D(2026, 10, 13)


def test_an_office_override_makes_the_makeup_saturday_a_day_off(db):
    CalendarDay.objects.create(date=D(2026, 10, 10), is_workday=False, note="本单位不调休")
    assert deadlines.working_day_deadline(D(2026, 9, 30), 3, WorkCalendar.load()) == D(2026, 10, 12)


def test_working_day_deadline_refuses_zero_days():
    with pytest.raises(ValueError):
        deadlines.working_day_deadline(D(2026, 9, 30), 0, WorkCalendar({}))


@pytest.mark.parametrize(
    "deadline, completed_on, expected",
    [
        (D(2026, 9, 30), D(2026, 9, 30), True),  # on the deadline day itself
        (D(2026, 9, 30), D(2026, 9, 29), True),
        (D(2026, 9, 30), D(2026, 10, 8), False),
        (None, D(2026, 12, 1), True),  # 长期坚持 is never late
        (D(2026, 9, 30), None, None),  # not completed yet
    ],
)
def test_on_time_means_completed_on_or_before_the_deadline(deadline, completed_on, expected):
    assert deadlines.is_on_time(deadline=deadline, completed_on=completed_on) is expected


def test_an_open_task_is_overdue_every_day_after_its_deadline_until_completed():
    deadline = D(2026, 9, 30)
    assert not deadlines.is_overdue(deadline=deadline, status=TaskStatus.IN_PROGRESS, today=D(2026, 9, 30))
    assert deadlines.is_overdue(deadline=deadline, status=TaskStatus.IN_PROGRESS, today=D(2026, 10, 1))
    assert deadlines.is_overdue(deadline=deadline, status=TaskStatus.NOT_STARTED, today=D(2026, 11, 29))
    assert not deadlines.is_overdue(deadline=deadline, status=TaskStatus.COMPLETED, today=D(2026, 11, 29))
    assert deadlines.days_overdue(deadline=deadline, status=TaskStatus.IN_PROGRESS, today=D(2026, 10, 8)) == 8


def test_acceptance_after_the_deadline_does_not_make_an_on_time_task_late(world):
    task = f.TaskFactory(
        campaign=world.campaign, unit=world.unit_a, deadline=D(2026, 9, 30), status=TaskStatus.ACCEPTED,
        completed_on=D(2026, 9, 30),
    )
    assert deadlines.is_on_time(deadline=task.deadline, completed_on=task.completed_on) is True
    assert Task.objects.filter(deadlines.on_time_q()).get() == task


def test_due_soon_covers_three_working_days_counting_today():
    cal = WorkCalendar({})
    today = D(2026, 9, 29)  # Tuesday: 29, 30, then 8 October (holiday in between)
    assert deadlines.is_due_soon(deadline=D(2026, 10, 8), status=TaskStatus.NOT_STARTED, today=today, calendar=cal)
    assert not deadlines.is_due_soon(deadline=D(2026, 10, 9), status=TaskStatus.NOT_STARTED, today=today, calendar=cal)
    assert not deadlines.is_due_soon(deadline=D(2026, 10, 8), status=TaskStatus.COMPLETED, today=today, calendar=cal)


def test_database_filters_agree_with_the_python_rules(world):
    today = D(2026, 10, 9)
    cal = WorkCalendar({})
    cases = [
        (D(2026, 9, 30), TaskStatus.IN_PROGRESS, None),
        (D(2026, 10, 9), TaskStatus.NOT_STARTED, None),
        (D(2026, 10, 12), TaskStatus.IN_PROGRESS, None),
        (D(2026, 10, 20), TaskStatus.IN_PROGRESS, None),
        (D(2026, 9, 30), TaskStatus.COMPLETED, D(2026, 9, 28)),
        (D(2026, 9, 30), TaskStatus.COMPLETED, D(2026, 10, 8)),
        (None, TaskStatus.ACCEPTED, D(2026, 10, 1)),
        (None, TaskStatus.IN_PROGRESS, None),
    ]
    for deadline, status, completed_on in cases:
        f.TaskFactory(campaign=world.campaign, unit=world.unit_a, deadline=deadline, status=status, completed_on=completed_on)
    for task in Task.objects.all():
        in_overdue = Task.objects.filter(deadlines.overdue_q(today), pk=task.pk).exists()
        in_due_soon = Task.objects.filter(deadlines.due_soon_q(today, cal), pk=task.pk).exists()
        in_on_time = Task.objects.filter(deadlines.on_time_q(), pk=task.pk).exists()
        assert in_overdue == deadlines.is_overdue(deadline=task.deadline, status=task.status, today=today), task.deadline
        assert in_due_soon == deadlines.is_due_soon(deadline=task.deadline, status=task.status, today=today, calendar=cal)
        assert in_on_time == bool(deadlines.is_on_time(deadline=task.deadline, completed_on=task.completed_on))
    # Hand count: overdue = the 9-30 in-progress one; due soon = 10-09 and 10-12 (9, 12, 13 are the 3 working days).
    assert Task.objects.filter(deadlines.overdue_q(today)).count() == 1
    assert Task.objects.filter(deadlines.due_soon_q(today, cal)).count() == 2
    assert Task.objects.filter(deadlines.on_time_q()).count() == 2


def test_derived_progress_adds_up_entries_or_takes_the_latest():
    values_newest_first = [Decimal("3"), None, Decimal("2.5"), Decimal("1")]
    assert selectors.derived_progress("sum", values_newest_first) == Decimal("6.5")
    assert selectors.derived_progress("latest", values_newest_first) == Decimal("3")
    assert selectors.derived_progress("sum", [None]) is None
    assert selectors.progress_percent(Decimal("6.5"), Decimal("7")) == Decimal("92.9")
    assert selectors.progress_percent(None, Decimal("7")) == Decimal("0.0")
    assert selectors.progress_percent(Decimal("3"), None) is None


def test_the_database_annotation_gives_the_same_derived_progress(world):
    summed = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, target_value=Decimal("7"), target_aggregation="sum")
    latest = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, target_value=Decimal("20"), target_aggregation="latest")
    from tasks.models import ProgressEntry

    for task, values in ((summed, ["2", "3", None]), (latest, ["12.5", "18", None])):
        for v in values:
            ProgressEntry.objects.create(task=task, author=world.official_a, text="进展", value=Decimal(v) if v else None)
    rows = {t.pk: t.progress_value for t in selectors.with_progress(Task.objects.all())}
    assert rows[summed.pk] == Decimal("5")  # 2 + 3
    assert rows[latest.pk] == Decimal("18")  # newest entry with a value
