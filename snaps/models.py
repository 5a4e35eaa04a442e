"""随手拍: what residents report, how the office files it, and the campaign's rule for 群众举报.

A report (:class:`Snap`) is the resident's words, photos and place. The office triages it once:
it becomes a finding (``inspections.Finding``, then the normal rectification loop), is declined
with a reason, or is merged into an earlier report of the same problem. What the reporter sees
(已受理 / 处理中 / 已办结 / 不予受理) is derived from these facts and from the finding's state by
``snaps/selectors.public_status``; it is never stored, so it cannot drift from the finding.
"""
from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaign.models import SCORE_FIELD, Campaign, Indicator, InspectionPoint, SourceLevel, StoredFile
from inspections.models import Finding

# No 0/O, 1/I/L: a code read out over the phone or typed from a screenshot is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31**12 ≈ 7.9e17 codes: guessing one, at the rate limit, takes longer than the campaign


def new_code() -> str:
    """A random query code (``secrets``: not guessable from earlier codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What a reporter typed, as stored: upper case, without spaces or dashes (at most 40 characters)."""
    return "".join(ch for ch in (raw or "").upper() if ch.isascii() and ch.isalnum())[:40]


class SnapRule(models.Model):
    """The campaign's rule for 群众举报: whether a report filed as a finding deducts, and how much."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="snap_rule", verbose_name="创建活动")
    is_open = models.BooleanField("开放群众随手拍", default=True, help_text="关闭后公开页面不再接收新的举报，已有举报仍可查询")
    deducts = models.BooleanField(
        "转为问题时扣分", default=True,
        help_text="不扣分时，核实属实的举报仍转为问题交责任单位整改，只是不计扣分",
    )
    source_level = models.CharField(
        "按哪一级检查计分", max_length=20, choices=SourceLevel.choices, default=SourceLevel.CITY,
        help_text="转为问题时挂在该级别的“群众随手拍”检查下，扣分上限、重复问题和逾期扣分按该级规则",
    )
    points = models.DecimalField(
        "每个问题扣分", null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))],
        help_text="留空则按上面所选级别扣分规则的建议分值", **SCORE_FIELD,
    )
    intro = models.TextField(
        "公开页说明", blank=True, default="发现影响城市文明形象的问题，拍张照片告诉我们。创建办核实后交责任单位整改，您可凭查询码查看办理进度。",
    )

    class Meta:
        verbose_name = "随手拍规则"
        verbose_name_plural = "随手拍规则"

    def __str__(self) -> str:
        return f"{self.campaign} · 随手拍规则"


class SnapCategory(models.Model):
    """What residents choose from ("what is wrong"), mapped to the indicator a finding is charged to."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="snap_categories", verbose_name="创建活动")
    name = models.CharField("类别名称", max_length=60, help_text="群众看得懂的说法，如“占道经营”“垃圾乱堆”")
    hint = models.CharField("举例", max_length=120, blank=True, help_text="显示在类别下方，如“流动摊贩、店外经营”")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="snap_categories", verbose_name="对应测评指标",
        help_text="转为问题时默认记在此指标下",
    )
    order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "随手拍类别"
        verbose_name_plural = "随手拍类别"
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="snap_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class Triage(models.TextChoices):
    PENDING = "pending", "待处理"
    FILED = "filed", "已转为问题"
    DECLINED = "declined", "不予受理"
    MERGED = "merged", "已合并"


class Snap(models.Model):
    """One resident's report. Nothing here names the reporter except an optional phone number."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="snaps", verbose_name="创建活动")
    code = models.CharField("查询码", max_length=CODE_LENGTH, unique=True, default=new_code, editable=False)
    category = models.ForeignKey(SnapCategory, on_delete=models.PROTECT, related_name="snaps", verbose_name="问题类别")
    description = models.TextField("问题描述", max_length=500)
    place = models.CharField("地点", max_length=200, blank=True, help_text="群众填写的位置描述")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    point = models.ForeignKey(
        InspectionPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="snaps", verbose_name="点位",
        help_text="群众选的附近点位，或创建办核实后的点位",
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    created_at = models.DateTimeField("举报时间", default=timezone.now, db_index=True)
    client_token = models.UUIDField("提交标识", unique=True, null=True, blank=True, help_text="防止重复提交")
    device_key = models.CharField("设备标识摘要", max_length=64, blank=True, editable=False)

    triage = models.CharField("处理结果", max_length=20, choices=Triage.choices, default=Triage.PENDING, db_index=True)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="snaps", verbose_name="转成的问题"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", verbose_name="合并到"
    )
    decline_reason = models.CharField("不予受理原因", max_length=300, blank=True, help_text="会显示给举报人")
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="处理人"
    )
    triaged_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "随手拍举报"
        verbose_name_plural = "随手拍举报"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "triage", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(triage="declined") | ~Q(decline_reason=""), name="snap_decline_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(triage="filed") | Q(finding__isnull=False), name="snap_filed_has_finding"
            ),
            models.CheckConstraint(
                condition=~Q(triage="merged") | Q(merged_into__isnull=False), name="snap_merged_has_target"
            ),
        ]

    def __str__(self) -> str:
        # Never the query code: this text is stored in audit rows that leaders and admins read, and the
        # code is the reporter's key to the status page (docs/security.md §6).
        return f"随手拍举报 #{self.pk} · {self.category} · {self.description[:20]}"

    # The audit log links here only for those who may open the page (campaign.audit.describe).
    audit_link_permission = "snaps.triage"
    # Left out of audit snapshots; hidden when older rows that still hold them are shown (campaign.audit.shown).
    # The code opens the status page; client_token would replay the submission (services.snap_submit); the phone
    # and the device digest name the reporter.
    audit_secret_fields = ("code", "client_token", "phone", "device_key")
    audit_secret_pattern = rf"(?<![0-9A-Za-z])[{CODE_ALPHABET}]{{{CODE_LENGTH}}}(?![0-9A-Za-z])"

    def get_absolute_url(self) -> str:
        return reverse("snaps-detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("snaps-public-status", args=[self.code])


class SnapPhoto(StoredFile):
    """A photo the reporter sent, stored without its EXIF and at most 2,560 px long (campaign.uploads.prepare_photo)."""

    snap = models.ForeignKey(Snap, on_delete=models.CASCADE, related_name="photos", verbose_name="举报")

    class Meta:
        verbose_name = "随手拍照片"
        verbose_name_plural = "随手拍照片"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("snaps-photo", args=[self.snap_id, self.pk])
