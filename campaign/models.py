"""The campaign's foundation: campaigns, units, people, the indicator system,
inspection points, phases, special actions, the work calendar, monthly
assessment periods, notifications and the audit log.

Every other app builds on these; this app imports none of them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

SCORE_FIELD = {"max_digits": 8, "decimal_places": 2}


def month_start(day: dt.date) -> dt.date:
    """The first day of the month that contains ``day`` (how months are stored)."""
    return day.replace(day=1)


class CampaignKind(models.TextChoices):
    CIVILIZED_CITY = "civilized_city", "全国文明城市"
    HYGIENIC_CITY = "hygienic_city", "国家卫生城市"
    HYGIENIC_COUNTY = "hygienic_county", "国家卫生县城"
    CIVILIZED_TOWN = "civilized_town", "文明村镇"
    CIVILIZED_UNIT = "civilized_unit", "文明单位"


class ScoringMode(models.TextChoices):
    DEDUCTION = "deduction", "扣分制"
    PASS_RATE = "pass_rate", "及格率制"
    MIXED = "mixed", "扣分制与及格率制加权"


def validate_annual_weights(value) -> None:
    """``Campaign.annual_weights``: {"YYYY-MM": weight ≥ 0}; a clear Chinese message otherwise."""
    from django.core.exceptions import ValidationError

    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError('年度考核月份权重应写成 {"2026-11": 2} 的形式（月份: 权重）。')
    for key, weight in value.items():
        try:
            year, month = str(key).split("-")
            dt.date(int(year), int(month), 1)
        except ValueError:
            raise ValidationError(f"年度考核月份权重中的月份“{key}”格式不正确，应为 YYYY-MM，如 2026-11。") from None
        try:
            number = Decimal(str(weight))
        except ArithmeticError:
            number = None
        if isinstance(weight, bool) or number is None or not number.is_finite() or number < 0:
            raise ValidationError(f"{key}的权重“{weight}”不正确：应为不小于 0 的数字。")


class Campaign(models.Model):
    """One campaign (创建活动) with its scoring parameters.

    The deduction numbers per source level live in :class:`DeductionRule`.
    """

    slug = models.SlugField("标识", max_length=60, unique=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=30, choices=CampaignKind.choices)
    year = models.PositiveIntegerField("年度")
    city_name = models.CharField("地区名称", max_length=100, help_text="用于通报标题，如“某市”")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    is_active = models.BooleanField("进行中", default=True)
    # Who works in it (the campaign switcher offers only these campaigns): campaign.selectors.campaigns_for.
    unit = models.ForeignKey(
        "Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="organised_campaigns", verbose_name="组织单位",
        help_text="留空：所有用户都参与本活动；填写后，只有该单位及其上级、下级单位的成员可以切换到本活动",
    )

    scoring_mode = models.CharField("计分方式", max_length=20, choices=ScoringMode.choices, default=ScoringMode.DEDUCTION)
    deduction_weight = models.DecimalField(
        "扣分制权重", max_digits=4, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="加权模式下扣分制得分所占比例（0–1），其余为及格率制得分",
    )
    full_score = models.DecimalField("月度满分", default=Decimal("100.00"), **SCORE_FIELD)
    repeat_window_days = models.PositiveIntegerField("重复问题判定天数", default=30)
    rectify_working_days = models.PositiveIntegerField("默认整改时限（工作日）", default=5)
    return_working_days = models.PositiveIntegerField(
        "退回后重新整改时限（工作日）", default=3, help_text="整改被退回后，单位自退回之日起的重新整改时限"
    )
    appeal_working_days = models.PositiveIntegerField(
        "申诉期限（工作日）", default=3, help_text="单位自问题发现之日起可提出申诉的工作日数"
    )
    task_overdue_points = models.DecimalField("任务逾期扣分", default=Decimal("1.00"), **SCORE_FIELD)
    task_overdue_cap = models.DecimalField("任务逾期每月扣分上限", default=Decimal("5.00"), **SCORE_FIELD)
    bonus_cap = models.DecimalField("每月加分上限", default=Decimal("5.00"), **SCORE_FIELD)
    annual_weights = models.JSONField(
        "年度考核月份权重", default=dict, blank=True, validators=[validate_annual_weights],
        help_text='年度得分默认为已发布月份得分的平均值；如需加权，按月份填写权重，如 {"2026-11": 2, "2026-12": 2}。'
                  "未填写的月份权重为 1，权重为 0 的月份不计入。",
    )

    class Meta:
        verbose_name = "创建活动"
        verbose_name_plural = "创建活动"
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaign_dates_ordered"),
            models.CheckConstraint(condition=Q(full_score__gt=0), name="campaign_full_score_positive"),
            models.CheckConstraint(
                condition=Q(deduction_weight__gte=0) & Q(deduction_weight__lte=1), name="campaign_weight_0_1"
            ),
            models.CheckConstraint(
                condition=Q(task_overdue_points__gte=0) & Q(task_overdue_cap__gte=0) & Q(bonus_cap__gte=0),
                name="campaign_caps_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def months(self) -> list[dt.date]:
        """First days of every month the campaign spans."""
        months, current = [], month_start(self.start_date)
        while current <= self.end_date:
            months.append(current)
            current = (current + dt.timedelta(days=32)).replace(day=1)
        return months


class SourceLevel(models.TextChoices):
    CITY = "city", "市级"
    DISTRICT = "district", "区级"
    DEPARTMENT = "department", "部门"


class DeductionRule(models.Model):
    """Points per problem by who found it (the local rule of the source documents).

    ``overdue_points`` empty means the default rule of DESIGN.md: a finding not
    rectified in time deducts its own points once more.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deduction_rules", verbose_name="创建活动")
    source_level = models.CharField("检查层级", max_length=20, choices=SourceLevel.choices)
    base_points = models.DecimalField("每个问题扣分", **SCORE_FIELD)
    repeat_points = models.DecimalField("重复问题扣分", **SCORE_FIELD)
    overdue_points = models.DecimalField("逾期未整改扣分", null=True, blank=True, help_text="留空则按原扣分再扣一次", **SCORE_FIELD)

    class Meta:
        verbose_name = "扣分规则"
        verbose_name_plural = "扣分规则"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "source_level"], name="one_rule_per_level"),
            models.CheckConstraint(condition=Q(base_points__gt=0) & Q(repeat_points__gt=0), name="rule_points_positive"),
            models.CheckConstraint(
                condition=Q(overdue_points__isnull=True) | Q(overdue_points__gt=0), name="rule_overdue_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_source_level_display()}"


class RankingGroup(models.Model):
    """考核组别: units are ranked within their group."""

    name = models.CharField("组别名称", max_length=50, unique=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核组别"
        verbose_name_plural = "考核组别"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class UnitType(models.TextChoices):
    CITY = "city", "市"
    DISTRICT = "district", "区/县"
    TOWNSHIP = "township", "乡镇"
    STREET = "street", "街道"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    DEPARTMENT = "department", "部门"
    OFFICE = "office", "处室/科室"
    HOSPITAL = "hospital", "医院"
    SCHOOL = "school", "学校"
    ENTERPRISE = "enterprise", "企业"


class Unit(models.Model):
    """A responsible unit (单位) in the tree 市 → 区/县 → 乡镇/街道 → 村/社区, departments beside it.

    ``path`` is a materialised path ("/1/5/23/") kept on save, so "this unit and
    everything below it" is one indexed prefix query.
    """

    name = models.CharField("单位名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=50, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级单位"
    )
    unit_type = models.CharField("单位类型", max_length=20, choices=UnitType.choices)
    ranking_group = models.ForeignKey(
        RankingGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="units", verbose_name="考核组别"
    )
    order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    # The months a unit is scored in (reports.scoring.scored_units): a unit set up in November
    # must not appear in October's ranking when October is re-published.
    active_from = models.DateField("启用日期", null=True, blank=True, help_text="自该日所在月份起参加月度考核；留空表示一直参加")
    active_until = models.DateField("停用日期", null=True, blank=True, help_text="参加月度考核到该日所在月份为止；留空表示一直参加")
    path = models.CharField("路径", max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField("层级", editable=False, default=0)

    class Meta:
        verbose_name = "责任单位"
        verbose_name_plural = "责任单位"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_from__isnull=True) | Q(active_until__isnull=True) | Q(active_until__gte=models.F("active_from")),
                name="unit_active_until_after_from",
                violation_error_message="停用日期不能早于启用日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        if self.parent_id and self.parent_id == self.pk:
            raise ValueError("单位不能以自身为上级单位")
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if self.parent_id and f"/{self.pk}/" in parent_path:
            raise ValueError("单位层级不能形成循环")
        if new_path != self.path:
            self.path = new_path
            self.depth = new_path.count("/") - 2
            Unit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old_path:
                # Re-root the subtree below us.
                for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("depth"):
                    child.path = ""
                    child.save(update_fields=["path", "depth"])

    def descendants_and_self(self) -> models.QuerySet["Unit"]:
        return Unit.objects.filter(path__startswith=self.path)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    ADMIN = "admin", "创建办管理员"
    INSPECTOR = "inspector", "督查员"
    OFFICIAL = "official", "单位联络员"
    LEADER = "leader", "领导"


class Membership(models.Model):
    """Who belongs to which unit in which role. Access rules read only this table."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="用户")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name="单位")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    title = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "单位成员"
        verbose_name_plural = "单位成员"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class AssessmentMethod(models.TextChoices):
    FIELD = "field", "实地考察"
    MATERIAL = "material", "材料审核"
    SURVEY = "survey", "问卷调查"
    ONLINE = "online", "网络测评"


class PointType(models.Model):
    """点位类型 such as 主次干道, 背街小巷, 农贸市场."""

    name = models.CharField("点位类型", max_length=50, unique=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "点位类型"
        verbose_name_plural = "点位类型"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """A node of the indicator system: 测评项目 (level 1) → 测评内容 (2) → 测评标准 (3).

    Leaves carry the standard text, the assessment method, the unit types they
    apply to (empty = all), the lead unit and co-units, and the point types
    whose checklist includes them (the point-type × indicator matrix).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="indicators", verbose_name="创建活动")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级指标"
    )
    level = models.PositiveSmallIntegerField("层级", default=1)
    code = models.CharField("编号", max_length=30)
    name = models.CharField("名称", max_length=200)
    score = models.DecimalField("分值", default=Decimal("0"), **SCORE_FIELD)
    standard_text = models.TextField("测评标准", blank=True)
    method = models.CharField("测评方法", max_length=20, choices=AssessmentMethod.choices, blank=True)
    applicable_unit_types = models.JSONField("适用单位类型", default=list, blank=True, help_text="留空表示适用于所有单位类型")
    lead_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_indicators", verbose_name="牵头单位"
    )
    co_units = models.ManyToManyField(Unit, blank=True, related_name="co_indicators", verbose_name="配合单位")
    point_types = models.ManyToManyField(PointType, blank=True, related_name="indicators", verbose_name="适用点位类型")
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "测评指标"
        verbose_name_plural = "测评指标"
        ordering = ["campaign", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="unique_indicator_code"),
            models.CheckConstraint(condition=Q(score__gte=0), name="indicator_score_not_negative"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=3), name="indicator_level_1_3"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_leaf(self) -> bool:
        return self.level == 3

    def applies_to(self, unit_type: str) -> bool:
        return not self.applicable_unit_types or unit_type in self.applicable_unit_types


class InspectionPoint(models.Model):
    """点位: a place inspectors visit, with the unit responsible for it (包保单位)."""

    name = models.CharField("点位名称", max_length=150, unique=True)
    point_type = models.ForeignKey(PointType, on_delete=models.PROTECT, related_name="points", verbose_name="点位类型")
    address = models.CharField("地址", max_length=200, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="points", verbose_name="包保单位")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    # Name, type, 包保 unit, address and their pinyin, for the inspectors' search (campaign/search.py).
    search_text = models.CharField("搜索词", max_length=600, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = "点位"
        verbose_name_plural = "点位"
        ordering = ["point_type__order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from .search import point_search_text

        self.search_text = point_search_text(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)


class Phase(models.Model):
    """工作阶段, e.g. 宣传发动阶段 (5月上旬)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name="创建活动")
    name = models.CharField("阶段名称", max_length=50)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    goals = models.TextField("工作任务", blank=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "工作阶段"
        verbose_name_plural = "工作阶段"
        ordering = ["campaign", "order", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_phase_name"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="phase_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


class SpecialAction(models.Model):
    """专项行动, scored by its lead office (牵头单位)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="special_actions", verbose_name="创建活动")
    name = models.CharField("行动名称", max_length=100)
    lead_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="led_actions", verbose_name="牵头单位")
    description = models.TextField("工作内容", blank=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "专项行动"
        verbose_name_plural = "专项行动"
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="unique_action_name")]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """A date the office marks as a working day or a day off, overriding the national calendar."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", "未发布"
    PUBLISHED = "published", "已发布"


class AssessmentPeriod(models.Model):
    """The state of one campaign month (月度考核): open, or published and frozen.

    It lives here, at the bottom of the import chain, because every app must
    respect a frozen month (on PostgreSQL the database enforces it by trigger).
    The scores themselves are snapshotted by ``reports``.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="periods", verbose_name="创建活动")
    month = models.DateField("月份", help_text="该月第一天")
    status = models.CharField("状态", max_length=20, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    # Tamper evidence (reports/digest.py): SHA-256 over the snapshot, chained to the previous published month.
    digest = models.CharField("快照摘要（SHA-256）", max_length=64, blank=True, editable=False)
    digest_previous = models.CharField("上一发布月份摘要", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "月度考核"
        verbose_name_plural = "月度考核"
        ordering = ["campaign", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="unique_period"),
            models.CheckConstraint(condition=Q(month__day=1), name="period_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.month.year}年{self.month.month}月"

    @property
    def is_published(self) -> bool:
        return self.status == PeriodStatus.PUBLISHED


class PeriodEvent(models.Model):
    """Publication and revocation of a month, kept forever with who and why."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "发布"
        REVOKE = "revoke", "撤销发布"

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.PROTECT, related_name="events", verbose_name="月度考核")
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间", default=timezone.now)
    reason = models.TextField("原因", blank=True)

    class Meta:
        verbose_name = "发布记录"
        verbose_name_plural = "发布记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.period} {self.get_action_display()}"


class Notification(models.Model):
    """An in-app notice. ``key`` + ``day`` make reminders idempotent per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name="接收人")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications", verbose_name="单位")
    key = models.CharField("去重键", max_length=100)
    day = models.DateField("日期")
    message = models.CharField("内容", max_length=300)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息通知"
        verbose_name_plural = "消息通知"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key", "day"], name="one_notice_per_day")]

    def __str__(self) -> str:
        return self.message


class AuditLog(models.Model):
    """Append-only record of who did what to which object (see campaign/audit.py)."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="操作人"
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("操作", max_length=50, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True)
    object_id = models.CharField("对象编号", max_length=50, blank=True)
    object_repr = models.CharField("对象", max_length=300, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="相关单位")
    ip_address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at"]

    def __str__(self) -> str:
        from .audit_secrets import shown  # the object's description as shown: an old 随手拍 row's query code hidden

        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {shown(self).object_repr}"

    def get_absolute_url(self) -> str:
        return reverse("admin:campaign_auditlog_change", args=[self.pk])


class StoredFile(models.Model):
    """Base for uploaded evidence: checked by content, stored under a generated name.

    Concrete subclasses add the foreign key to what the file documents. Files
    are never served by URL; a view checks access and streams them.
    """

    file = models.FileField("文件", max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="上传人")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
