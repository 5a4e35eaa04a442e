"""Published monthly scores (snapshots) and report jobs rendered by Celery workers."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaign.models import SCORE_FIELD, AssessmentPeriod, Campaign, PeriodEvent, Unit


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


class PublishedFigures(models.Model):
    """What a publication froze besides the scores: each finding's rectification state and the
    month's tasks as they stood on the day of publication (``as_of``).

    One row per publish event (a revoked and re-published month keeps the older rows as history;
    on PostgreSQL the rows can be inserted, never changed or deleted: migration 0008);
    ``reports.data.report_data`` reads the row of the period's latest publication, so a published
    month's bulletin and workbook never move when rectifications are reviewed later.
    """

    event = models.OneToOneField(PeriodEvent, on_delete=models.PROTECT, related_name="figures", verbose_name="发布记录")
    period = models.ForeignKey(AssessmentPeriod, on_delete=models.PROTECT, related_name="figures", verbose_name="月度考核")
    as_of = models.DateField("数据截至日期")
    findings = models.JSONField("问题及整改情况", default=list, blank=True)
    tasks = models.JSONField("任务完成情况", default=list, blank=True)
    units = models.JSONField("单位名称", default=dict, blank=True, help_text="发布时各单位的名称（单位编号 → 名称）")

    class Meta:
        verbose_name = "发布时的整改及任务数据"
        verbose_name_plural = "发布时的整改及任务数据"
        ordering = ["period", "-event__at"]

    def __str__(self) -> str:
        return f"{self.period} {self.as_of:%Y-%m-%d}"


class ReportKind(models.TextChoices):
    BULLETIN_PDF = "bulletin-pdf", "月度考核结果通报（PDF）"
    WORKBOOK_XLSX = "workbook-xlsx", "月度考核数据（Excel）"
    FINDINGS_PDF = "findings-pdf", "问题清单（含照片，PDF）"
    FINDINGS_XLSX = "findings-xlsx", "问题清单（Excel）"
    TASKS_XLSX = "tasks-xlsx", "责任分解任务（Excel）"
    BULLETIN_DOCX = "bulletin-docx", "月度考核结果通报（Word）"
    SUMMARY_DOCX = "summary-docx", "工作总结（Word）"
    MATERIALS_ZIP = "materials-zip", "迎检材料归档（ZIP）"
    SURVEY_XLSX = "survey-xlsx", "问卷原始数据（Excel）"
    SURVEY_PDF = "survey-pdf", "问卷调查结果（PDF）"


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
    # Liveness (issue 11): set when the job is enqueued and every few seconds while a worker renders it;
    # the sweeper (reports.job_services.report_jobs_sweep) re-queues or fails jobs whose heartbeat stopped.
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    requeues = models.PositiveIntegerField("重新排队次数", default=0)
    # What the chunked bulletin found out while merging: {"pages": N, "units": [{"id", "name", "group", "start", "end"}]}
    # (1-based page numbers of each unit's appendix, for the per-unit appendix download).
    outline = models.JSONField("目录信息", default=dict, blank=True)

    class Meta:
        verbose_name = "报表任务"
        verbose_name_plural = "报表任务"
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_0_100")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month or ''} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("reports-job-detail", args=[self.pk])


class ReportChunk(models.Model):
    """One part of a chunked bulletin (issue 14): the front part (index 0) or a slice of the appendix.

    Each part is its own Celery task and its own WeasyPrint document; the last one to finish merges
    them (pypdf). ``attempt`` ties the part to the job's attempt that planned it, so a message from an
    abandoned attempt does nothing.
    """

    job = models.ForeignKey(ReportJob, on_delete=models.CASCADE, related_name="chunks", verbose_name="报表任务")
    attempt = models.PositiveIntegerField("所属尝试")
    index = models.PositiveIntegerField("序号")
    label = models.CharField("内容", max_length=200)
    unit_ids = models.JSONField("单位", default=list, blank=True)
    status = models.CharField("状态", max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    pages = models.PositiveIntegerField("页数", null=True, blank=True)
    bookmarks = models.JSONField("书签", default=list, blank=True)
    file = models.CharField("临时文件", max_length=255, blank=True)
    error = models.TextField("错误信息", blank=True)

    class Meta:
        verbose_name = "报表分块"
        verbose_name_plural = "报表分块"
        ordering = ["job", "attempt", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "attempt", "index"], name="one_chunk_per_index")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index} {self.label}"
