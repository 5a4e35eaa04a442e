"""Escalation of overdue rectifications: a finding still awaiting the unit past its deadline goes up
to the unit's 责任领导 after 3 working days and to the office and leaders after 5, each step once.

November 2026 has no holidays (an empty WorkCalendar); working days overdue are those after the
deadline up to the day, so on Fri 11-13 a deadline of Wed 11-11 is 2, Tue 11-10 is 3, Fri 11-06 is 5.
"""
from __future__ import annotations

import datetime as dt

import pytest

from campaign.models import Membership, Role
from campaign.workdays import WorkCalendar
from inspections import services as insp
from inspections.models import Finding
from notices import services
from notices.models import Channel, Escalation, Notice, OverdueWatch, UnitRobot
from tests import factories as f
from tests.inspections_support import inspection, png

D = dt.date


@pytest.fixture
def late_world(world):
    """Five findings of 城东街道 with hand-set deadlines, and the unit's leader 刘书记."""
    leader = f.UserFactory(username="chengdong_leader", first_name="刘书记")
    Membership.objects.create(user=leader, unit=world.unit_a, role=Role.LEADER)
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="", leader=leader)
    check = inspection(world, date=D(2026, 10, 26), title="10月下旬巡查")

    def finding(text: str, deadline: dt.date) -> Finding:
        made = insp.finding_create(inspector=world.inspector, inspection=check, point=world.point_a,
                                   indicator=world.leaf_clean, description=text)
        Finding.objects.filter(pk=made.pk).update(rectify_deadline=deadline)
        made.refresh_from_db()
        return made

    world.two = finding("人民路垃圾桶满溢", D(2026, 11, 11))
    world.three = finding("坡子街绿化带白色垃圾", D(2026, 11, 10))
    world.five = finding("太平街公厕地面积水", D(2026, 11, 6))
    world.accepted = finding("解放西路共享单车乱停", D(2026, 11, 3))
    world.due_today = finding("五一广场护栏破损", D(2026, 11, 13))  # due on the day itself: not overdue yet
    world.unit_leader = leader
    return world


def _day(today: dt.date) -> list[tuple[int, int]]:
    """The daily jobs of one day: the overdue watch (00:30), then escalation (08:30)."""
    insp.findings_overdue_watch(today=today)
    steps = services.escalations_run(today=today, calendar=WorkCalendar({}))
    subjects = dict(OverdueWatch.objects.values_list("pk", "subject"))
    return sorted((int(subjects[s.watch_id].split("-")[1]), s.step) for s in steps)


def test_overdue_rectifications_escalate_after_3_and_5_working_days_each_step_once(late_world):
    w = late_world
    # Fri 11-06: only the finding due Tue 11-03 is 3 working days overdue (11-04, 11-05, 11-06).
    assert _day(D(2026, 11, 6)) == [(w.accepted.pk, 1)]
    # Mon 11-09 it is rectified (late) and accepted: it stops being reported and stops escalating.
    at = dt.datetime(2026, 11, 9, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rect = insp.rectification_submit(official=w.official_a, finding=w.accepted, description="已清理归位",
                                     after_photos=[png()], at=at)
    insp.rectification_review(reviewer=w.inspector, rectification=rect, accept=True, at=at)
    # Fri 11-13: 2 working days → nothing; 3 → the unit's leader; 5 (first seen today) → the leader
    # only, the office on a later run; the accepted one (8 working days after its deadline) → nothing more.
    assert _day(D(2026, 11, 13)) == sorted([(w.three.pk, 1), (w.five.pk, 1)])
    assert _day(D(2026, 11, 13)) == []  # run twice: no repeats, and still not the office
    assert sorted(Escalation.objects.values_list("watch__subject", "step", "day")) == sorted([
        (f"finding-{w.accepted.pk}-overdue-20261103", 1, D(2026, 11, 6)),
        (f"finding-{w.three.pk}-overdue-20261110", 1, D(2026, 11, 13)),
        (f"finding-{w.five.pk}-overdue-20261106", 1, D(2026, 11, 13)),
    ])
    assert set(OverdueWatch.objects.values_list("subject", flat=True)) == {
        f"finding-{w.two.pk}-overdue-20261111", f"finding-{w.three.pk}-overdue-20261110",
        f"finding-{w.five.pk}-overdue-20261106", f"finding-{w.accepted.pk}-overdue-20261103",
    }
    # The 2-day one is watched (it will escalate when it reaches 3), from the day after its deadline.
    watch = OverdueWatch.objects.get(subject=f"finding-{w.two.pk}-overdue-20261111")
    assert (watch.since, watch.last_seen) == (D(2026, 11, 12), D(2026, 11, 13))
    assert OverdueWatch.objects.get(subject=f"finding-{w.accepted.pk}-overdue-20261103").last_seen == D(2026, 11, 6)
    # Mon 11-16: the office hears of the 6-day one; the one due 11-11 reaches 3 (its leader).
    assert _day(D(2026, 11, 16)) == sorted([(w.two.pk, 1), (w.five.pk, 2)])

    to_leader = Notice.objects.get(key=f"escalate-1:finding-{w.three.pk}-overdue-20261110")
    assert to_leader.user == w.unit_leader
    assert to_leader.message.startswith(f"【逾期3个工作日·请责任领导督促】问题 #{w.three.pk}（城东街道，")
    assert "2026-11-10" in to_leader.message and "坡子街绿化带白色垃圾" in to_leader.message
    assert to_leader.url == w.three.get_absolute_url()
    office = Notice.objects.filter(key=f"escalate-2:finding-{w.five.pk}-overdue-20261106")
    assert set(office.values_list("user__username", flat=True)) == {"admin_test", "leader_test", "chengdong_leader"}
    assert all(n.message.startswith("【逾期6个工作日·已升级至创建办和领导小组】") for n in office)
    assert not Notice.objects.filter(key__startswith="escalate-2:", key__contains=f"finding-{w.two.pk}-").exists()
    assert not Notice.objects.filter(key=f"escalate-2:finding-{w.accepted.pk}-overdue-20261103").exists()


def test_on_the_first_run_long_overdue_findings_reach_the_leader_first_and_the_office_on_the_next_run(late_world):
    w = late_world
    # Production starts Mon 11-16: working days overdue are accepted 9, five 6, three 4, two 3.
    assert _day(D(2026, 11, 16)) == sorted([(w.accepted.pk, 1), (w.five.pk, 1), (w.three.pk, 1), (w.two.pk, 1)])
    assert _day(D(2026, 11, 16)) == []  # the same day again: still only the leader
    assert not Notice.objects.filter(key__startswith="escalate-2:").exists()
    # Tue 11-17: the office hears of those at 5 or more (three has just reached 5); two (4) waits.
    assert _day(D(2026, 11, 17)) == sorted([(w.accepted.pk, 2), (w.five.pk, 2), (w.three.pk, 2)])
    assert set(Notice.objects.filter(key__startswith="escalate-1:").values_list("day", flat=True)) == {D(2026, 11, 16)}
    assert set(Notice.objects.filter(key__startswith="escalate-2:").values_list("day", flat=True)) == {D(2026, 11, 17)}


def test_a_finding_on_a_supervision_order_escalates_once_through_its_order(late_world):
    w = late_world
    order = insp.order_issue(issuer=w.inspector, unit=w.unit_a, findings=[w.five], deadline=D(2026, 11, 6),
                             issued_on=D(2026, 10, 27))
    insp.orders_overdue_notify(today=D(2026, 11, 13))
    insp.findings_overdue_watch(today=D(2026, 11, 13))
    subjects = set(OverdueWatch.objects.values_list("subject", flat=True))
    assert f"order-{order.pk}-overdue" in subjects
    assert not any(s.startswith(f"finding-{w.five.pk}-") for s in subjects)


def test_a_returned_round_missed_again_is_a_new_subject(late_world):
    w = late_world
    insp.findings_overdue_watch(today=D(2026, 11, 13))
    Finding.objects.filter(pk=w.five.pk).update(status="returned", rectify_deadline=D(2026, 11, 20))
    insp.findings_overdue_watch(today=D(2026, 11, 23))
    watch = OverdueWatch.objects.get(subject=f"finding-{w.five.pk}-overdue-20261120")
    assert (watch.since, watch.last_seen) == (D(2026, 11, 21), D(2026, 11, 23))
    assert OverdueWatch.objects.get(subject=f"finding-{w.five.pk}-overdue-20261106").last_seen == D(2026, 11, 13)
