"""The office configures routing, unit robots and escalation leaders here; the delivery log is read-only."""
from __future__ import annotations

from django.contrib import admin

from .models import Delivery, Escalation, EventRoute, Notice, OverdueWatch, Preference, UnitRobot


@admin.register(EventRoute)
class EventRouteAdmin(admin.ModelAdmin):
    list_display = ["event", "channels", "to_group_robot", "urgent", "is_active"]
    list_editable = ["to_group_robot", "urgent", "is_active"]


@admin.register(UnitRobot)
class UnitRobotAdmin(admin.ModelAdmin):
    list_display = ["unit", "kind", "key_name", "leader", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["unit__name", "key_name"]
    autocomplete_fields = ["unit"]
    raw_id_fields = ["leader"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "channels", "mobile", "quiet_start", "quiet_end", "digest", "digest_hour"]
    search_fields = ["user__username", "user__first_name", "mobile"]
    raw_id_fields = ["user"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "attempt", "at", "ok", "summary_words", "answer"]
    fields = readonly_fields

    @admin.display(description="结果")
    def summary_words(self, obj: Delivery) -> str:
        return obj.summary

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "recipient", "user", "unit", "status", "channel", "attempts"]
    list_filter = ["status", "event", "channel"]
    search_fields = ["message", "key", "user__username", "unit__name"]
    inlines = [DeliveryInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OverdueWatch)
class OverdueWatchAdmin(admin.ModelAdmin):
    list_display = ["subject", "unit", "since", "last_seen"]
    search_fields = ["subject", "unit__name", "message"]
    readonly_fields = ["subject", "unit", "since", "last_seen", "message", "url"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["watch", "step", "day", "recipients"]
    readonly_fields = ["watch", "step", "day", "recipients"]
