"""On a 375 px phone: a liaison sets quiet hours and reads her day's digest; the office reads the
delivery log and resends a failed message — no sideways scrolling anywhere."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notices import services
from notices.models import Event, Notice, NoticeStatus
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_liaison_sets_quiet_hours_and_reads_her_digest_on_a_phone(browser_world, open_page):
    w = browser_world
    today = timezone.localdate()
    services.notify_many([
        services.Item(Event.OVERDUE, w.official_a.pk, "task-deadline:1", "【逾期】任务“宣传栏建设”（城东街道）已逾期3天，请尽快完成。"),
        services.Item(Event.FINDING_NEW, w.official_a.pk, "finding-1", "新问题：1.1.1 人民路（城东段）人行道积存垃圾，扣 0.3 分"),
    ], day=today)
    page = open_page(w.official_a, viewport=PHONE)
    page.goto(f"{page.base_url}/notices/settings/")
    page.fill("#id_mobile", "12345")
    page.fill("#id_quiet_start", "22:00")
    page.fill("#id_quiet_end", "07:30")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("请输入11位手机号码")).to_be_visible()
    expect(page.locator("#id_quiet_start")).to_have_value("22:00")  # nothing lost
    _no_sideways_scroll(page)
    page.fill("#id_mobile", "13800000001")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("消息设置已保存。")).to_be_visible()

    page.goto(f"{page.base_url}/notices/digest/")
    expect(page.locator("#digest-summary")).to_have_text("即将到期 0 项，已逾期 1 项，新消息 1 条。")
    expect(page.locator('[data-section="overdue"]')).to_contain_text("宣传栏建设")
    expect(page.locator('[data-section="new"]')).to_contain_text("人行道积存垃圾")
    _no_sideways_scroll(page)


def test_the_office_resends_a_failed_message_from_the_log_on_a_phone(browser_world, open_page, settings):
    w = browser_world
    settings.EMAIL_HOST = "smtp.example.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w.official_a.email = "chen@chengdong.gov.cn"
    w.official_a.save()
    services.notify(event=Event.FINDING_NEW, users=[w.official_a], unit=w.unit_a, key="finding-2",
                    message="新问题：1.1.2 户外广告破损，扣 0.2 分")
    notice = Notice.objects.get(key="finding-2")
    assert notice.channel == "email"
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED)  # as if the mail server had been down
    page = open_page(w.admin, viewport=PHONE)
    page.goto(f"{page.base_url}/notices/log/?status=failed")
    row = page.locator("tr", has_text="户外广告破损")
    expect(row.locator('td[data-label="状态"]')).to_contain_text("失败")
    _no_sideways_scroll(page)
    from django.core import mail

    mail.outbox.clear()
    row.get_by_role("button", name="重发").click()
    page.wait_for_url(re.compile(r"/notices/log/\?status=failed$"))
    expect(page.get_by_text("已重新发送。")).to_be_visible()
    expect(page.get_by_text("没有符合条件的推送记录。")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["chen@chengdong.gov.cn"]]
    _no_sideways_scroll(page)
