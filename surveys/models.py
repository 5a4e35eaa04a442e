"""问卷调查: a questionnaire, its questions and options, quotas per area, responses and the rule
that turns a rate into points for an indicator assessed by survey (问卷调查).

How rates are counted and scored is stated once, in ``surveys/rates.py``; this module only
stores the facts.
"""
from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaign.models import Campaign, Indicator, Unit


def new_token() -> str:
    """An unguessable public token (128 bits, URL-safe): public links can not be enumerated."""
    return secrets.token_urlsafe(16)


def new_structure_version() -> str:
    """A fresh random mark for a survey's questions, options and areas (``Survey.structure_version``).

    Random rather than counted: a change rolled back and another one made after it can never land on a
    version whose structure some process has already cached."""
    return secrets.token_hex(8)


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class Survey(models.Model):
    """One questionnaire. Public answers come through ``/surveys/s/<token>/``; interviewers answer logged in."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="surveys", verbose_name="创建活动")
    title = models.CharField("问卷标题", max_length=200)
    intro = models.TextField("卷首语", blank=True, help_text="向受访者说明调查目的，会显示在问卷开头")
    status = models.CharField("状态", max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    token = models.CharField("公开链接令牌", max_length=40, unique=True, default=new_token, editable=False)
    allow_public = models.BooleanField("允许扫码/公开链接作答", default=True)
    allow_interview = models.BooleanField("允许调查员入户代填", default=True)
    ask_area = models.BooleanField("公开作答时请受访者选择所在社区/村", default=True)
    ask_contact = models.BooleanField("收集联系电话", default=False)
    contact_purpose = models.CharField(
        "收集电话的用途", max_length=200, blank=True, help_text="收集联系电话时必填，会显示在问卷上，如“用于抽样回访核实”"
    )
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="surveys", verbose_name="关联指标")
    opens_on = models.DateField("开始日期", null=True, blank=True)
    closes_on = models.DateField("截止日期", null=True, blank=True)
    score_month = models.DateField(
        "计入考核月份", null=True, blank=True, help_text="该月第一天；留空则不计入月度考核"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # Replaced whenever a question, option or quota area changes (surveys/signals.py): the answer form's
    # structure is cached per (survey, version) (``selectors.answer_sheet``), so answering reads only this row.
    structure_version = models.CharField(max_length=16, default=new_structure_version, editable=False)

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"
        ordering = ["-created_at"]
        constraints = [
            # One title per campaign: the create form posted twice makes one survey.
            models.UniqueConstraint(fields=["campaign", "title"], name="one_survey_title_per_campaign",
                                    violation_error_message="本创建活动已有同名问卷。"),
            models.CheckConstraint(
                condition=Q(ask_contact=False) | ~Q(contact_purpose=""),
                name="survey_contact_needs_purpose",
                violation_error_message="收集联系电话时必须说明用途。",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    RATING = "rating", "评分（1–5）"
    TEXT = "text", "简答"


class Measure(models.TextChoices):
    """What a question measures: its "yes" answers make up a rate."""

    AWARE = "aware", "知晓率"
    SATISFIED = "satisfied", "满意度"
    SUPPORT = "support", "支持率"


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name="问卷")
    order = models.PositiveIntegerField("序号", default=0)
    kind = models.CharField("题型", max_length=10, choices=QuestionKind.choices)
    text = models.CharField("题目", max_length=300)
    required = models.BooleanField("必答", default=True)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_questions", verbose_name="关联指标"
    )
    measure = models.CharField("计入", max_length=10, choices=Measure.choices, blank=True)
    yes_min_rating = models.PositiveSmallIntegerField(
        "评分题计为“是”的最低分", default=4, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = "题目"
        verbose_name_plural = "题目"
        ordering = ["survey", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options", verbose_name="题目")
    order = models.PositiveIntegerField("序号", default=0)
    text = models.CharField("选项", max_length=200)
    counts_yes = models.BooleanField("计为“是”", default=False, help_text="选择该项计为知晓/满意/支持")

    class Meta:
        verbose_name = "选项"
        verbose_name_plural = "选项"
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class Quota(models.Model):
    """样本配额: how many responses the office wants from one area (a community or village)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="quotas", verbose_name="问卷")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="survey_quotas", verbose_name="调查区域")
    target = models.PositiveIntegerField("样本量", validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "样本配额"
        verbose_name_plural = "样本配额"
        ordering = ["survey", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="one_quota_per_survey_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.target}"


class ResponseMode(models.TextChoices):
    PUBLIC = "public", "扫码作答"
    INTERVIEW = "interview", "入户调查"


class Response(models.Model):
    """One completed questionnaire. Public answers are anonymous: no user, no address, only a hash of
    the device cookie (one answer per device and survey)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name="问卷")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_responses", verbose_name="受访者所在区域"
    )
    mode = models.CharField("作答方式", max_length=10, choices=ResponseMode.choices)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_interviews",
        verbose_name="调查员",
    )
    device = models.CharField("设备标识摘要", max_length=64, null=True, blank=True, editable=False)
    # The form's one-time key: the same form posted twice creates one response.
    submission_key = models.CharField("提交键", max_length=64, unique=True, editable=False)
    contact = models.CharField("联系电话", max_length=30, blank=True)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"
        ordering = ["-submitted_at"]
        constraints = [models.UniqueConstraint(fields=["survey", "device"], name="one_response_per_device")]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"


class Answer(models.Model):
    """One answer to one question; a multiple-choice answer is one row per chosen option."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", verbose_name="答卷")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", verbose_name="题目")
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.CASCADE, related_name="answers", verbose_name="选项")
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    text = models.TextField("回答", blank=True)

    class Meta:
        verbose_name = "回答"
        verbose_name_plural = "回答"
        indexes = [models.Index(fields=["question", "option"])]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.option_id or self.rating or self.text[:20]}"


class ScoreMethod(models.TextChoices):
    PROPORTIONAL = "proportional", "按比例：得分 = 比率 × 分值"
    THRESHOLD = "threshold", "达标满分：比率达到目标值得满分，低于目标按比例"


class ScoringRule(models.Model):
    """How one survey's rate scores one indicator (问卷调查) in the monthly assessment."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rules", verbose_name="问卷")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="survey_rules", verbose_name="指标")
    measure = models.CharField("采用比率", max_length=10, choices=Measure.choices)
    method = models.CharField("计分方法", max_length=20, choices=ScoreMethod.choices, default=ScoreMethod.THRESHOLD)
    target = models.DecimalField(
        "目标值", max_digits=5, decimal_places=4, default=Decimal("0.9000"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))], help_text="如 0.90 表示 90%",
    )
    min_respondents = models.PositiveIntegerField("最少受访人数", default=10, help_text="受访人数不足时不计分")

    class Meta:
        verbose_name = "问卷计分规则"
        verbose_name_plural = "问卷计分规则"
        constraints = [models.UniqueConstraint(fields=["survey", "indicator"], name="one_rule_per_survey_indicator")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.indicator.code}"
