"""Notices: routing per event and person, quiet hours, the daily digest, escalation, idempotency.

Outside channels are real local servers (tests/notices_support.py); nothing leaves the machine.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaign.models import Membership, Notification, Role
from campaign.workdays import WorkCalendar
from notices import routing, selectors, services
from notices.channels import dingtalk_signed_url
from notices.models import Channel, Escalation, Event, EventRoute, Notice, NoticeStatus, Preference, UnitRobot
from tests import factories as f
from tests.notices_support import http_server, smtp_server  # noqa: F401 (fixtures)

SH = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(y, m, d, hh, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def sms(settings, http_server):  # noqa: F811
    settings.NOTICE_SMS_URL = f"{http_server.url}/sms/send"
    settings.NOTICE_SMS_BODY = '{"mobile": "$mobile", "content": "$text"}'
    settings.NOTICE_SMS_CONTENT_TYPE = "application/json"
    settings.NOTICE_SMS_METHOD = "POST"
    return http_server


@pytest.fixture
def phones(world):
    Membership.objects.filter(user=world.official_a).update(phone="13800000001")
    Membership.objects.filter(user=world.official_b).update(phone="13800000002")


# --------------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("now", "start", "end", "expected"),
    [
        (at(2026, 11, 2, 23, 10), dt.time(22), dt.time(7, 30), at(2026, 11, 3, 7, 30)),  # late evening → tomorrow
        (at(2026, 11, 3, 6, 0), dt.time(22), dt.time(7, 30), at(2026, 11, 3, 7, 30)),  # early morning → today
        (at(2026, 11, 3, 12, 0), dt.time(22), dt.time(7, 30), None),  # daytime: not quiet
        (at(2026, 11, 3, 7, 30), dt.time(22), dt.time(7, 30), None),  # the end minute is no longer quiet
        (at(2026, 11, 3, 12, 30), dt.time(12), dt.time(14), at(2026, 11, 3, 14, 0)),  # a lunch break
        (at(2026, 11, 3, 12, 30), None, None, None),
    ],
)
def test_quiet_hours_end_where_the_person_set_them(now, start, end, expected):
    assert routing.quiet_until(now, start, end) == expected


def test_a_persons_plan_keeps_the_offices_order_and_drops_what_they_refuse_or_cannot_receive():
    route = routing.Route("x", ("sms", "email"), to_group_robot=False, urgent=False)
    assert routing.person_plan(route, None, {"sms", "email"}) == ["sms", "email"]
    assert routing.person_plan(route, ["email", "sms"], {"sms", "email"}) == ["sms", "email"]
    assert routing.person_plan(route, ["email"], {"sms", "email"}) == ["email"]
    assert routing.person_plan(route, None, {"email"}) == ["email"]  # no mobile number
    assert routing.person_plan(routing.Route("x", ("sms",), False, False, active=False), None, {"sms"}) == []


def test_the_dingtalk_url_is_signed_as_dingtalk_documents():
    # Worked by hand (openssl): printf '1764460800000\nSEC0123456789abcdef' |
    #   openssl dgst -sha256 -hmac SEC0123456789abcdef -binary | base64
    #   → X+yen7xDC4d+VsnCWb2AyssnYvADvPDZboMG4NRI/e8=   (then URL-encoded)
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC0123456789abcdef",
                              timestamp_ms=1764460800000)
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc"
        "&timestamp=1764460800000&sign=X%2Byen7xDC4d%2BVsnCWb2AyssnYvADvPDZboMG4NRI%2Fe8%3D"
    )


# ------------------------------------------------------------------------------------ routing


def test_a_new_finding_reaches_the_units_officials_by_sms_and_the_units_work_group(world, phones, sms, monkeypatch):
    monkeypatch.setenv("NOTICE_ROBOT_CHENGDONG_URL", f"{sms.url}/wecom?key=k1")
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="chengdong")
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], unit=world.unit_a, key="finding-1",
                    message="新问题：1.1.1 人民路垃圾未清运，扣 0.3 分", url="/inspections/findings/1/")
    assert Notification.objects.filter(user=world.official_a, key="finding-1").count() == 1
    paths = sorted(s.path for s in sms.seen)
    assert paths == ["/sms/send", "/wecom"]
    sent_sms = next(s for s in sms.seen if s.path == "/sms/send").json()
    assert sent_sms == {"mobile": "13800000001", "content": "【新问题】新问题：1.1.1 人民路垃圾未清运，扣 0.3 分"}
    robot = next(s for s in sms.seen if s.path == "/wecom")
    assert robot.query == {"key": ["k1"]}
    assert robot.json() == {"msgtype": "markdown", "markdown": {"content": "**新问题**\n新问题：1.1.1 人民路垃圾未清运，扣 0.3 分"}}
    assert set(Notice.objects.values_list("recipient", "status", "channel")) == {
        (f"u:{world.official_a.pk}", "sent", "sms"), (f"r:{world.unit_a.pk}", "sent", "wecom"),
    }


def test_the_office_can_reroute_an_event(world, phones, sms, smtp_server):  # noqa: F811
    world.official_a.email = "chen@chengdong.gov.cn"
    world.official_a.save()
    EventRoute.objects.create(event=Event.FINDING_NEW, channels=["email"], to_group_robot=False)
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], unit=world.unit_a, key="finding-2", message="新问题")
    assert sms.seen == []
    assert [rcpt for rcpt, _ in smtp_server.messages] == [["chen@chengdong.gov.cn"]]
    assert smtp_server.messages[0][1]["Subject"] == "创文提醒：新问题"


def test_a_route_switched_off_leaves_only_the_in_app_notice(world, phones, sms):
    EventRoute.objects.create(event=Event.RECT_RETURNED, channels=["sms"], is_active=False)
    services.notify(event=Event.RECT_RETURNED, users=[world.official_a], key="r-1", message="整改被退回")
    assert sms.seen == []
    assert Notice.objects.get().channel == "inapp"
    assert Notification.objects.filter(user=world.official_a).count() == 1


def test_a_person_who_refuses_sms_gets_nothing_outside_when_email_is_not_configured(world, phones, sms, settings):
    settings.EMAIL_HOST = ""
    Preference.objects.create(user=world.official_a, channels=["email"])
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="f-3", message="新问题")
    assert sms.seen == []
    assert Notice.objects.get().channel == "inapp"


def test_quiet_hours_defer_the_outside_message_but_not_the_in_app_notice(world, phones, sms):
    Preference.objects.create(user=world.official_a, quiet_start=dt.time(22), quiet_end=dt.time(7, 30))
    services.notify_many(
        [services.Item(Event.FINDING_NEW, world.official_a.pk, "f-4", "夜间发现的问题")], now=at(2026, 11, 2, 23, 10),
        day=D(2026, 11, 2),
    )
    notice = Notice.objects.get()
    assert (notice.status, notice.not_before) == (NoticeStatus.DEFERRED, at(2026, 11, 3, 7, 30))
    assert Notification.objects.filter(user=world.official_a).count() == 1
    assert sms.seen == []
    assert services.release_due(now=at(2026, 11, 3, 7, 0)) == []  # still quiet
    assert services.release_due(now=at(2026, 11, 3, 7, 31)) == [notice.pk]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and len(sms.seen) == 1


def test_an_urgent_event_ignores_quiet_hours(world, phones, sms):
    Preference.objects.create(user=world.official_a, quiet_start=dt.time(22), quiet_end=dt.time(7, 30))
    services.notify_many(
        [services.Item(Event.ORDER_ISSUED, world.official_a.pk, "order-9", "督办〔2026〕9号")], now=at(2026, 11, 2, 23, 10),
    )
    assert Notice.objects.get().status == NoticeStatus.SENT
    assert len(sms.seen) == 1


def test_the_same_event_triggered_twice_sends_once(world, phones, sms):
    for _ in range(2):
        services.notify(event=Event.FINDING_NEW, users=[world.official_a, world.official_a.pk], key="finding-5", message="新问题")
    assert Notice.objects.count() == 1
    assert Notification.objects.count() == 1
    assert len(sms.seen) == 1
    # A second delivery of the same notice (a redelivered Celery message) finds it sent.
    assert services.deliver(Notice.objects.get().pk) == "skipped"
    assert len(sms.seen) == 1
    # Another day is another notice.
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="finding-5", message="新问题", day=D(2026, 11, 3))
    assert len(sms.seen) == 2


def test_existing_services_notify_through_the_one_entry_point(world, phones, sms):
    """A new finding from the inspections app goes out by SMS like any other notify() call."""
    from inspections import services as insp
    from tests.inspections_support import inspection

    insp.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                        indicator=world.leaf_clean, description="人行道积存垃圾")
    notice = Notice.objects.get(event=Event.FINDING_NEW, user=world.official_a)
    assert notice.channel == "sms" and "人行道积存垃圾" in sms.seen[0].json()["content"]


# ------------------------------------------------------------------------------------- digest


@pytest.fixture
def chen_day(world):
    """A hand-built day (Tue 2026-11-03) for 城东街道's liaison, plus noise that must stay out."""
    a, day = world.official_a.pk, D(2026, 11, 3)
    items = [
        services.Item(Event.DEADLINE_SOON, a, "task-deadline:1", "【即将到期】任务“宣传栏建设”将于2026年11月05日到期"),
        services.Item(Event.DEADLINE_SOON, a, "task-deadline:2", "【即将到期】任务“志愿服务站点”将于2026年11月06日到期"),
        services.Item(Event.OVERDUE, a, "task-deadline:3", "【逾期】任务“公益广告”已逾期3天"),
        services.Item(Event.FINDING_NEW, a, "finding-7", "新问题：1.1.1 人民路垃圾未清运"),
    ]
    services.notify_many(items, day=day)
    services.notify_many([services.Item(Event.FINDING_NEW, a, "finding-6", "昨天的问题")], day=day - dt.timedelta(days=1))
    services.notify_many([services.Item(Event.FINDING_NEW, world.official_b.pk, "finding-8", "口岸街道的问题")], day=day)
    return day


def test_the_digest_holds_the_days_due_overdue_and_new_notices(world, chen_day):
    digest = selectors.digest_for(user_id=world.official_a.pk, day=chen_day)
    assert [n.key for n in digest.due] == ["task-deadline:1", "task-deadline:2"]
    assert [n.key for n in digest.overdue] == ["task-deadline:3"]
    assert [n.key for n in digest.new] == ["finding-7"]
    assert digest.text.splitlines() == [
        "11月3日每日摘要：即将到期2项，已逾期1项，新消息1条。",
        "· 【逾期】任务“公益广告”已逾期3天",
        "· 【即将到期】任务“宣传栏建设”将于2026年11月05日到期",
        "· 【即将到期】任务“志愿服务站点”将于2026年11月06日到期",
        "· 新问题：1.1.1 人民路垃圾未清运",
    ]


def test_digest_mode_sends_one_message_at_the_persons_hour_instead_of_a_stream(world, phones, sms):
    Preference.objects.create(user=world.official_a, digest=True, digest_hour=8)
    day = D(2026, 11, 3)
    a = world.official_a.pk
    services.notify_many([
        services.Item(Event.DEADLINE_SOON, a, "task-deadline:1", "【即将到期】宣传栏建设"),
        services.Item(Event.FINDING_NEW, a, "finding-7", "新问题：人民路"),
    ], day=day, now=at(2026, 11, 3, 7, 0))
    services.notify_many([services.Item(Event.ORDER_ISSUED, a, "order-3", "督办〔2026〕3号")], day=day, now=at(2026, 11, 3, 7, 5))
    assert len(sms.seen) == 1  # only the urgent 督办单
    assert set(Notice.objects.filter(status=NoticeStatus.HELD).values_list("key", flat=True)) == {"task-deadline:1", "finding-7"}
    assert services.digests_send(now=at(2026, 11, 3, 7, 59)) == []  # before the hour
    assert services.digests_send(now=at(2026, 11, 3, 8, 5)) == [a]
    assert services.digests_send(now=at(2026, 11, 3, 9, 5)) == []  # once a day
    assert len(sms.seen) == 2
    text = sms.seen[1].json()["content"]
    assert text.startswith("【每日摘要】11月3日每日摘要：即将到期1项，已逾期0项，新消息2条。")
    assert "督办〔2026〕3号" in text and "宣传栏建设" in text
    assert not Notice.objects.filter(status=NoticeStatus.HELD).exists()


# --------------------------------------------------------------------------------- escalation


@pytest.fixture
def overdue_task(world):
    """公益广告 was due Fri 2026-10-30: overdue from Sat 10-31; November 2026 has no holidays."""
    leader = f.UserFactory(username="chengdong_leader", first_name="刘书记")
    Membership.objects.create(user=leader, unit=world.unit_a, role=Role.LEADER)
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="", leader=leader)
    return leader


def _report_overdue(world, today: dt.date) -> None:
    services.notify(event=Event.OVERDUE, users=[world.official_a], unit=world.unit_a, key="task-deadline:42", day=today,
                    message="【逾期】任务“公益广告”（城东街道）已逾期", overdue_since=D(2026, 10, 31))


def test_escalation_goes_to_the_units_leader_then_to_the_office_each_step_once(world, overdue_task):
    leader = overdue_task
    cal = WorkCalendar({})
    seen = []
    for day in [D(2026, 11, 3), D(2026, 11, 4), D(2026, 11, 4), D(2026, 11, 5), D(2026, 11, 6), D(2026, 11, 6), D(2026, 11, 9)]:
        _report_overdue(world, day)
        seen.append((day, [(s.step, s.recipients) for s in services.escalations_run(today=day, calendar=cal)]))
    # Working days after Sat 10-31: 11-03 → 2, 11-04 → 3 (the unit's leader), 11-05 → 4,
    # 11-06 → 5 (the office's admin and every leader: three people), 11-09 → 6.
    assert seen == [
        (D(2026, 11, 3), []), (D(2026, 11, 4), [(1, 1)]), (D(2026, 11, 4), []), (D(2026, 11, 5), []),
        (D(2026, 11, 6), [(2, 3)]), (D(2026, 11, 6), []), (D(2026, 11, 9), []),
    ]
    assert list(Escalation.objects.order_by("step").values_list("step", "day")) == [(1, D(2026, 11, 4)), (2, D(2026, 11, 6))]
    step1 = Notice.objects.get(key="escalate-1:task-deadline:42")
    assert step1.user == leader and "逾期3个工作日·请责任领导督促" in step1.message
    office = set(Notice.objects.filter(key="escalate-2:task-deadline:42").values_list("user__username", flat=True))
    assert office == {"admin_test", "leader_test", "chengdong_leader"}


def test_something_no_longer_reported_overdue_does_not_escalate(world, overdue_task):
    _report_overdue(world, D(2026, 11, 3))
    # The task was completed: the daily job stops reporting it, so on 11-09 nothing escalates.
    assert services.escalations_run(today=D(2026, 11, 9), calendar=WorkCalendar({})) == []
    assert not Escalation.objects.exists()


def test_overdue_task_reminders_put_the_task_on_the_watch_list(world):
    from notices.models import OverdueWatch
    from tasks import services as task_services

    task = f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="宣传栏建设", deadline=D(2026, 10, 30))
    task_services.reminders_send(today=D(2026, 11, 3), calendar=WorkCalendar({}))
    task_services.reminders_send(today=D(2026, 11, 4), calendar=WorkCalendar({}))
    watch = OverdueWatch.objects.get()
    assert (watch.subject, watch.since, watch.last_seen) == (f"task-deadline:{task.pk}", D(2026, 10, 31), D(2026, 11, 4))


def test_digest_text_is_json_safe_in_the_sms_body(world, phones, sms):
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="f-q", message='含"引号"和\\反斜杠\n换行')
    assert json.loads(sms.seen[0].body)["content"] == '【新问题】含"引号"和\\反斜杠\n换行'


def test_timezone_is_shanghai():
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"


def test_the_units_work_group_hears_one_line_a_day_about_its_overdue_tasks(world, monkeypatch, http_server):  # noqa: F811
    from tasks import services as task_services

    monkeypatch.setenv("NOTICE_ROBOT_CHENGDONG_URL", f"{http_server.url}/wecom")
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="chengdong")
    for title in ("宣传栏建设", "公益广告", "志愿服务站点"):
        f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title=title, deadline=D(2026, 10, 30))
    f.TaskFactory(campaign=world.campaign, unit=world.unit_a, title="文明餐桌", deadline=D(2026, 11, 4))  # due soon, not overdue
    for _ in range(2):
        task_services.reminders_send(today=D(2026, 11, 3), calendar=WorkCalendar({}))
    assert [s.json()["markdown"]["content"] for s in http_server.seen] == [
        "**已逾期**\n【逾期】城东街道有3项任务已逾期：宣传栏建设、公益广告、志愿服务站点，请尽快完成。"
    ]


def test_an_order_that_stays_overdue_escalates_like_a_task(world):
    """督办单 found Mon 10-12, deadline Tue 10-20, nothing submitted: overdue from 10-21 (a Wednesday)."""
    from inspections import services as insp
    from tests.inspections_support import inspection

    finding = insp.finding_create(inspector=world.inspector, inspection=inspection(world), point=world.point_a,
                                  indicator=world.leaf_clean, description="人民路两侧垃圾未及时清运")
    order = insp.order_issue(issuer=world.inspector, unit=world.unit_a, findings=[finding], deadline=D(2026, 10, 20),
                             issued_on=D(2026, 10, 13))
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="", leader=world.leader)
    cal = WorkCalendar({})
    taken = []
    for day in (D(2026, 10, 21), D(2026, 10, 22), D(2026, 10, 23), D(2026, 10, 26), D(2026, 10, 27), D(2026, 10, 28)):
        insp.orders_overdue_notify(today=day)  # the daily job
        taken.append((day, [s.step for s in services.escalations_run(today=day, calendar=cal)]))
    # Working days after 10-20: 10-23 → 3 (the unit's leader), 10-27 → 5 (office and leaders).
    assert taken == [(D(2026, 10, 21), []), (D(2026, 10, 22), []), (D(2026, 10, 23), [1]), (D(2026, 10, 26), []),
                     (D(2026, 10, 27), [2]), (D(2026, 10, 28), [])]
    assert Notice.objects.get(key=f"escalate-1:order-{order.pk}-overdue").user == world.leader
