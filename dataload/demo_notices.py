"""Demo part: notices — 城东街道's liaison 陈晓燕 (chengdong) and her day of 2026-11-29.

The core story's services already notified people through ``notices.services.notify`` (findings,
督办单, rectifications, appeals, publication) and its 2026-11-29 task reminders put her unit's
due and overdue tasks into that day. This part adds what a city sets up and what a day shows:

- her push settings: SMS and e-mail, quiet hours 22:00–07:30, a daily digest at 08:00;
- 城东街道's work-group robot (企业微信, key name ``CHENGDONG``) and 口岸街道's (钉钉, ``KOUAN``);
  the escalation leader of both is 赵书记 (lingdao), the only leader account of the demo;
- two new problems of her unit told on that day, the escalation of what stayed overdue (tasks, 督办单
  and, from the 00:30 job's watch, overdue rectifications), and the
  digest sent at 08:05 — visible on 每日摘要 (``/notices/digest/?day=2026-11-29``);
- delivery records as the providers would have answered: the demo has no SMS gateway or robot
  address (the environment holds those), so a few attempts are written as records — an SMS that
  failed with HTTP 500 and went through on the second round, a robot message sent, a 钉钉 robot
  that refused the signature four times (failed: the office can resend it from 消息推送记录),
  and an SMS gateway that timed out with the e-mail fallback delivering.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Q

from campaign.models import Campaign, Unit
from inspections import services as inspection_services
from inspections.models import Finding
from notices import services
from notices.models import Channel, Delivery, Event, Notice, NoticeStatus, OverdueWatch, Preference, UnitRobot

from . import demo_data as data

SH = ZoneInfo("Asia/Shanghai")


def _demo_units() -> Any:
    return Unit.objects.filter(name__in=[row[0] for row in data.UNITS])


def _demo_users() -> Any:
    return get_user_model().objects.filter(username__in=[row[0] for row in data.USERS])


def wipe(campaign: Campaign) -> None:
    units, users = _demo_units(), _demo_users()
    Notice.objects.filter(Q(user__in=users) | Q(unit__in=units)).delete()  # deliveries go with them
    OverdueWatch.objects.filter(unit__in=units).delete()  # escalation steps go with them
    UnitRobot.objects.filter(unit__in=units).delete()
    Preference.objects.filter(user__in=users).delete()


def _record(notice: Notice, attempts: list[tuple[str, int, bool, str]], *, status: str, at: dt.datetime) -> None:
    """Write the attempts a provider answered, and the notice's outcome."""
    for channel, round_no, ok, answer in attempts:
        Delivery.objects.create(notice=notice, channel=channel, attempt=round_no, ok=ok, answer=answer)
    sent = next((c for c, _, ok, _ in attempts if ok), "")
    Notice.objects.filter(pk=notice.pk).update(
        status=status, channel=sent, plan=list(dict.fromkeys(c for c, *_ in attempts)),
        attempts=max(r for _, r, _, _ in attempts), sent_at=at if sent else None,
    )
    Delivery.objects.filter(notice=notice).update(at=at)


def build(demo: Any) -> None:
    day = demo.today
    units, users = demo.units, demo.users
    chengdong, kouan, leader = users["chengdong"], users["kouan"], users["lingdao"]
    street_a, street_b = units["城东街道"], units["口岸街道"]
    Preference.objects.create(
        user=chengdong, channels=[Channel.SMS, Channel.EMAIL], mobile="13907960101",
        quiet_start=dt.time(22), quiet_end=dt.time(7, 30), digest=True, digest_hour=8,
    )
    UnitRobot.objects.create(unit=street_a, kind=Channel.WECOM, key_name="CHENGDONG", leader=leader)
    UnitRobot.objects.create(unit=street_b, kind=Channel.DINGTALK, key_name="KOUAN", leader=leader)

    # Two problems of her unit found on the day's patrol, told that morning.
    morning = dt.datetime.combine(day, dt.time(7, 40), tzinfo=SH)
    findings = list(
        Finding.objects.filter(campaign=demo.campaign, unit=street_a).select_related("indicator").order_by("-inspection__date", "-pk")[:2]
    )
    services.notify_many([
        services.Item(
            Event.FINDING_NEW, chengdong.pk, f"finding-{f.pk}",
            f"新问题：{f.indicator.code} {f.description.strip()[:40]}，扣 {f.points} 分，请于 {f.rectify_deadline:%Y-%m-%d} 前整改。",
            f.get_absolute_url(), street_a.pk,
        )
        for f in findings
    ], day=day, now=morning)
    # The 00:30 watch of overdue rectifications and the 08:30 escalation ran the day before too, so the
    # leader heard then and the office hears today (the second step waits for a run after the first).
    eve = day - dt.timedelta(days=1)
    inspection_services.findings_overdue_watch(today=eve)
    services.escalations_run(today=eve)
    inspection_services.findings_overdue_watch(today=day)
    steps = services.escalations_run(today=day)
    digests = services.digests_send(now=dt.datetime.combine(day, dt.time(8, 5), tzinfo=SH))

    # What the providers answered (see the module docstring).
    at = dt.datetime.combine(day, dt.time(8, 6), tzinfo=SH)
    overdue = Notice.objects.filter(user=chengdong, day=day, event=Event.OVERDUE).order_by("pk").first()
    if overdue is not None:
        _record(overdue, [
            (Channel.SMS, 1, False, 'HTTP 500 {"code":"isp.SYSTEM_ERROR","message":"系统繁忙"}'),
            (Channel.SMS, 2, True, 'HTTP 200 {"code":"OK","message":"OK","bizId":"900619064837513101"}'),
        ], status=NoticeStatus.SENT, at=at)
    robot_a = Notice.objects.create(
        event=Event.FINDING_NEW, recipient=f"r:{street_a.pk}", unit=street_a, to_robot=True, key="demo-robot-finding", day=day,
        message=findings[0].description[:300] if findings else "城东街道新问题", url=findings[0].get_absolute_url() if findings else "",
    )
    _record(robot_a, [(Channel.WECOM, 1, True, 'HTTP 200 {"errcode":0,"errmsg":"ok"}')], status=NoticeStatus.SENT, at=at)
    robot_b = Notice.objects.create(
        event=Event.OVERDUE, recipient=f"r:{street_b.pk}", unit=street_b, to_robot=True, key="demo-robot-overdue", day=day,
        message="口岸街道有逾期未整改的问题，请尽快整改并在平台提交整改材料。",
    )
    refused = 'HTTP 200 {"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}'
    _record(robot_b, [(Channel.DINGTALK, n, False, refused) for n in (1, 2, 3, 4)], status=NoticeStatus.FAILED, at=at)
    kouan_notice = Notice.objects.filter(user=kouan, day=day).order_by("pk").first()
    if kouan_notice is not None:
        _record(kouan_notice, [
            (Channel.SMS, 1, False, "ConnectionError: 连接失败：timed out"),
            (Channel.EMAIL, 1, True, "已交给邮件服务器 mail.taihe.gov.cn"),
        ], status=NoticeStatus.SENT, at=at)
    demo.log(
        f"消息推送：陈晓燕{day:%m月%d日}摘要 {len(digests)} 条，逾期升级 {len(steps)} 步，"
        f"推送记录 {Notice.objects.filter(day=day).count()} 条（失败 {Notice.objects.filter(status=NoticeStatus.FAILED).count()} 条）"
    )
