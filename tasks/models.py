"""The responsibility breakdown (责任分解): tasks for named units and the progress they report."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, Indicator, Phase, SpecialAction, StoredFile, Unit


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "进行中"
    COMPLETED = "completed", "已完成"
    ACCEPTED = "accepted", "已验收"


class TaskCategory(models.TextChoices):
    """What a task serves: an indicator / special action, or the campaign's own organisation.

    组织保障 tasks (动员大会, 责任落实方案, 档案台账 …) organise the work itself; they need
    neither an indicator nor a special action and are counted apart from the indicators.
    """

    WORK = "work", "测评指标任务"
    ORGANISATION = "organisation", "组织保障"


class TargetAggregation(models.TextChoices):
    SUM = "sum", "累计（各次进展相加）"
    LATEST = "latest", "最新值（以最近一次为准）"


class Task(models.Model):
    """One line of the responsibility breakdown table.

    A task belongs to an indicator and/or a special action, unless its category
    is 组织保障 (then it may belong to neither); ``deadline`` empty
    with ``is_ongoing`` means 长期坚持. ``completed_on`` is the day the unit
    marked it complete: "on time" is judged on that date (tasks/rules.py).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks", verbose_name="创建活动")
    code = models.CharField("序号", max_length=30, blank=True)
    category = models.CharField("任务类别", max_length=20, choices=TaskCategory.choices, default=TaskCategory.WORK, db_index=True)
    title = models.CharField("任务名称", max_length=300)
    indicator = models.ForeignKey(Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name="测评指标")
    special_action = models.ForeignKey(
        SpecialAction, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name="专项行动"
    )
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name="工作阶段")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks", verbose_name="责任单位")
    co_units = models.ManyToManyField(Unit, blank=True, related_name="co_tasks", verbose_name="配合单位")
    leader_name = models.CharField("责任领导", max_length=50, blank=True)
    person_name = models.CharField("责任人", max_length=50, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="responsible_tasks", verbose_name="责任人账号"
    )
    standard = models.TextField("工作标准", blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True, db_index=True)
    deadline_text = models.CharField("时限原文", max_length=50, blank=True)
    is_ongoing = models.BooleanField("长期坚持", default=False)
    target_value = models.DecimalField("量化目标", null=True, blank=True, max_digits=12, decimal_places=2)
    target_unit = models.CharField("目标单位", max_length=20, blank=True, help_text="如 个、%、小时")
    target_aggregation = models.CharField("目标计算方式", max_length=10, choices=TargetAggregation.choices, default=TargetAggregation.SUM)
    # A task may take its progress from a ledger measure (ledgers/measures.py) instead of its
    # entries' values: "宣传栏 7 个" counts the unit's 宣传栏 rows, so the figure is entered once.
    ledger_measure = models.CharField(
        "进度来自台账", max_length=40, blank=True, help_text="选择后，完成数值取自本单位及下级单位的台账，不再按填报的进展计算"
    )
    status = models.CharField("状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED, db_index=True)
    completed_on = models.DateField("完成日期", null=True, blank=True)
    accepted_at = models.DateTimeField("验收时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="验收人"
    )
    return_reason = models.TextField("退回原因", blank=True)
    shortfall_reason = models.TextField(
        "目标未达原因", blank=True, help_text="标记完成时量化目标未达到，由责任单位说明原因（验收人可见）"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "责任分解任务"
        verbose_name_plural = "责任分解任务"
        ordering = ["campaign", "deadline", "code", "pk"]
        indexes = [models.Index(fields=["campaign", "unit", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(indicator__isnull=False) | Q(special_action__isnull=False) | Q(category="organisation"),
                name="task_has_indicator_action_or_is_organisation",
                violation_error_message="测评指标和专项行动至少要填写一项（组织保障类任务除外）。",
            ),
            models.CheckConstraint(condition=Q(target_value__isnull=True) | Q(target_value__gt=0), name="task_target_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["completed", "accepted"]) | Q(completed_on__isnull=False),
                name="task_completed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tasks-detail", args=[self.pk])


class ProgressEntry(models.Model):
    """What a unit reports on a task: text, an optional value toward the target, evidence files."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="progress_entries", verbose_name="任务")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="填报人")
    created_at = models.DateTimeField("填报时间", auto_now_add=True)
    text = models.TextField("进展情况")
    value = models.DecimalField("完成数值", null=True, blank=True, max_digits=12, decimal_places=2)
    client_token = models.UUIDField("提交标识", null=True, blank=True, unique=True, help_text="防止重复提交")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "工作进展"
        verbose_name_plural = "工作进展"
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="progress_value_not_negative")]

    def __str__(self) -> str:
        return f"{self.task} · {self.created_at:%Y-%m-%d}"


class Evidence(StoredFile):
    """A photo, PDF, Word or Excel file attached to a progress entry."""

    entry = models.ForeignKey(ProgressEntry, on_delete=models.PROTECT, related_name="evidence", verbose_name="工作进展")

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("tasks-evidence-download", args=[self.pk])

