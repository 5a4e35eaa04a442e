"""The demo's notices: 陈晓燕 (chengdong, 城东街道) has a day's digest she can open, and the office a log."""
from __future__ import annotations

import datetime as dt

from dataload.demo import DEMO_TODAY
from notices import selectors
from notices.models import Delivery, Event, Notice, NoticeStatus


def _user(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def test_chengdongs_day_has_due_overdue_and_new_items_and_one_digest(demo, db):
    chen = _user("chengdong")
    digest = selectors.digest_for(user_id=chen.pk, day=DEMO_TODAY)
    assert digest.overdue and digest.new
    assert len(digest.new) >= 2 and all(n.unit.name == "城东街道" for n in digest.new)
    sent = Notice.objects.get(user=chen, day=DEMO_TODAY, event=Event.DIGEST)
    assert sent.message.startswith(f"{DEMO_TODAY.month}月{DEMO_TODAY.day}日每日摘要：即将到期{len(digest.due)}项，已逾期{len(digest.overdue)}项")


def test_chengdong_opens_her_digest_page_for_the_demo_day(demo, client):
    client.force_login(_user("chengdong"))
    body = client.get(f"/notices/digest/?day={DEMO_TODAY:%Y-%m-%d}").content.decode()
    assert "每日摘要" in body and "已逾期" in body and "城东街道" in body
    assert "口岸街道" not in body.split('id="digest-summary"')[1]
    assert f"?day={DEMO_TODAY:%Y-%m-%d}" in body  # the demo day is among the recent days' links


def test_the_office_sees_sent_and_failed_deliveries(demo, client):
    assert Notice.objects.filter(status=NoticeStatus.FAILED, to_robot=True, unit__name="口岸街道").count() == 1
    assert Delivery.objects.filter(ok=False, answer__startswith="HTTP 500").exists()
    client.force_login(_user("chuangjianban"))
    body = client.get("/notices/log/?status=failed").content.decode()
    assert "sign not match" in body and "口岸街道工作群" in body


def test_escalation_reached_the_leader_for_what_stayed_overdue(demo, db):
    assert Notice.objects.filter(event=Event.ESCALATION, user__username="lingdao", day=DEMO_TODAY).exists()
    assert DEMO_TODAY == dt.date(2026, 11, 29)


def test_overdue_rectifications_of_the_demo_are_watched_and_escalated(demo, db):
    from inspections import lifecycle
    from inspections.models import Finding
    from notices.models import OverdueWatch

    late = {f.pk for f in Finding.objects.filter(orders__isnull=True) if lifecycle.is_overdue_now(f, DEMO_TODAY)}
    watched = {int(s.split("-")[1]) for s in OverdueWatch.objects.filter(subject__startswith="finding-").values_list("subject", flat=True)}
    assert late and watched == late
    assert Notice.objects.filter(event=Event.ESCALATION, key__startswith="escalate-1:finding-", user__username="lingdao").exists()
    # The jobs ran the day before as well: the leader heard then, the office hears on the demo day.
    office = Notice.objects.filter(event=Event.ESCALATION, key__startswith="escalate-2:finding-", day=DEMO_TODAY)
    assert office.filter(user__username="chuangjianban").exists()
