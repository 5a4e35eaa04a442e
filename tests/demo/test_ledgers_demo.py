"""The demo's 台账 carry the seed's figures for 芦洲乡, and the tasks fed by them show what the story reported."""
from __future__ import annotations

from decimal import Decimal

from campaign.models import Unit
from ledgers.selectors import summary_figures
from tasks import selectors
from tasks.models import Task


def _figures(demo, name=None):
    unit = Unit.objects.get(name=name) if name else None
    return {f.key: f.text for f in summary_figures(demo, unit)}


def test_luzhou_has_the_seeds_figures(demo, db):
    figs = _figures(demo, "芦洲乡")
    # 志愿服务队伍共计65人，占全乡总人数的1.4%；90人次，占注册志愿者总人数的97%；累计184小时，人均2小时
    assert (figs["volunteers"], figs["volunteer_share"], figs["volunteer_times"]) == ("65人", "1.4%", "90人次")
    assert (figs["volunteer_participation"], figs["volunteer_hours"], figs["hours_per_time"]) == ("96.9%", "184小时", "2.0小时")
    # 新建成的宣传栏有7个，使全乡各村都有宣传栏；评出81户县级文明家庭
    assert (figs["boards"], figs["board_coverage"], figs["families"]) == ("7个", "100.0%", "81户")


def test_the_county_hygiene_figures_are_kept_as_the_seed_gives_them(demo, db):
    figs = _figures(demo, "市卫健委")
    assert (figs["hygiene_people"], figs["hygiene_containers"], figs["hygiene_tyres"], figs["hygiene_blackspots"]) == (
        "44308人", "8677处", "1983处", "3241处")
    assert (figs["trainings"], figs["training_people"], figs["meetings"]) == ("22场", "1200人", "24场")


def test_nanba_shows_a_village_without_a_board(demo, db):
    figs = {f.key: f for f in summary_figures(demo, Unit.objects.get(name="南坝乡"))}
    assert figs["board_coverage"].text == "0.0%" and figs["board_coverage"].detail == "尚无宣传栏：南坝村"


def test_fed_tasks_show_the_ledgers_figure_and_it_equals_the_story(demo, db):
    fed = selectors.with_progress(Task.objects.filter(campaign=demo).exclude(ledger_measure="")).select_related("unit")
    assert fed.count() >= 20
    luzhou = {t.title: t.progress_value for t in fed if t.unit.name == "芦洲乡"}
    assert luzhou == {"新建乡村（社区）宣传栏": Decimal("7"), "评选县级文明家庭": Decimal("81"), "组织开展志愿服务活动": Decimal("184")}
    for task in fed:
        if task.title != "组织开展志愿服务活动":  # the one fed task the story had not started
            entries = [e.value for e in task.progress_entries.order_by("-created_at", "-pk")]
            assert selectors.derived_progress(task.target_aggregation, entries) == task.progress_value, task
