"""Django admin for inspections, findings, orders, rectifications, bonuses and accountability.

Rows that count in a month (findings, overdue penalties, corrections, bonuses)
are read-only once that month is published (FrozenMonthAdminMixin); order
numbers are taken by the service, so the counter is view-only.
"""
from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from campaign.admin import (
    FrozenMonthAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    StoredFileAdminMixin,
    StoredFileInlineMixin,
)

from .models import (
    Appeal,
    AppealEvidence,
    Accountability,
    Bonus,
    Check,
    Correction,
    Finding,
    FindingPhoto,
    Inspection,
    OrderCounter,
    OverduePenalty,
    Rectification,
    RectificationPhoto,
    SupervisionOrder,
)


class FindingInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Findings are added on their own page, where the month and the deduction rule are checked."""

    model = Finding
    fields = ("unit", "point", "indicator", "description", "points", "status")
    show_change_link = True


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("date", "title", "kind", "source_level", "special_action", "finding_count")
    list_filter = ("campaign", "kind", "source_level", "special_action")
    search_fields = ("title", "scope")
    autocomplete_fields = ("campaign", "special_action", "inspectors", "points", "created_by")
    date_hierarchy = "date"
    list_select_related = ("special_action",)
    inlines = [FindingInline]

    @admin.display(description="问题数")
    def finding_count(self, obj: Inspection) -> int:
        return obj.findings.count()


@admin.register(Check)
class CheckAdmin(FrozenMonthAdminMixin, admin.ModelAdmin):
    """Checks feed the pass rate of their month, so a published month's checks are frozen too."""

    list_display = ("inspection", "point", "indicator", "unit", "result", "month", "finding", "month_frozen")
    list_filter = ("result", "month", "inspection__kind", "point__point_type")
    search_fields = ("point__name", "indicator__code", "indicator__name", "unit__name")
    autocomplete_fields = ("inspection", "point", "indicator", "unit", "finding", "checked_by")
    list_select_related = ("inspection", "point", "indicator", "unit", "finding")

    def campaign_id_of(self, obj: Check) -> int:
        return obj.inspection.campaign_id


class FindingPhotoInline(StoredFileInlineMixin, admin.TabularInline):
    model = FindingPhoto


class RectificationInline(ReadOnlyInlineMixin, admin.StackedInline):
    """Units submit rectifications from the findings pages (the service numbers the rounds)."""

    model = Rectification
    fields = ("round", "description", "submitted_by", "submitted_at", "status", "reviewed_by", "reviewed_at", "review_comment")
    show_change_link = True


@admin.register(Finding)
class FindingAdmin(FrozenMonthAdminMixin, SimpleHistoryAdmin):
    list_display = ("found_on", "unit", "indicator", "short_description", "points", "is_repeat", "status", "rectify_deadline", "month_frozen")
    list_filter = ("campaign", "month", "status", "is_repeat", "inspection__source_level", "unit__ranking_group")
    search_fields = ("description", "unit__name", "indicator__code", "indicator__name", "point__name")
    autocomplete_fields = ("campaign", "inspection", "unit", "point", "indicator", "created_by", "withdrawn_by")
    date_hierarchy = "found_on"
    list_select_related = ("unit", "indicator", "point")
    readonly_fields = ("created_at", "client_token")
    inlines = [FindingPhotoInline, RectificationInline]

    @admin.display(description="问题描述")
    def short_description(self, obj: Finding) -> str:
        return obj.description[:40]


@admin.register(FindingPhoto)
class FindingPhotoAdmin(StoredFileAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "finding", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "sha256", "finding__description")
    readonly_fields = ("finding", *StoredFileAdminMixin.readonly_fields)
    list_select_related = ("finding__unit", "finding__indicator", "uploaded_by")


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    list_display = ("label", "unit", "deadline", "issued_by", "issued_at")
    list_filter = ("campaign", "year")
    search_fields = ("unit__name", "requirements", "number")
    autocomplete_fields = ("campaign", "unit", "findings", "issued_by")
    readonly_fields = ("year", "number")
    list_select_related = ("unit", "issued_by")

    def has_add_permission(self, request, obj=None) -> bool:
        # Numbers are taken without gaps by the order service; an admin-made order would skip that.
        return False


@admin.register(OrderCounter)
class OrderCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("year", "last_number")


class RectificationPhotoInline(StoredFileInlineMixin, admin.TabularInline):
    model = RectificationPhoto
    fields = ("file_link", "kind", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(Rectification)
class RectificationAdmin(FrozenMonthAdminMixin, SimpleHistoryAdmin):
    """A rectification belongs to its finding's month: read-only once that month is published (units
    submit and inspectors review through the findings pages; the database allows only that review)."""

    list_display = ("finding", "round", "submitted_by", "submitted_at", "status", "reviewed_by", "reviewed_at", "month_frozen")
    list_filter = ("status", "finding__campaign")
    search_fields = ("description", "review_comment", "finding__description", "finding__unit__name")
    autocomplete_fields = ("finding", "submitted_by", "reviewed_by")
    list_select_related = ("finding__unit", "finding__indicator", "submitted_by", "reviewed_by")
    inlines = [RectificationPhotoInline]

    def campaign_id_of(self, obj: Rectification) -> int:
        return obj.finding.campaign_id

    def month_of(self, obj: Rectification):
        return obj.finding.month


@admin.register(RectificationPhoto)
class RectificationPhotoAdmin(StoredFileAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "rectification", "kind", "content_type", "size", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "sha256", "rectification__finding__description")
    readonly_fields = ("rectification", "kind", *StoredFileAdminMixin.readonly_fields)


@admin.register(OverduePenalty)
class OverduePenaltyAdmin(FrozenMonthAdminMixin, admin.ModelAdmin):
    list_display = ("finding", "unit", "month", "points", "created_at", "month_frozen")
    list_filter = ("campaign", "month")
    search_fields = ("unit__name", "finding__description")
    autocomplete_fields = ("finding", "unit", "campaign")
    list_select_related = ("finding__unit", "finding__indicator", "unit")


@admin.register(Correction)
class CorrectionAdmin(FrozenMonthAdminMixin, admin.ModelAdmin):
    list_display = ("unit", "month", "points", "reason", "finding", "created_by", "month_frozen")
    list_filter = ("campaign", "month")
    search_fields = ("unit__name", "reason")
    autocomplete_fields = ("campaign", "unit", "finding", "created_by")
    list_select_related = ("unit", "finding__indicator", "finding__unit", "created_by")


@admin.register(Bonus)
class BonusAdmin(FrozenMonthAdminMixin, SimpleHistoryAdmin):
    list_display = ("unit", "month", "points", "reason", "status", "approved_by", "month_frozen")
    list_filter = ("campaign", "month", "status")
    search_fields = ("unit__name", "reason")
    autocomplete_fields = ("campaign", "unit", "created_by", "approved_by")
    list_select_related = ("unit", "approved_by")


@admin.register(Accountability)
class AccountabilityAdmin(admin.ModelAdmin):
    list_display = ("date", "unit", "person_name", "kind", "reason")
    list_filter = ("campaign", "kind")
    search_fields = ("unit__name", "person_name", "reason")
    autocomplete_fields = ("campaign", "unit", "findings", "created_by")
    date_hierarchy = "date"
    list_select_related = ("unit",)


class AppealEvidenceInline(StoredFileInlineMixin, admin.TabularInline):
    model = AppealEvidence


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only: appeals are made and decided through the services (access, window, corrections)."""

    list_display = ("finding", "unit", "status", "original_points", "new_points", "submitted_at", "decided_at")
    list_filter = ("campaign", "status")
    search_fields = ("unit__name", "reason", "decision_reason", "finding__description")
    list_select_related = ("finding__unit", "finding__indicator", "unit")
    inlines = [AppealEvidenceInline]


@admin.register(AppealEvidence)
class AppealEvidenceAdmin(StoredFileAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "appeal", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "sha256")
    readonly_fields = ("appeal", *StoredFileAdminMixin.readonly_fields)
    list_select_related = ("appeal__finding__unit", "appeal__finding__indicator", "uploaded_by")
