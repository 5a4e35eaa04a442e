"""Django admin for the ledgers (the office's view of every register; units use the ledger pages)."""
from __future__ import annotations

from django.contrib import admin

from campaign.admin import StoredFileInlineMixin

from .models import Board, BoardPhoto, Family, HygieneActivity, Honour, Meeting, MeetingPhoto, Population, Volunteer

COMMON = {
    "list_filter": ("campaign",),
    "autocomplete_fields": ("unit",),
    "list_select_related": ("unit",),
    "readonly_fields": ("created_by", "created_at", "updated_at"),
}


class BoardPhotoInline(StoredFileInlineMixin, admin.TabularInline):
    model = BoardPhoto


class MeetingPhotoInline(StoredFileInlineMixin, admin.TabularInline):
    model = MeetingPhoto


@admin.register(Population)
class PopulationAdmin(admin.ModelAdmin):
    list_display = ("unit", "residents", "source", "campaign")
    search_fields = ("unit__name",)
    list_filter = COMMON["list_filter"]
    autocomplete_fields = COMMON["autocomplete_fields"]
    list_select_related = ("unit", "campaign")
    readonly_fields = COMMON["readonly_fields"]


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "team", "activity_count", "hours", "registered_on")
    search_fields = ("name", "team", "unit__name")
    list_filter = COMMON["list_filter"]
    autocomplete_fields = COMMON["autocomplete_fields"]
    list_select_related = COMMON["list_select_related"]
    readonly_fields = COMMON["readonly_fields"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "unit", "village", "built_on")
    search_fields = ("name", "unit__name", "village__name")
    list_filter = ("campaign", "kind")
    autocomplete_fields = ("unit", "village", "point")
    list_select_related = ("unit", "village")
    readonly_fields = COMMON["readonly_fields"]
    inlines = [BoardPhotoInline]


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ("household", "unit", "village", "level", "year")
    search_fields = ("household", "unit__name")
    list_filter = ("campaign", "level", "year")
    autocomplete_fields = ("unit", "village")
    list_select_related = ("unit", "village")
    readonly_fields = COMMON["readonly_fields"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("held_on", "kind", "topic", "unit", "attendance")
    search_fields = ("topic", "unit__name")
    list_filter = ("campaign", "kind")
    autocomplete_fields = COMMON["autocomplete_fields"]
    list_select_related = COMMON["list_select_related"]
    readonly_fields = COMMON["readonly_fields"]
    inlines = [MeetingPhotoInline]


@admin.register(Honour)
class HonourAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "level", "awarded_on", "issuer")
    search_fields = ("name", "issuer", "unit__name")
    list_filter = ("campaign", "level")
    autocomplete_fields = COMMON["autocomplete_fields"]
    list_select_related = COMMON["list_select_related"]
    readonly_fields = COMMON["readonly_fields"]


@admin.register(HygieneActivity)
class HygieneActivityAdmin(admin.ModelAdmin):
    list_display = ("held_on", "topic", "unit", "participants", "containers", "tyres", "blackspots")
    search_fields = ("topic", "unit__name")
    list_filter = COMMON["list_filter"]
    autocomplete_fields = COMMON["autocomplete_fields"]
    list_select_related = COMMON["list_select_related"]
    readonly_fields = COMMON["readonly_fields"]
