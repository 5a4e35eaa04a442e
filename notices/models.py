"""What notices are, where they go, and what happened when we sent them.

- :class:`EventRoute` — per event type, the office's routing (which outside channels, in what
  fallback order; whether the unit's group robot hears it; whether quiet hours may hold it).
  Without a row the defaults in ``notices.routing.DEFAULT_ROUTES`` apply.
- :class:`Preference` — per person: channels they accept, mobile for SMS, quiet hours, digest mode.
- :class:`UnitRobot` — per unit: the work group's robot (企业微信/政务微信 or 钉钉). Only a *key
  name* is stored; the webhook address and signing secret live in the environment
  (``NOTICE_ROBOT_<KEY>_URL`` / ``NOTICE_ROBOT_<KEY>_SECRET``), never in the database.
- :class:`Notice` — one event for one recipient (a person or a unit's robot), unique per
  recipient, key and day: the idempotency rule the in-app ``Notification`` already keeps.
- :class:`Delivery` — each attempt on each channel with the provider's answer.
- :class:`OverdueWatch` / :class:`Escalation` — something overdue, and the escalation steps
  taken for it (each step once: a unique constraint).
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from campaign.models import Unit


class Event(models.TextChoices):
    FINDING_NEW = "finding_new", "新问题"
    ORDER_ISSUED = "order_issued", "督办单"
    RECT_RETURNED = "rect_returned", "整改被退回"
    RECT_ACCEPTED = "rect_accepted", "整改已通过"
    DEADLINE_SOON = "deadline_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"
    APPEAL_FILED = "appeal_filed", "收到申诉"
    APPEAL_DECIDED = "appeal_decided", "申诉已裁定"
    MONTH_PUBLISHED = "month_published", "月度结果发布"
    REPORT_READY = "report_ready", "报表已生成"
    ESCALATION = "escalation", "逾期升级"
    DIGEST = "digest", "每日摘要"
    SYSTEM = "system", "系统提醒"
    SNAP_NEW = "snap_new", "新随手拍"


class Channel(models.TextChoices):
    INAPP = "inapp", "站内消息"
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信/政务微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


# Channels a person can accept (robots speak to a group, not to one person).
PERSONAL_CHANNELS = (Channel.SMS, Channel.EMAIL)
ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class EventRoute(models.Model):
    event = models.CharField("事件类型", max_length=30, choices=Event.choices, unique=True)
    channels = models.JSONField(
        "站外渠道（按顺序，前一个失败时用下一个）", default=list, blank=True,
        help_text="可选 sms、email；站内消息总是发送。例如 [\"sms\", \"email\"]",
    )
    to_group_robot = models.BooleanField("同时推送单位工作群机器人", default=False)
    urgent = models.BooleanField("紧急（不受免打扰时段和每日摘要限制）", default=False)
    is_active = models.BooleanField("启用站外推送", default=True)

    class Meta:
        verbose_name = "推送规则"
        verbose_name_plural = "推送规则"
        ordering = ["event"]

    def __str__(self) -> str:
        return self.get_event_display()

    def clean(self) -> None:
        channels = self.channels if isinstance(self.channels, list) else None
        if channels is None or any(c not in PERSONAL_CHANNELS for c in channels) or len(set(channels)) != len(channels):
            raise ValidationError({"channels": "请填写渠道列表，只能包含 \"sms\"（短信）和 \"email\"（电子邮件），不重复，例如 [\"sms\", \"email\"]。"})


def all_personal_channels() -> list[str]:
    return [c.value for c in PERSONAL_CHANNELS]


class Preference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference", verbose_name="用户")
    channels = models.JSONField("接收渠道", default=all_personal_channels, blank=True)
    mobile = models.CharField("手机号", max_length=20, blank=True)
    quiet_start = models.TimeField("免打扰开始", null=True, blank=True)
    quiet_end = models.TimeField("免打扰结束", null=True, blank=True)
    digest = models.BooleanField("每日摘要（非紧急消息合并为一条）", default=False)
    digest_hour = models.PositiveSmallIntegerField("摘要发送时刻（点）", default=8)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "个人推送设置"
        verbose_name_plural = "个人推送设置"
        constraints = [models.CheckConstraint(condition=models.Q(digest_hour__lte=23), name="notice_digest_hour_0_23")]

    def __str__(self) -> str:
        return str(self.user)


class UnitRobot(models.Model):
    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="notice_robot", verbose_name="单位")
    kind = models.CharField("机器人类型", max_length=20, choices=[(c.value, c.label) for c in ROBOT_CHANNELS])
    key_name = models.CharField(
        "密钥名称", max_length=40, blank=True,
        help_text="环境变量 NOTICE_ROBOT_<名称>_URL（webhook 地址）和 NOTICE_ROBOT_<名称>_SECRET（钉钉加签密钥）；数据库不保存密钥",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="责任领导（逾期升级第一步）",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位推送设置"
        verbose_name_plural = "单位推送设置"

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_kind_display()}"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    HELD = "held", "待摘要"
    DEFERRED = "deferred", "免打扰延后"
    SENT = "sent", "已送达"
    FAILED = "failed", "失败"


class Notice(models.Model):
    event = models.CharField("事件", max_length=30, choices=Event.choices, db_index=True)
    # "u:<user id>" or "r:<unit id>" (a unit's group robot): one column for the unique rule.
    recipient = models.CharField("接收方标识", max_length=30)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notices", verbose_name="接收人")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="notices", verbose_name="单位")
    to_robot = models.BooleanField("发往单位群机器人", default=False)
    key = models.CharField("去重键", max_length=100)
    day = models.DateField("日期")
    message = models.CharField("内容", max_length=300)
    url = models.CharField("链接", max_length=300, blank=True)
    plan = models.JSONField("计划渠道", default=list, blank=True)
    status = models.CharField("状态", max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING, db_index=True)
    channel = models.CharField("送达渠道", max_length=10, choices=Channel.choices, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试轮次", default=0)
    not_before = models.DateTimeField("最早发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key", "day"], name="one_notice_per_recipient_key_day")]
        indexes = [models.Index(fields=["user", "day"], name="notice_user_day")]

    def __str__(self) -> str:
        return self.message


class Delivery(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name="推送")
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    attempt = models.PositiveSmallIntegerField("轮次")
    at = models.DateTimeField("时间", auto_now_add=True)
    ok = models.BooleanField("成功")
    answer = models.CharField("服务方应答", max_length=500, blank=True)

    class Meta:
        verbose_name = "投递尝试"
        verbose_name_plural = "投递尝试"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {'成功' if self.ok else '失败'}"

    @property
    def summary(self) -> str:
        """成功, or 失败：<the reason in Chinese> from the provider's answer (notices/answers.py)."""
        from .answers import summary

        return summary(self.ok, self.answer)


class OverdueWatch(models.Model):
    """Something a daily job reports as overdue; ``last_seen`` moves while it stays overdue."""

    subject = models.CharField("事项键", max_length=100, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name="单位")
    since = models.DateField("逾期起始日")
    last_seen = models.DateField("最近一次仍逾期")
    message = models.CharField("内容", max_length=300)
    url = models.CharField("链接", max_length=300, blank=True)

    class Meta:
        verbose_name = "逾期跟踪"
        verbose_name_plural = "逾期跟踪"

    def __str__(self) -> str:
        return self.subject


class Escalation(models.Model):
    watch = models.ForeignKey(OverdueWatch, on_delete=models.CASCADE, related_name="steps", verbose_name="逾期事项")
    step = models.PositiveSmallIntegerField("升级步骤")
    day = models.DateField("日期")
    recipients = models.PositiveIntegerField("通知人数", default=0)

    class Meta:
        verbose_name = "逾期升级"
        verbose_name_plural = "逾期升级"
        constraints = [models.UniqueConstraint(fields=["watch", "step"], name="one_escalation_per_step")]

    def __str__(self) -> str:
        return f"{self.watch} · 第{self.step}步"
