"""Notices pages: one's own push settings and digest; the office's delivery log (404 for others)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notices import services
from notices.models import Event, Notice, Preference


def test_a_person_saves_their_channels_quiet_hours_and_digest_once_however_often_posted(world, client_for):
    client = client_for(world.official_a)
    data = {"channels": ["email"], "mobile": "138 0000 0001", "quiet_start": "22:00", "quiet_end": "07:30", "digest": "on",
            "digest_hour": "8"}
    for _ in range(2):
        assert client.post("/notices/settings/", data).status_code == 302
    pref = Preference.objects.get()
    assert (pref.user, pref.channels, pref.mobile, pref.quiet_start, pref.quiet_end, pref.digest, pref.digest_hour) == (
        world.official_a, ["email"], "13800000001", dt.time(22), dt.time(7, 30), True, 8)
    page = client.get("/notices/settings/").content.decode()
    assert 'value="13800000001"' in page and 'value="22:00"' in page


def test_a_bad_mobile_or_half_quiet_hours_are_refused_in_chinese_and_nothing_is_lost(world, client_for):
    client = client_for(world.official_a)
    response = client.post("/notices/settings/", {"mobile": "12345", "quiet_start": "22:00", "digest_hour": "8"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请输入11位手机号码" in body and "免打扰时段需要同时填写开始和结束时间" in body
    assert 'value="12345"' in body and 'value="22:00"' in body
    assert not Preference.objects.exists()


def test_the_settings_page_starts_with_every_channel_ticked(world, client_for):
    body = client_for(world.official_b).get("/notices/settings/").content.decode()
    assert body.count('checked') >= 2 and 'value="sms"' in body and 'value="email"' in body


def test_the_digest_page_shows_ones_own_day_only(world, client_for):
    today = timezone.localdate()
    services.notify_many([
        services.Item(Event.DEADLINE_SOON, world.official_a.pk, "task-deadline:1", "【即将到期】城东宣传栏建设"),
        services.Item(Event.FINDING_NEW, world.official_b.pk, "finding-9", "口岸农贸市场占道经营"),
    ], day=today)
    mine = client_for(world.official_a).get("/notices/digest/").content.decode()
    assert "城东宣传栏建设" in mine and "口岸农贸市场占道经营" not in mine
    assert "即将到期 1 项，已逾期 0 项，新消息 0 条" in mine
    other = client_for(world.official_b).get("/notices/digest/").content.decode()
    assert "城东宣传栏建设" not in other and "口岸农贸市场占道经营" in other
    yesterday = client_for(world.official_a).get(f"/notices/digest/?day={today - dt.timedelta(days=1):%Y-%m-%d}").content.decode()
    assert "城东宣传栏建设" not in yesterday


@pytest.mark.parametrize("who", ["official_a", "inspector", "leader", "nobody"])
def test_only_the_office_opens_the_delivery_log(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get("/notices/log/").status_code == 404
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="f-1", message="新问题")
    assert client.post(f"/notices/log/{Notice.objects.get().pk}/resend/").status_code == 404


def test_the_delivery_log_filters_by_status_and_lists_the_routes(world, client_for):
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="f-1", message="城东新问题")
    services.notify(event=Event.APPEAL_FILED, users=[world.admin], key="a-1", message="口岸申诉")
    Notice.objects.filter(key="a-1").update(status="failed")
    client = client_for(world.admin)
    body = client.get("/notices/log/?status=failed").content.decode()
    assert "口岸申诉" in body and "城东新问题" not in body
    everything = client.get("/notices/log/").content.decode()
    assert "城东新问题" in everything and "收到申诉" in everything and "短信 → 电子邮件" in everything


def test_the_menu_offers_the_digest_to_everyone_and_the_log_to_the_office(world, client_for):
    official = client_for(world.official_a).get("/notices/digest/").content.decode()
    assert "/notices/log/" not in official and "/notices/settings/" in official
    admin = client_for(world.admin).get("/notices/digest/").content.decode()
    assert "/notices/log/" in admin


def test_turning_the_digest_off_sends_what_it_held(world, client_for, settings):
    from django.core import mail

    settings.EMAIL_HOST = "smtp.example.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.official_a.email = "chen@chengdong.gov.cn"
    world.official_a.save()
    Preference.objects.create(user=world.official_a, channels=["email"], digest=True)
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], key="f-held", message="城东新问题")
    assert Notice.objects.get().status == "held" and mail.outbox == []
    client_for(world.official_a).post("/notices/settings/", {"channels": ["email"], "digest_hour": "8"})
    assert Notice.objects.get().status == "sent"
    assert [m.to for m in mail.outbox] == [["chen@chengdong.gov.cn"]]


def test_the_delivery_log_says_in_chinese_why_a_delivery_failed_and_keeps_the_raw_answer(world, client_for):
    from django.utils.html import escape

    from notices.models import Channel, Delivery

    services.notify(event=Event.APPEAL_FILED, users=[world.admin], key="a-1", message="口岸申诉")
    notice = Notice.objects.get(key="a-1")
    Notice.objects.filter(pk=notice.pk).update(status="failed")
    answers = [  # (channel, ok, raw answer, what the office reads)
        (Channel.DINGTALK, False, 'HTTP 200 {"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com]"}',
         "失败：机器人加签密钥不匹配"),
        (Channel.WECOM, False, 'HTTP 200 {"errcode":93000,"errmsg":"invalid webhook url, hint: [1700000000]"}',
         "失败：工作群机器人地址（webhook）无效"),
        (Channel.SMS, False, 'HTTP 500 {"code":"isp.SYSTEM_ERROR","message":"System busy"}', "失败：短信平台系统繁忙"),
        (Channel.WECOM, False, 'HTTP 200 {"errcode":48002,"errmsg":"api forbidden"}', "失败：网关返回错误代码 48002"),
        (Channel.SMS, False, "ConnectionError: 连接失败：timed out", "失败：连接网关超时"),
        (Channel.SMS, False, "HTTP 502 <html><body>Bad Gateway</body></html>", "失败：网关服务器出错（HTTP 502）"),
        (Channel.WECOM, True, 'HTTP 200 {"errcode":0,"errmsg":"ok"}', "成功"),
    ]
    for n, (channel, ok, raw, _words) in enumerate(answers, start=1):
        Delivery.objects.create(notice=notice, channel=channel, attempt=n, ok=ok, answer=raw)
    body = client_for(world.admin).get("/notices/log/?status=failed").content.decode()
    shown = [part.split(">", 1)[1].split("</span>", 1)[0] for part in body.split('data-testid="delivery-summary"')[1:]]
    assert len(shown) == len(answers)
    for line, (_channel, _ok, raw, words) in zip(shown, answers):
        assert words in line, line
        assert "errmsg" not in line and "errcode" not in line and "HTTP 200" not in line  # no raw English in the summary
        assert escape(raw) in body  # the raw answer stays, folded, for whoever debugs the gateway
    assert body.count("<summary>原始应答</summary>") == len(answers)
