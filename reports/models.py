"""Published monthly scores (snapshots) and report jobs rendered by Celery workers."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaign.models import SCORE_FIELD, AssessmentPeriod, Campaign, Unit


class UnitMonthScore(models.Model):
    """One unit's published score for one month, frozen with the period."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.PROTECT, related_name="scores", verbose_name="月度考核")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="month_scores", verbose_name="单位")
    ranking_group = models.CharField("考核组别", max_length=50)
    full_score = models.DecimalField("满分", **SCORE_FIELD)
    finding_deductions = models.DecimalField("问题扣分", **SCORE_FIELD)
    penalty_deductions = models.DecimalField("逾期整改扣分", **SCORE_FIELD)
    task_deductions = models.DecimalField("任务逾期扣分", **SCORE_FIELD)
    bonus = models.DecimalField("加分", **SCORE_FIELD)
    corrections = models.DecimalField("更正", **SCORE_FIELD)
    pass_rate = models.DecimalField("及格率", max_digits=7, decimal_places=4, null=True, blank=True)
    score = models.DecimalField("得分", **SCORE_FIELD)
    score_rate = models.DecimalField("得分率", max_digits=7, decimal_places=4, null=True, blank=True)
    rank = models.PositiveIntegerField("组内排名")
    change = models.DecimalField("较上月", null=True, blank=True, **SCORE_FIELD)

    class Meta:
        verbose_name = "单位月度得分"
        verbose_name_plural = "单位月度得分"
        ordering = ["period", "ranking_group", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="one_score_per_unit_month"),
            models.CheckConstraint(condition=Q(score__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.unit} {self.score}"


class ScoreLineSnapshot(models.Model):
    """One line that moved a published score (finding, penalty, task, bonus, correction)."""

    score = models.ForeignKey(UnitMonthScore, on_delete=models.CASCADE, related_name="lines", verbose_name="月度得分")
    kind = models.CharField("类型", max_length=20)
    label = models.CharField("说明", max_length=300)
    indicator_code = models.CharField("指标编号", max_length=30, blank=True)
    point_name = models.CharField("点位", max_length=150, blank=True)
    date = models.DateField("日期", null=True, blank=True)
    points = models.DecimalField("分值", help_text="负数为扣分，正数为加分", **SCORE_FIELD)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.PositiveBigIntegerField("对象编号", null=True, blank=True)
    order = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "得分明细"
        verbose_name_plural = "得分明细"
        ordering = ["score", "order"]

    def __str__(self) -> str:
        return f"{self.label} {self.points}"


class ReportKind(models.TextChoices):
    BULLETIN_PDF = "bulletin-pdf", "月度考核结果通报（PDF）"
    WORKBOOK_XLSX = "workbook-xlsx", "月度考核数据（Excel）"
    FINDINGS_PDF = "findings-pdf", "问题清单（含照片，PDF）"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ReportJob(models.Model):
    """A report someone asked for; a Celery worker renders it and stores the file."""

    kind = models.CharField("报表类型", max_length=30, choices=ReportKind.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="report_jobs", verbose_name="创建活动")
    month = models.DateField("月份", null=True, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="report_jobs", verbose_name="申请人"
    )
    status = models.CharField("状态", max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    message = models.CharField("进度说明", max_length=200, blank=True)
    error = models.TextField("错误信息", blank=True)
    file = models.FileField("文件", max_length=255, blank=True)
    filename = models.CharField("下载文件名", max_length=200, blank=True)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "报表任务"
        verbose_name_plural = "报表任务"
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_0_100")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month or ''} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("reports-job-detail", args=[self.pk])
