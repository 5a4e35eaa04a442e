"""Django admin for the responsibility breakdown: tasks with their progress and evidence."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from campaign.admin import StoredFileAdminMixin, StoredFileInlineMixin
from ledgers import measures as ledger_measures

from .models import Evidence, ProgressEntry, Task


class ProgressEntryInline(admin.StackedInline):
    model = ProgressEntry
    extra = 0
    fields = ("author", "text", "value", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("author",)
    show_change_link = True


class TaskAdminForm(forms.ModelForm):
    ledger_measure = forms.ChoiceField(
        label="进度来自台账", required=False, choices=ledger_measures.TASK_MEASURE_CHOICES,
        help_text="选择后，完成数值取自本单位及下级单位的台账（如宣传栏个数、志愿服务时长），不再按填报的进展计算",
    )

    class Meta:
        model = Task
        fields = "__all__"


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    form = TaskAdminForm
    list_display = ("code", "title", "unit", "category", "phase", "special_action", "indicator", "deadline", "status", "person_name")
    list_display_links = ("code", "title")
    list_filter = ("campaign", "category", "status", "phase", "special_action", "unit__ranking_group", "is_ongoing")
    search_fields = ("code", "title", "standard", "leader_name", "person_name", "unit__name", "indicator__code")
    autocomplete_fields = ("campaign", "indicator", "special_action", "phase", "unit", "co_units", "person", "accepted_by")
    date_hierarchy = "deadline"
    list_select_related = ("unit", "phase", "special_action", "indicator")
    readonly_fields = ("created_at", "updated_at")
    inlines = [ProgressEntryInline]
    fieldsets = (
        (None, {"fields": ("campaign", "code", "title", "category", "indicator", "special_action", "phase")}),
        ("责任", {"fields": ("unit", "co_units", "leader_name", "person_name", "person", "standard")}),
        ("时限与目标", {"fields": ("deadline", "deadline_text", "is_ongoing", "target_value", "target_unit", "target_aggregation", "ledger_measure")}),
        ("状态", {"fields": (
            "status", "completed_on", "shortfall_reason", "accepted_at", "accepted_by", "return_reason", "created_at", "updated_at",
        )}),
    )


class EvidenceInline(StoredFileInlineMixin, admin.TabularInline):
    model = Evidence


@admin.register(ProgressEntry)
class ProgressEntryAdmin(SimpleHistoryAdmin):
    list_display = ("task", "author", "created_at", "value")
    list_filter = ("task__campaign", "task__unit__ranking_group")
    search_fields = ("text", "task__title", "task__code", "task__unit__name", "author__username")
    autocomplete_fields = ("task", "author")
    readonly_fields = ("created_at", "client_token")
    list_select_related = ("task", "author")
    inlines = [EvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(StoredFileAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "entry", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "sha256", "entry__task__title")
    readonly_fields = ("entry", *StoredFileAdminMixin.readonly_fields)
    list_select_related = ("entry__task", "uploaded_by")
