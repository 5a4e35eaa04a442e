"""Django admin for the campaign's foundation, and the helpers other apps' admins share.

The admin is the 创建办's back office for setting things up (units, indicators,
points, phases). Two rules hold here as everywhere else:

- a published month is frozen: rows that count in it are read-only
  (:class:`FrozenMonthAdminMixin`), and a new row cannot be put into it;
- publication goes through the reports service, so a period's status is
  read-only here, and the audit log is view-only.
"""
from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.html import format_html

from . import audit
from .models import (
    AssessmentPeriod,
    AuditLog,
    CalendarDay,
    Campaign,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    Notification,
    PeriodEvent,
    Phase,
    PointType,
    RankingGroup,
    SpecialAction,
    Unit,
)
from .periods import ensure_month_open, is_month_published

INDENT_EM = 1.5


def indented(label: str, depth: int) -> str:
    """A tree node's label pushed right by its depth, so a list ordered by path reads as a tree."""
    marker = "└ " if depth else ""
    return format_html('<span style="padding-left:{}em;white-space:nowrap">{}{}</span>', depth * INDENT_EM, marker, label)


def download_link(obj: Model, label: str) -> str:
    """A link to the access-checking download view of a stored file (never its media URL)."""
    try:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), label)
    except NoReverseMatch:
        return label


# ---------------------------------------------------------------- frozen months


class FrozenMonthForm(forms.ModelForm):
    """Refuses to put a row into a published month (the message says why, in Chinese)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        campaign = data.get("campaign")
        if campaign is None and data.get("inspection") is not None:
            campaign = data["inspection"].campaign  # checklist items reach their campaign through the inspection
        if campaign is None and getattr(self.instance, "campaign_id", None):
            campaign = self.instance.campaign
        month = data.get("month")
        finding = data.get("finding") if "month" not in self.fields else None
        if finding is not None and hasattr(finding, "month"):
            # Rectifications belong to their finding's month (they carry no month of their own).
            campaign, month = finding.campaign, finding.month
        if campaign is not None and month is not None:
            try:
                ensure_month_open(campaign, month)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return data


class FrozenMonthAdminMixin:
    """Rows with ``campaign`` and ``month`` become read-only once that month is published.

    Used for findings, checklist items, overdue penalties, corrections, bonuses and rectifications
    (which belong to their finding's month); a mistake in a published month is answered by a
    correction in an open month, never by an edit.
    """

    form = FrozenMonthForm

    def is_frozen(self, obj: Model | None) -> bool:
        if obj is None or not getattr(obj, "pk", None):
            return False
        return is_month_published(self.campaign_id_of(obj), self.month_of(obj))

    def campaign_id_of(self, obj: Model) -> int:
        return obj.campaign_id

    def month_of(self, obj: Model) -> Any:
        return obj.month

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if self.is_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if self.is_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(boolean=True, description="月份已冻结")
    def month_frozen(self, obj: Model) -> bool:
        return self.is_frozen(obj)


class ReadOnlyAdminMixin:
    """View-only: records written by services (audit trail, snapshots, counters)."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInlineMixin:
    """An inline that shows rows written elsewhere (by a service), without add, change or delete."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None):
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StoredFileInlineMixin(ReadOnlyInlineMixin):
    """Uploaded files are shown, never edited: uploads go through campaign.uploads (content checks)."""

    fields = ("file_link", "content_type", "size", "uploaded_by", "uploaded_at")

    @admin.display(description="文件")
    def file_link(self, obj: Model) -> str:
        # The download view checks access; the media URL is never exposed.
        return download_link(obj, obj.original_name)


class StoredFileAdminMixin:
    list_display = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "sha256")
    list_filter = ("content_type",)
    exclude = ("file",)
    readonly_fields = ("file_link", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="文件")
    def file_link(self, obj: Model) -> str:
        return download_link(obj, obj.original_name)


# ---------------------------------------------------------------- campaign


class DeductionRuleInline(admin.TabularInline):
    model = DeductionRule
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "year", "city_name", "scoring_mode", "full_score", "is_active")
    list_filter = ("kind", "year", "scoring_mode", "is_active")
    search_fields = ("name", "slug", "city_name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DeductionRuleInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "year", "city_name", "start_date", "end_date", "is_active")}),
        ("计分规则", {"fields": (
            "scoring_mode", "deduction_weight", "full_score", "repeat_window_days", "rectify_working_days",
            "task_overdue_points", "task_overdue_cap", "bonus_cap", "annual_weights",
        )}),
    )


@admin.register(DeductionRule)
class DeductionRuleAdmin(admin.ModelAdmin):
    list_display = ("campaign", "source_level", "base_points", "repeat_points", "overdue_points")
    list_filter = ("campaign", "source_level")
    search_fields = ("campaign__name",)
    autocomplete_fields = ("campaign",)


@admin.register(RankingGroup)
class RankingGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "unit_count")
    search_fields = ("name",)
    ordering = ("order", "name")

    @admin.display(description="单位数")
    def unit_count(self, obj: RankingGroup) -> int:
        return obj.units.count()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user", "unit")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "unit_type", "ranking_group", "depth", "order", "is_active", "active_from", "active_until")
    list_display_links = ("tree_name",)
    list_filter = ("unit_type", "ranking_group", "is_active", "depth")
    search_fields = ("name", "short_name")
    autocomplete_fields = ("parent", "ranking_group")
    ordering = ("path",)
    readonly_fields = ("path", "depth")
    inlines = [MembershipInline]
    list_select_related = ("ranking_group",)

    @admin.display(description="单位名称", ordering="path")
    def tree_name(self, obj: Unit) -> str:
        return indented(obj.name, obj.depth)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role", "title", "phone")
    list_filter = ("role", "unit__unit_type")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name", "title")
    autocomplete_fields = ("user", "unit")
    list_select_related = ("user", "unit")


@admin.register(PointType)
class PointTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "point_count")
    search_fields = ("name",)

    @admin.display(description="点位数")
    def point_count(self, obj: PointType) -> int:
        return obj.points.count()


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "tree_name", "level", "score", "method", "lead_unit")
    list_display_links = ("code", "tree_name")
    list_filter = ("campaign", "level", "method", "point_types")
    search_fields = ("code", "name", "standard_text")
    autocomplete_fields = ("campaign", "parent", "lead_unit", "co_units")
    filter_horizontal = ("point_types",)
    ordering = ("campaign", "order", "code")
    list_select_related = ("campaign", "lead_unit")

    @admin.display(description="名称", ordering="code")
    def tree_name(self, obj: Indicator) -> str:
        return indented(obj.name, obj.level - 1)


@admin.register(InspectionPoint)
class InspectionPointAdmin(admin.ModelAdmin):
    list_display = ("name", "point_type", "address", "unit", "latitude", "longitude", "is_active")
    list_filter = ("point_type", "is_active", "unit__ranking_group")
    # search_text also holds the pinyin (rml finds 人民路), like the inspectors' search.
    search_fields = ("name", "address", "unit__name", "search_text")
    fields = ("name", "point_type", "address", "unit", ("latitude", "longitude"), "is_active")
    autocomplete_fields = ("point_type", "unit")
    list_select_related = ("point_type", "unit")


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "start_date", "end_date", "order")
    list_filter = ("campaign",)
    search_fields = ("name", "goals")
    autocomplete_fields = ("campaign",)


@admin.register(SpecialAction)
class SpecialActionAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "lead_unit", "order")
    list_filter = ("campaign",)
    search_fields = ("name", "description", "lead_unit__name")
    autocomplete_fields = ("campaign", "lead_unit")
    list_select_related = ("campaign", "lead_unit")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    search_fields = ("note",)
    date_hierarchy = "date"


class PeriodEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PeriodEvent
    fields = ("action", "actor", "at", "reason")


@admin.register(AssessmentPeriod)
class AssessmentPeriodAdmin(admin.ModelAdmin):
    """Months are opened here; publishing and revoking go through the reports service (recorded)."""

    list_display = ("campaign", "month", "status", "published_at", "published_by")
    list_filter = ("campaign", "status")
    search_fields = ("campaign__name",)
    readonly_fields = ("status", "published_at", "published_by")
    autocomplete_fields = ("campaign",)
    inlines = [PeriodEventInline]

    def has_delete_permission(self, request: HttpRequest, obj: AssessmentPeriod | None = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: AssessmentPeriod | None = None):
        if obj is not None:
            # Moving a period to another month would move its frozen rows' meaning with it.
            return (*self.readonly_fields, "campaign", "month")
        return self.readonly_fields


@admin.register(PeriodEvent)
class PeriodEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("period", "action", "actor", "at", "reason")
    list_filter = ("action",)
    search_fields = ("reason", "actor__username")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("message", "user", "unit", "day", "created_at", "read_at")
    list_filter = ("day",)
    search_fields = ("message", "user__username", "key")
    autocomplete_fields = ("user", "unit")
    date_hierarchy = "day"


class AuditActionFilter(admin.SimpleListFilter):
    """The admin's filter by action, in words (campaign.audit.ACTION_LABELS)."""

    title = "操作"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditLog.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, audit.action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditObjectTypeFilter(admin.SimpleListFilter):
    """The admin's filter by object type, by the model's Chinese name."""

    title = "对象类型"
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        types = AuditLog.objects.exclude(object_type="").order_by().values_list("object_type", flat=True).distinct()
        return sorted(((t, audit.object_type_label(t)) for t in types), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Append-only: may be viewed, never added, changed or deleted here."""

    list_display = ("at", "actor_name", "action_words", "object_type_words", "object_words", "unit", "ip_address")
    list_filter = (AuditActionFilter, AuditObjectTypeFilter)
    search_fields = ("actor_name", "action", "object_id")  # the descriptions: get_search_results
    date_hierarchy = "at"
    list_select_related = ("unit",)
    # A 随手拍's query code is never shown, even on rows written before it was left out (audit.shown).
    fields = ("at", "actor", "actor_name", "action", "object_type", "object_id", "object_words", "unit", "ip_address",
              "before_words", "after_words", "message_words")

    def get_readonly_fields(self, request: HttpRequest, obj: AuditLog | None = None):
        return list(self.fields)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        """Account, action, object id, or the words of the object and message (not old rows' query codes)."""
        from django.db.models import Q

        term = search_term.strip()
        if not term:
            return queryset, False
        matches = (Q(actor_name__icontains=term) | Q(action__icontains=term) | Q(object_id=term)
                   | audit.secret_free_text(term, ["object_repr", "message"]))
        return queryset.filter(matches), False

    @admin.display(description="对象", ordering="object_repr")
    def object_words(self, obj: AuditLog) -> str:
        return audit.shown(obj).object_repr

    @admin.display(description="变更前")
    def before_words(self, obj: AuditLog) -> str:
        value = audit.shown(obj).before
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    @admin.display(description="变更后")
    def after_words(self, obj: AuditLog) -> str:
        value = audit.shown(obj).after
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    @admin.display(description="说明")
    def message_words(self, obj: AuditLog) -> str:
        return audit.shown(obj).message

    @admin.display(description="操作", ordering="action")
    def action_words(self, obj: AuditLog) -> str:
        return audit.action_label(obj.action, obj.after)

    @admin.display(description="对象类型", ordering="object_type")
    def object_type_words(self, obj: AuditLog) -> str:
        return audit.object_type_label(obj.object_type)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False


# ---------------------------------------------------------------- users with their memberships

User = get_user_model()


class UserMembershipInline(MembershipInline):
    autocomplete_fields = ("unit",)


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [*DjangoUserAdmin.inlines, UserMembershipInline]
    list_display = ("username", "first_name", "last_name", "roles", "is_staff", "is_active", "last_login")
    actions = ["unlock_logins"]

    @admin.action(description="解除所选账户的登录锁定")
    def unlock_logins(self, request: HttpRequest, queryset: Any) -> None:
        # Lockouts live in django-axes; the unlock is audited (campaign/security.py).
        from .security import accounts_unlock

        removed = accounts_unlock(usernames=list(queryset.values_list("username", flat=True)))
        self.message_user(request, f"已解除登录锁定（清除失败记录 {removed} 条）。")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("memberships__unit")

    @admin.display(description="角色与单位")
    def roles(self, obj: Any) -> str:
        return "；".join(f"{m.unit.name}·{m.get_role_display()}" for m in obj.memberships.all())
