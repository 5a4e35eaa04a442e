"""工作台账: the registers a township keeps and the 测评 asks to see.

Each row belongs to a campaign and to the unit that keeps it (a township, street, village or
department); an official sees and edits the rows of their unit and the units below it
(``campaign.access``). The figures computed from the rows (counts, sums, ratios, coverage) live
in ``ledgers/measures.py`` and ``ledgers/selectors.py``; tasks read them from there.

- 常住人口 (:class:`Population`) is kept here, per campaign and unit, because the units' own table
  has no such field and 注册志愿者占比 needs it; it is entered by the office or the unit.
- 志愿者 (:class:`Volunteer`): one row per registered volunteer with the cumulative 人次 and 小时
  of their service (the register townships keep, e.g. 芦洲乡 65 人, 90 人次, 184 小时).
- 宣传栏 / 公益广告 (:class:`Board`): where it stands — the village (a unit of type 村/社区) and/or
  an inspection point — and an optional photo.
- 文明家庭 (:class:`Family`), 会议培训 (:class:`Meeting`), 荣誉 (:class:`Honour`) and the 爱国卫生
  register (:class:`HygieneActivity`: 参加人数, 清除积水容器, 清理露天轮胎, 清理卫生死角 — the figures
  the county summary reports).
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from campaign.models import Campaign, InspectionPoint, StoredFile, Unit


class LedgerRow(models.Model):
    """What every ledger row has: its campaign, the unit that keeps it, who wrote it and a note."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name="创建活动")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name="填报单位")
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="填报人"
    )
    created_at = models.DateTimeField("填报时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The add form carries a token: the same form posted twice creates one row.
    client_token = models.UUIDField("提交标识", null=True, blank=True, unique=True, editable=False)

    class Meta:
        abstract = True


class Population(LedgerRow):
    """常住人口 of a unit: the denominator of 注册志愿者占比."""

    residents = models.PositiveIntegerField("常住人口（人）", validators=[MinValueValidator(1)])
    source = models.CharField("数据来源", max_length=100, blank=True, help_text="如 第七次人口普查、2025年统计年鉴")

    class Meta:
        verbose_name = "常住人口"
        verbose_name_plural = "常住人口"
        ordering = ["unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"], name="ledger_population_one_per_unit",
                violation_error_message="该单位已填报常住人口，请修改原记录。",
            ),
            models.CheckConstraint(condition=Q(residents__gt=0), name="ledger_population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.residents}人"


class Volunteer(LedgerRow):
    """One registered volunteer with the cumulative service they have given."""

    name = models.CharField("姓名", max_length=50)
    team = models.CharField("服务队", max_length=100, blank=True, help_text="如 芦洲乡青年志愿服务队")
    registered_on = models.DateField("注册日期", null=True, blank=True)
    activity_count = models.PositiveIntegerField("参加活动（人次）", default=0)
    hours = models.DecimalField("服务时长（小时）", max_digits=8, decimal_places=1, default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"
        ordering = ["unit__path", "team", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "name"], name="ledger_volunteer_unique_name",
                violation_error_message="本单位名册中已有同名志愿者；同名的请在姓名后注明区分，如“王芳（东村）”。",
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="ledger_volunteer_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class BoardKind(models.TextChoices):
    BOARD = "board", "宣传栏"
    PSA = "psa", "公益广告"


class Board(LedgerRow):
    """A 宣传栏 or a 公益广告 site: where it stands and since when."""

    kind = models.CharField("类别", max_length=10, choices=BoardKind.choices, default=BoardKind.BOARD)
    name = models.CharField("名称/位置", max_length=150, help_text="如 芦洲村村委会门口宣传栏")
    village = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="所在村（社区）",
        help_text="村、社区是单位树中类型为村/社区的单位；留空表示不在某一村（社区）",
    )
    point = models.ForeignKey(
        InspectionPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="所在点位"
    )
    built_on = models.DateField("建成日期", null=True, blank=True)

    class Meta:
        verbose_name = "宣传栏/公益广告"
        verbose_name_plural = "宣传栏/公益广告"
        ordering = ["unit__path", "kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class FamilyLevel(models.TextChoices):
    VILLAGE = "village", "村级"
    TOWNSHIP = "township", "乡镇级"
    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "全国"


class Family(LedgerRow):
    """A household named 文明家庭 / 文明户."""

    household = models.CharField("户主/家庭", max_length=50)
    village = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="所在村（社区）"
    )
    level = models.CharField("级别", max_length=10, choices=FamilyLevel.choices, default=FamilyLevel.COUNTY)
    year = models.PositiveIntegerField("评选年度")

    class Meta:
        verbose_name = "文明家庭"
        verbose_name_plural = "文明家庭"
        ordering = ["unit__path", "-year", "household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "household", "year", "level"], name="ledger_family_unique",
                violation_error_message="本单位该年度已有同名、同级别的文明家庭。",
            ),
        ]

    def __str__(self) -> str:
        return self.household


class MeetingKind(models.TextChoices):
    MEETING = "meeting", "会议"
    TRAINING = "training", "培训"


class Meeting(LedgerRow):
    """A meeting or a training session: date, topic, attendance."""

    kind = models.CharField("类别", max_length=10, choices=MeetingKind.choices, default=MeetingKind.MEETING)
    held_on = models.DateField("日期")
    topic = models.CharField("主题", max_length=200)
    attendance = models.PositiveIntegerField("参加人数")

    class Meta:
        verbose_name = "会议培训"
        verbose_name_plural = "会议培训"
        ordering = ["unit__path", "-held_on", "pk"]

    def __str__(self) -> str:
        return self.topic


class HonourLevel(models.TextChoices):
    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "国家级"


class Honour(LedgerRow):
    """An honour the unit received (荣誉称号)."""

    name = models.CharField("荣誉名称", max_length=150)
    level = models.CharField("级别", max_length=10, choices=HonourLevel.choices)
    awarded_on = models.DateField("授予日期")
    issuer = models.CharField("授予单位", max_length=100)

    class Meta:
        verbose_name = "荣誉"
        verbose_name_plural = "荣誉"
        ordering = ["unit__path", "-awarded_on", "pk"]

    def __str__(self) -> str:
        return self.name


class HygieneActivity(LedgerRow):
    """One 爱国卫生 activity (e.g. a “六清” day) and what it cleared."""

    held_on = models.DateField("日期")
    topic = models.CharField("活动名称", max_length=200)
    participants = models.PositiveIntegerField("参加人数")
    containers = models.PositiveIntegerField("清除积水容器（处）", default=0)
    tyres = models.PositiveIntegerField("清理露天轮胎（处）", default=0)
    blackspots = models.PositiveIntegerField("清理卫生死角（处）", default=0)

    class Meta:
        verbose_name = "爱国卫生活动"
        verbose_name_plural = "爱国卫生活动"
        ordering = ["unit__path", "-held_on", "pk"]

    def __str__(self) -> str:
        return self.topic


class BoardPhoto(StoredFile):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="photos", verbose_name="宣传栏/公益广告")

    class Meta:
        verbose_name = "宣传栏照片"
        verbose_name_plural = "宣传栏照片"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("ledgers-photo", args=["boards", self.pk])


class MeetingPhoto(StoredFile):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="photos", verbose_name="会议培训")

    class Meta:
        verbose_name = "会议培训照片"
        verbose_name_plural = "会议培训照片"
        ordering = ["pk"]

    def get_absolute_url(self) -> str:
        return reverse("ledgers-photo", args=["meetings", self.pk])
