"""A task fed by a ledger: its progress is the ledger's figure, entered once."""
from __future__ import annotations

from decimal import Decimal

from ledgers.models import Board, BoardKind, Volunteer
from tasks import selectors
from tasks.models import ProgressEntry, Task
from tests import factories as f


def _task(world, unit, measure, target):
    return f.TaskFactory(
        campaign=world.campaign, indicator=world.leaf_ads, unit=unit, title="新建宣传栏", target_value=Decimal(target),
        target_unit="个", ledger_measure=measure,
    )


def _listed(task):
    return selectors.with_progress(Task.objects.filter(pk=task.pk)).get().progress_value


def test_a_task_takes_its_value_from_the_count_of_its_units_boards(world):
    task = _task(world, world.unit_a, "boards", "3")
    assert _listed(task) == Decimal("0") and selectors.task_progress(task) == Decimal("0")
    # A progress entry's own value no longer counts: the ledger is the one source.
    ProgressEntry.objects.create(task=task, author=world.official_a, text="已建 5 个", value=Decimal("5"))
    Board.objects.create(campaign=world.campaign, unit=world.unit_a, name="街道宣传栏")
    Board.objects.create(campaign=world.campaign, unit=world.community_a, name="迎春社区宣传栏")  # below 城东街道: counts
    Board.objects.create(campaign=world.campaign, unit=world.unit_a, kind=BoardKind.PSA, name="公益广告牌")  # not a 宣传栏
    Board.objects.create(campaign=world.campaign, unit=world.unit_b, name="口岸宣传栏")  # another street
    assert _listed(task) == Decimal("2")
    assert selectors.task_progress(task) == Decimal("2")
    board = Board.objects.get(name="街道宣传栏")
    board.delete()
    assert _listed(task) == Decimal("1")


def test_a_task_fed_by_volunteer_hours_sums_them_and_is_short_until_reached(world):
    task = _task(world, world.unit_a, "volunteer_hours", "10")
    Volunteer.objects.create(campaign=world.campaign, unit=world.unit_a, name="甲", activity_count=2, hours=Decimal("6.5"))
    v = Volunteer.objects.create(campaign=world.campaign, unit=world.community_a, name="乙", activity_count=1, hours=Decimal("3"))
    assert _listed(task) == Decimal("9.5")
    assert list(selectors.with_target(Task.objects.filter(pk=task.pk)))
    rows = selectors.target_rows(Task.objects.filter(pk=task.pk))
    assert rows[0].percent == Decimal("95.0")
    v.hours = Decimal("4")
    v.save()
    assert _listed(task) == Decimal("10.5")
    assert selectors.target_rows(Task.objects.filter(pk=task.pk))[0].percent == Decimal("105.0")


def test_an_ordinary_task_still_adds_its_entries(world):
    task = _task(world, world.unit_a, "", "3")
    Board.objects.create(campaign=world.campaign, unit=world.unit_a, name="街道宣传栏")
    ProgressEntry.objects.create(task=task, author=world.official_a, text="建 2 个", value=Decimal("2"))
    assert _listed(task) == Decimal("2") and selectors.task_progress(task) == Decimal("2")


def test_the_task_page_says_the_value_comes_from_the_ledger_with_a_link(world, client_for):
    task = _task(world, world.unit_a, "boards", "3")
    Board.objects.create(campaign=world.campaign, unit=world.unit_a, name="街道宣传栏")
    page = client_for(world.official_a).get(task.get_absolute_url()).content.decode()
    assert "来自台账：宣传栏" in page
    assert f"/ledgers/boards/?unit={world.unit_a.pk}" in page
    assert 'data-testid="progress-value">1个' in page
