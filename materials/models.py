"""材料审核 (the paper half of the 测评): what each standard requires, what units submit, how the office reviews.

- A :class:`Requirement` belongs to one standard (a leaf indicator, usually assessed by 材料审核):
  its required items (:class:`RequirementItem`, each with a minimum file count), the units that
  submit (lead and co-units of the indicator by default) and the deadline.
- A unit answers an item in rounds (:class:`Submission`): files uploaded for it
  (:class:`SubmissionFile`), a text, and evidence it already has elsewhere (progress evidence of
  its tasks, photos of its rectifications), linked, never copied. The office reviews each round:
  合格, 需补充 (the unit adds to what it sent, in a new round) or 不合格 (the unit starts over).
- :class:`MaterialScore` is the office's score of one standard's materials for one unit; the
  campaign's :class:`MaterialSettings` say whether it enters the monthly score, the year's score
  or only the readiness report, and whether inspectors review too.

Which files count for an item is decided in ``materials.selectors.current_rounds``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaign.models import SCORE_FIELD, Campaign, Indicator, Phase, StoredFile, Unit
from inspections.models import RectificationPhoto
from tasks.models import Evidence


class ScoreUse(models.TextChoices):
    READINESS = "readiness", "仅用于迎检准备情况，不计入考核得分"
    MONTHLY = "monthly", "计入评分当月的月度考核得分"
    ANNUAL = "annual", "计入年度考核得分"


class MaterialSettings(models.Model):
    """Per campaign: who reviews, and where the materials' scores count."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="material_settings", verbose_name="创建活动")
    inspectors_review = models.BooleanField("督查员可审核材料", default=False, help_text="不勾选则只有创建办管理员审核")
    score_use = models.CharField("材料审核得分用途", max_length=20, choices=ScoreUse.choices, default=ScoreUse.READINESS)

    class Meta:
        verbose_name = "材料审核设置"
        verbose_name_plural = "材料审核设置"

    def __str__(self) -> str:
        return f"{self.campaign} · 材料审核设置"


class Requirement(models.Model):
    """申报要求 of one standard: the items to submit, who submits, by when."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="material_requirements", verbose_name="创建活动")
    indicator = models.OneToOneField(Indicator, on_delete=models.CASCADE, related_name="material_requirement", verbose_name="测评标准")
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="工作阶段")
    deadline = models.DateField("申报截止日期")
    units = models.ManyToManyField(Unit, related_name="material_requirements", verbose_name="申报单位")
    note = models.TextField("申报说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "申报要求"
        verbose_name_plural = "申报要求"
        ordering = ["campaign", "indicator__order", "indicator__code"]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.indicator.name}"

    def get_absolute_url(self) -> str:
        return reverse("materials-requirement", args=[self.pk])


class RequirementItem(models.Model):
    """One thing to submit: 工作方案, 会议记录, 活动照片 ≥ 10 张 …"""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="items", verbose_name="申报要求")
    order = models.PositiveIntegerField("序号", default=0)
    name = models.CharField("材料名称", max_length=100)
    min_files = models.PositiveIntegerField("最少文件数", default=1, help_text="0 表示只需填写文字说明")
    description = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "申报材料项"
        verbose_name_plural = "申报材料项"
        ordering = ["requirement", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["requirement", "name"], name="material_item_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return f"{self.name}（≥{self.min_files}个文件）" if self.min_files > 1 else self.name


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    ACCEPTED = "accepted", "合格"
    SUPPLEMENT = "supplement", "需补充"
    REJECTED = "rejected", "不合格"


class Submission(models.Model):
    """One round of a unit's answer to one item, and the office's review of it."""

    item = models.ForeignKey(RequirementItem, on_delete=models.CASCADE, related_name="submissions", verbose_name="申报材料项")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="material_submissions", verbose_name="申报单位")
    round = models.PositiveIntegerField("轮次")
    text = models.TextField("文字说明", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="提交人")
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    client_token = models.UUIDField("提交标识", null=True, blank=True, unique=True, help_text="防止重复提交")
    task_evidence = models.ManyToManyField(Evidence, blank=True, related_name="+", verbose_name="引用的任务佐证材料")
    rectification_photos = models.ManyToManyField(RectificationPhoto, blank=True, related_name="+", verbose_name="引用的整改照片")
    status = models.CharField("审核结果", max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="审核人"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True, help_text="需补充或不合格时写明缺少什么")

    class Meta:
        verbose_name = "材料申报"
        verbose_name_plural = "材料申报"
        ordering = ["item", "unit", "round"]
        constraints = [
            models.UniqueConstraint(fields=["item", "unit", "round"], name="material_submission_one_per_round"),
            models.CheckConstraint(
                condition=~Q(status__in=["supplement", "rejected"]) | ~Q(review_comment=""),
                name="material_review_needs_comment",
                violation_error_message="需补充或不合格时须写明审核意见。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.item} 第{self.round}轮"


class SubmissionFile(StoredFile):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files", verbose_name="材料申报")

    class Meta:
        verbose_name = "申报文件"
        verbose_name_plural = "申报文件"
        ordering = ["pk"]

    @property
    def unit(self) -> Unit:
        return self.submission.unit

    def get_absolute_url(self) -> str:
        return reverse("materials-file", args=[self.pk])


class MaterialScore(models.Model):
    """The office's score of one standard's materials for one unit (out of the indicator's 分值)."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="scores", verbose_name="申报要求")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="material_scores", verbose_name="单位")
    points = models.DecimalField("得分", **SCORE_FIELD)
    scored_on = models.DateField("评分日期", default=timezone.localdate)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="评分人")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "材料审核得分"
        verbose_name_plural = "材料审核得分"
        ordering = ["requirement", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "unit"], name="material_score_one_per_unit"),
            models.CheckConstraint(condition=Q(points__gte=0), name="material_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement} · {self.unit} {self.points}"
