"""Inspections in the field: checks, findings (deductions), supervision orders,
rectification rounds, penalties, corrections, bonuses and accountability.

Rows that carry points (Finding, OverduePenalty, Correction, Bonus) store the
``month`` they count in; once that month is published they are frozen (on
PostgreSQL by trigger, see migrations), and later corrections are
:class:`Correction` rows in an open month.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from campaign.models import (
    SCORE_FIELD,
    Campaign,
    Indicator,
    InspectionPoint,
    SourceLevel,
    SpecialAction,
    StoredFile,
    Unit,
)


class InspectionKind(models.TextChoices):
    ON_SITE = "on_site", "现场考核"
    SUPERVISION = "supervision", "专项督查"
    SPOT_CHECK = "spot_check", "暗访抽查"
    PATROL = "patrol", "日常巡查"


class Inspection(models.Model):
    """One inspection event (检查)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="inspections", verbose_name="创建活动")
    kind = models.CharField("检查类型", max_length=20, choices=InspectionKind.choices)
    source_level = models.CharField("检查层级", max_length=20, choices=SourceLevel.choices)
    date = models.DateField("检查日期", db_index=True)
    title = models.CharField("检查名称", max_length=200)
    scope = models.TextField("检查范围", blank=True)
    special_action = models.ForeignKey(
        SpecialAction, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections", verbose_name="专项行动"
    )
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="inspections", verbose_name="督查员")
    points = models.ManyToManyField(InspectionPoint, blank=True, related_name="inspections", verbose_name="检查点位")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "检查"
        verbose_name_plural = "检查"
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("inspections-detail", args=[self.pk])


class FindingStatus(models.TextChoices):
    OPEN = "open", "待整改"
    SUBMITTED = "submitted", "待验收"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已销号"
    WITHDRAWN = "withdrawn", "已撤销"


class Finding(models.Model):
    """A problem found (问题/扣分), charged to one unit against one indicator.

    It deducts ``points`` in ``month`` (the month of its inspection). A
    withdrawn finding stays, with its reason, and deducts nothing.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="findings", verbose_name="创建活动")
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings", verbose_name="检查")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="findings", verbose_name="责任单位")
    point = models.ForeignKey(InspectionPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="findings", verbose_name="点位")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="findings", verbose_name="测评指标")
    description = models.TextField("问题描述")
    points = models.DecimalField("扣分", **SCORE_FIELD)
    found_on = models.DateField("发现日期", db_index=True)
    month = models.DateField("计分月份", db_index=True)
    is_repeat = models.BooleanField("重复问题", default=False)
    rectify_deadline = models.DateField("整改时限")
    status = models.CharField("状态", max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True)
    accepted_at = models.DateTimeField("销号时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    client_token = models.UUIDField("提交标识", null=True, blank=True, unique=True, help_text="防止重复提交")
    withdrawn_reason = models.TextField("撤销原因", blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="撤销人"
    )
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "问题扣分"
        verbose_name_plural = "问题扣分"
        ordering = ["-found_on", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "month", "unit"]),
            models.Index(fields=["point", "indicator", "found_on"]),
            # 整改跟踪: counts and the most urgent page of the open findings, without reading the closed ones.
            models.Index(
                fields=["campaign", "rectify_deadline", "id"], condition=Q(status__in=["open", "returned"]),
                name="finding_awaiting_unit_idx",
            ),
            models.Index(
                fields=["campaign", "rectify_deadline", "id"], condition=Q(status="submitted"), name="finding_submitted_idx",
            ),
            # The findings list (newest first, 50 a page): read from the index, no sort of the campaign's findings.
            models.Index(fields=["campaign", "found_on", "id"], name="finding_list_idx"),
        ]
        constraints = [
            # 0 is a finding made without a deduction (a resident's report under such a campaign rule, snaps).
            models.CheckConstraint(condition=Q(points__gte=0), name="finding_points_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="finding_month_first_day"),
            models.CheckConstraint(condition=Q(rectify_deadline__gte=models.F("found_on")), name="finding_deadline_after_found"),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""), name="finding_withdrawal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.indicator.code} · {self.description[:30]}"

    def get_absolute_url(self) -> str:
        return reverse("inspections-finding-detail", args=[self.pk])

    @property
    def counts(self) -> bool:
        return self.status != FindingStatus.WITHDRAWN


class FindingPhoto(StoredFile):
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos", verbose_name="问题")

    class Meta:
        verbose_name = "问题照片"
        verbose_name_plural = "问题照片"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("inspections-photo-download", args=["finding", self.pk])


class CheckResult(models.TextChoices):
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"
    NA = "na", "不适用"


class Check(models.Model):
    """One item of a checklist round: one standard at one point in one inspection."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="checks", verbose_name="检查")
    point = models.ForeignKey(InspectionPoint, on_delete=models.PROTECT, related_name="checks", verbose_name="点位")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="checks", verbose_name="测评标准")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="checks", verbose_name="责任单位")
    result = models.CharField("结果", max_length=10, choices=CheckResult.choices)
    month = models.DateField("计分月份", db_index=True)
    finding = models.OneToOneField(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="source_check", verbose_name="形成问题")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="检查人")
    checked_at = models.DateTimeField("检查时间", default=timezone.now)

    class Meta:
        verbose_name = "检查清单项"
        verbose_name_plural = "检查清单项"
        ordering = ["point", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "point", "indicator"], name="one_check_per_item"),
            models.CheckConstraint(condition=Q(month__day=1), name="check_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.point} · {self.indicator.code} · {self.get_result_display()}"


class SupervisionOrder(models.Model):
    """督办单, numbered per year without gaps: 督办〔2026〕15号."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="orders", verbose_name="创建活动")
    year = models.PositiveIntegerField("年度")
    number = models.PositiveIntegerField("编号")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="orders", verbose_name="责任单位")
    findings = models.ManyToManyField(Finding, related_name="orders", verbose_name="督办问题")
    deadline = models.DateField("整改时限")
    requirements = models.TextField("督办要求", blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="签发人")
    issued_at = models.DateTimeField("签发时间", default=timezone.now)
    overdue_notified_at = models.DateTimeField("逾期提醒时间", null=True, blank=True, help_text="逾期只提醒一次")

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="unique_order_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="order_number_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"督办〔{self.year}〕{self.number}号"

    def get_absolute_url(self) -> str:
        return reverse("inspections-order-detail", args=[self.pk])


class OrderCounter(models.Model):
    """The last order number issued per year; rows are locked while a number is taken."""

    year = models.PositiveIntegerField("年度", primary_key=True)
    last_number = models.PositiveIntegerField("最后编号", default=0)

    class Meta:
        verbose_name = "督办单编号"
        verbose_name_plural = "督办单编号"


class RectificationStatus(models.TextChoices):
    PENDING = "pending", "待验收"
    ACCEPTED = "accepted", "已通过"
    RETURNED = "returned", "已退回"


class Rectification(models.Model):
    """One round of a unit's answer to a finding, and the inspector's review of it."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="rectifications", verbose_name="问题")
    round = models.PositiveIntegerField("轮次")
    description = models.TextField("整改情况")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="提交人")
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    deadline = models.DateField("本轮整改时限", null=True, blank=True, help_text="提交时该问题的整改时限")
    status = models.CharField("状态", max_length=20, choices=RectificationStatus.choices, default=RectificationStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="验收人"
    )
    reviewed_at = models.DateTimeField("验收时间", null=True, blank=True)
    review_comment = models.TextField("验收意见", blank=True)
    resubmit_deadline = models.DateField("重新整改时限", null=True, blank=True, help_text="退回时给出的新整改时限")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "整改"
        verbose_name_plural = "整改"
        ordering = ["finding", "round"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "round"], name="unique_rectification_round"),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""), name="rectification_return_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding} 第{self.round}轮整改"


class RectificationPhoto(StoredFile):
    class Kind(models.TextChoices):
        BEFORE = "before", "整改前"
        AFTER = "after", "整改后"

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="photos", verbose_name="整改")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.AFTER)

    class Meta:
        verbose_name = "整改照片"
        verbose_name_plural = "整改照片"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("inspections-photo-download", args=["rectification", self.pk])


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待裁定"
    UPHELD = "upheld", "维持"
    REVOKED = "revoked", "撤销"
    RESCORED = "rescored", "改分"


class Appeal(models.Model):
    """申诉: a unit contests a finding; the office decides 维持 / 撤销 / 改分 with a reason.

    One appeal per finding. ``original_points`` keeps what the finding deducted
    when it was appealed; ``new_points`` is the decided deduction (0 for 撤销,
    the original for 维持). A decision on a finding of a published month is
    booked as a :class:`Correction` in an open month (``correction``).
    """

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="appeal", verbose_name="问题")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name="创建活动")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="appeals", verbose_name="申诉单位")
    reason = models.TextField("申诉理由")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申诉人")
    submitted_at = models.DateTimeField("申诉时间", default=timezone.now)
    original_points = models.DecimalField("原扣分", **SCORE_FIELD)
    status = models.CharField("状态", max_length=20, choices=AppealStatus.choices, default=AppealStatus.PENDING, db_index=True)
    new_points = models.DecimalField("裁定扣分", null=True, blank=True, **SCORE_FIELD)
    decision_reason = models.TextField("裁定理由", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="裁定人"
    )
    decided_at = models.DateTimeField("裁定时间", null=True, blank=True)
    correction = models.OneToOneField(
        "Correction", null=True, blank=True, on_delete=models.PROTECT, related_name="appeal", verbose_name="更正记录"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "申诉"
        verbose_name_plural = "申诉"
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="appeal_has_reason"),
            models.CheckConstraint(
                condition=Q(status="pending") | ~Q(decision_reason=""), name="appeal_decision_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(new_points__isnull=True)
                | (Q(new_points__gte=0) & Q(new_points__lte=models.F("original_points"))),
                name="appeal_new_points_within_original",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding} 申诉（{self.get_status_display()}）"

    def get_absolute_url(self) -> str:
        return self.finding.get_absolute_url() + "#appeal"

    @property
    def is_open(self) -> bool:
        return self.status == AppealStatus.PENDING

    @property
    def summary(self) -> str:
        return appeal_summary(self.status, self.original_points, self.new_points)


def appeal_summary(status: str | None, original: Any, new: Any) -> str:
    """One phrase for explanation lines and lists, e.g. "申诉改分：原扣0.50分，改为0.20分" ("" without appeal)."""
    if not status:
        return ""
    if status == AppealStatus.PENDING:
        return "申诉待裁定"
    if status == AppealStatus.UPHELD:
        return f"申诉维持：扣{original}分"
    if status == AppealStatus.REVOKED:
        return f"申诉撤销：原扣{original}分，不再扣分"
    return f"申诉改分：原扣{original}分，改为{new}分"


class AppealEvidence(StoredFile):
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="evidence", verbose_name="申诉")

    class Meta:
        verbose_name = "申诉材料"
        verbose_name_plural = "申诉材料"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("inspections-appeal-evidence", args=[self.pk])


class OverduePenalty(models.Model):
    """The extra deduction for a finding not rectified by its deadline: once per finding."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="overdue_penalty", verbose_name="问题")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name="创建活动")
    month = models.DateField("计分月份", db_index=True)
    points = models.DecimalField("扣分", **SCORE_FIELD)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "逾期整改扣分"
        verbose_name_plural = "逾期整改扣分"
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="penalty_points_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="penalty_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.finding} 逾期扣分 {self.points}"


class Correction(models.Model):
    """A reversing entry in an open month for a mistake in a published one.

    ``points`` is signed: positive gives points back, negative takes more.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="corrections", verbose_name="创建活动")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="corrections", verbose_name="单位")
    month = models.DateField("计入月份", db_index=True)
    points = models.DecimalField("调整分值", help_text="正数为返还分数，负数为追加扣分", **SCORE_FIELD)
    reason = models.TextField("原因")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", verbose_name="相关问题")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "更正记录"
        verbose_name_plural = "更正记录"
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="correction_points_nonzero"),
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason"),
            models.CheckConstraint(condition=Q(month__day=1), name="correction_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y-%m} {self.points:+}"


class BonusStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class Bonus(models.Model):
    """加分 for honours or innovation; only approved bonuses count, capped per month."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="bonuses", verbose_name="创建活动")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bonuses", verbose_name="单位")
    month = models.DateField("计入月份", db_index=True)
    points = models.DecimalField("加分", **SCORE_FIELD)
    reason = models.TextField("加分事由")
    status = models.CharField("状态", max_length=20, choices=BonusStatus.choices, default=BonusStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申报人")
    created_at = models.DateTimeField("申报时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="审批人"
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "加分"
        verbose_name_plural = "加分"
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="bonus_points_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="bonus_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y-%m} +{self.points}"


class AccountabilityKind(models.TextChoices):
    TALK = "talk", "约谈"
    CRITICISM = "criticism", "通报批评"
    ADMONISH = "admonish", "诫勉谈话"
    SELF_CHECK = "self_check", "责令书面检查"
    OTHER = "other", "其他"


class Accountability(models.Model):
    """问责 for 不作为、慢作为、乱作为, linked to the findings behind it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="accountabilities", verbose_name="创建活动")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accountabilities", verbose_name="单位")
    person_name = models.CharField("被问责人", max_length=50, blank=True)
    kind = models.CharField("问责方式", max_length=20, choices=AccountabilityKind.choices)
    date = models.DateField("日期")
    reason = models.TextField("问责事由")
    findings = models.ManyToManyField(Finding, blank=True, related_name="accountabilities", verbose_name="相关问题")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "问责记录"
        verbose_name_plural = "问责记录"
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()} {self.date}"
