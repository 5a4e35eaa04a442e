"""Django admin for 随手拍: the office manages the categories and the campaign's rule here.

Reports are view-only: they are triaged on the 随手拍 pages, through the services (audited,
one triage per report, findings made by inspections.services).
"""
from __future__ import annotations

from django.contrib import admin

from campaign.admin import ReadOnlyAdminMixin, StoredFileInlineMixin

from .models import Snap, SnapCategory, SnapPhoto, SnapRule


@admin.register(SnapRule)
class SnapRuleAdmin(admin.ModelAdmin):
    list_display = ("campaign", "is_open", "deducts", "source_level", "points")


@admin.register(SnapCategory)
class SnapCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "indicator", "order", "is_active")
    list_filter = ("campaign", "is_active")
    list_editable = ("order", "is_active")
    autocomplete_fields = ("indicator",)
    search_fields = ("name", "hint")


class SnapPhotoInline(StoredFileInlineMixin, admin.TabularInline):
    model = SnapPhoto


@admin.register(Snap)
class SnapAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "campaign", "category", "created_at", "triage")
    list_filter = ("campaign", "triage", "category")
    search_fields = ("code", "description", "place")
    inlines = [SnapPhotoInline]
