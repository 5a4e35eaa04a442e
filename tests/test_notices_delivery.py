"""Notices: delivery you can trust — retries with backoff, fallback to the next channel, the
provider's answer on record, robots' formats and signature — against local servers."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from campaign.models import Membership, Notification
from notices import services
from notices.models import Channel, Delivery, Event, EventRoute, Notice, NoticeStatus, UnitRobot
from tests.notices_support import free_port, http_server, smtp_server  # noqa: F401 (fixtures)


@pytest.fixture
def chen(world, settings):
    """城东街道's liaison with a mobile and an e-mail address; SMS first, e-mail as fallback."""
    Membership.objects.filter(user=world.official_a).update(phone="13800000001")
    world.official_a.email = "chen@chengdong.gov.cn"
    world.official_a.save()
    settings.NOTICE_MAX_ATTEMPTS = 3
    settings.NOTICE_SMS_BODY = '{"mobile": "$mobile", "content": "$text"}'
    settings.NOTICE_SMS_CONTENT_TYPE = "application/json"
    settings.NOTICE_SMS_METHOD = "POST"
    return world.official_a


def _send(world, key: str = "finding-1") -> Notice:
    services.notify(event=Event.FINDING_NEW, users=[world.official_a], unit=world.unit_a, key=key, message="新问题：人民路垃圾未清运")
    return Notice.objects.get(user=world.official_a, key=key)


def _attempts(notice: Notice) -> list[tuple[str, int, bool]]:
    return list(Delivery.objects.filter(notice=notice).order_by("pk").values_list("channel", "attempt", "ok"))


def test_a_gateway_answering_500_then_200_is_retried_and_the_notice_sent(world, chen, settings, http_server):  # noqa: F811
    settings.EMAIL_HOST = ""  # SMS only
    settings.NOTICE_SMS_URL = f"{http_server.url}/sms"
    http_server.replies = [(500, '{"error": "gateway busy"}')]
    notice = _send(world)
    assert _attempts(notice) == [("sms", 1, False), ("sms", 2, True)]
    assert notice.status == NoticeStatus.SENT and notice.channel == "sms" and notice.attempts == 2
    first = Delivery.objects.filter(notice=notice).order_by("pk").first()
    assert first.answer == 'HTTP 500 {"error": "gateway busy"}'
    assert len(http_server.seen) == 2


def test_a_dead_sms_gateway_falls_back_to_email(world, chen, settings, smtp_server):  # noqa: F811
    settings.NOTICE_SMS_URL = f"http://127.0.0.1:{free_port()}/sms"
    notice = _send(world)
    assert _attempts(notice) == [("sms", 1, False), ("email", 1, True)]
    assert Delivery.objects.get(notice=notice, channel="sms").answer == "ConnectionError: 连接失败：[Errno 111] Connection refused"
    assert notice.channel == "email"
    (rcpt, message), = smtp_server.messages
    assert rcpt == ["chen@chengdong.gov.cn"]
    assert message["Subject"] == "创文提醒：新问题"
    assert "人民路垃圾未清运" in message.get_content()


def test_a_notice_nobody_can_deliver_fails_after_the_set_rounds_and_the_office_can_resend(world, chen, settings, http_server, client_for):  # noqa: F811
    settings.EMAIL_HOST = ""
    dead = f"http://127.0.0.1:{free_port()}/sms"
    settings.NOTICE_SMS_URL = dead
    notice = _send(world)
    assert notice.status == NoticeStatus.FAILED
    assert _attempts(notice) == [("sms", 1, False), ("sms", 2, False), ("sms", 3, False)]
    assert Notification.objects.filter(user=world.official_a).count() == 1  # in-app arrived regardless
    # The office sees it on the log page with the provider's answer, and resends once the gateway is back.
    page = client_for(world.admin).get("/notices/log/?status=failed")
    assert page.status_code == 200
    assert "新问题：人民路垃圾未清运" in page.content.decode() and "连接失败" in page.content.decode()
    settings.NOTICE_SMS_URL = f"{http_server.url}/sms"
    response = client_for(world.admin).post(f"/notices/log/{notice.pk}/resend/")
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and len(http_server.seen) == 1
    assert Delivery.objects.filter(notice=notice).count() == 4


def test_backoff_doubles_from_the_base_and_stops_at_an_hour(settings):
    settings.NOTICE_RETRY_BASE_SECONDS = 60
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 7, 8)] == [60, 120, 240, 480, 3600, 3600]


def test_the_dingtalk_robot_is_called_signed_and_its_error_code_counts_as_failure(world, chen, http_server, monkeypatch, settings):  # noqa: F811
    settings.EMAIL_HOST = ""
    settings.NOTICE_SMS_URL = ""
    secret = "SECabc"
    monkeypatch.setenv("NOTICE_ROBOT_CD_DING_URL", f"{http_server.url}/robot/send?access_token=t0k")
    monkeypatch.setenv("NOTICE_ROBOT_CD_DING_SECRET", secret)
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.DINGTALK, key_name="cd_ding")
    http_server.replies = [(200, '{"errcode": 310000, "errmsg": "sign not match"}')]
    _send(world)
    robot = Notice.objects.get(to_robot=True)
    assert robot.status == NoticeStatus.SENT
    assert _attempts(robot) == [("dingtalk", 1, False), ("dingtalk", 2, True)]
    assert "sign not match" in Delivery.objects.filter(notice=robot).first().answer
    call = http_server.seen[-1]
    assert call.path == "/robot/send" and call.query["access_token"] == ["t0k"]
    timestamp, sign = call.query["timestamp"][0], call.query["sign"][0]  # parse_qs has decoded the URL encoding
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert sign == expected
    assert call.json() == {"msgtype": "markdown", "markdown": {"title": "新问题", "text": "#### 新问题\n新问题：人民路垃圾未清运"}}


def test_a_robot_whose_address_is_missing_from_the_environment_is_recorded_as_failed(world, chen, settings, monkeypatch):
    settings.EMAIL_HOST = ""
    settings.NOTICE_SMS_URL = ""
    monkeypatch.delenv("NOTICE_ROBOT_NOWHERE_URL", raising=False)
    UnitRobot.objects.create(unit=world.unit_a, kind=Channel.WECOM, key_name="nowhere")
    _send(world)
    robot = Notice.objects.get(to_robot=True)
    assert robot.status == NoticeStatus.FAILED
    assert set(Delivery.objects.filter(notice=robot).values_list("answer", flat=True)) == {"渠道未配置或接收方无地址"}


def test_a_form_encoded_get_gateway_gets_its_values_escaped(world, chen, settings, http_server):  # noqa: F811
    settings.EMAIL_HOST = ""
    settings.NOTICE_SMS_METHOD = "GET"
    settings.NOTICE_SMS_URL = f"{http_server.url}/send?to=$mobile&msg=$text&user=cw"
    settings.NOTICE_SMS_OK_TEXT = '"errcode": 0'
    EventRoute.objects.create(event=Event.FINDING_NEW, channels=["sms"])
    _send(world)
    call = http_server.seen[0]
    assert call.method == "GET"
    assert call.query == {"to": ["13800000001"], "msg": ["【新问题】新问题：人民路垃圾未清运"], "user": ["cw"]}


def test_a_gateway_answering_200_without_the_success_text_counts_as_failed(world, chen, settings, http_server):  # noqa: F811
    settings.EMAIL_HOST = ""
    settings.NOTICE_SMS_URL = f"{http_server.url}/sms"
    settings.NOTICE_SMS_OK_TEXT = '"code":"OK"'
    http_server.replies = [(200, '{"code":"isv.BUSINESS_LIMIT_CONTROL"}')] * 3
    notice = _send(world)
    assert notice.status == NoticeStatus.FAILED
    assert Delivery.objects.filter(notice=notice).first().answer == 'HTTP 200 {"code":"isv.BUSINESS_LIMIT_CONTROL"}'


def test_a_notice_whose_celery_message_was_lost_is_picked_up_by_the_sweep(world, chen, settings, http_server):  # noqa: F811
    import datetime as dt

    from django.utils import timezone

    settings.EMAIL_HOST = ""
    settings.NOTICE_SMS_URL = f"{http_server.url}/sms"
    settings.NOTICE_RETRY_BASE_SECONDS = 60
    notice = _send(world)
    assert notice.status == NoticeStatus.SENT
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PENDING, channel="")  # as if the broker lost it
    now = timezone.now()
    assert services.release_due(now=now) == []  # too fresh: its own message may still come
    Notice.objects.filter(pk=notice.pk).update(created_at=now - dt.timedelta(minutes=5))
    assert services.release_due(now=now) == [notice.pk]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and len(http_server.seen) == 2
