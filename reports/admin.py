"""Django admin for published scores and report jobs.

Score snapshots are written only by the publication service, so they are
view-only here; a report job may be inspected (and removed), not edited.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from campaign.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, download_link

from .models import PublishedFigures, ReportChunk, ReportJob, ScoreLineSnapshot, UnitMonthScore


class ScoreLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ScoreLineSnapshot
    fields = ("order", "kind", "label", "indicator_code", "point_name", "date", "points")


@admin.register(UnitMonthScore)
class UnitMonthScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("period", "ranking_group", "rank", "unit", "score", "finding_deductions", "bonus", "change")
    list_filter = ("period", "ranking_group")
    search_fields = ("unit__name",)
    list_select_related = ("period__campaign", "unit")
    inlines = [ScoreLineInline]


@admin.register(ScoreLineSnapshot)
class ScoreLineSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("score", "kind", "label", "indicator_code", "points")
    list_filter = ("kind",)
    search_fields = ("label", "indicator_code", "point_name", "score__unit__name")
    list_select_related = ("score__unit", "score__period__campaign")


@admin.register(PublishedFigures)
class PublishedFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What a publication froze besides the scores (rectification states and tasks); view-only."""

    list_display = ("period", "as_of", "event", "finding_count", "task_count")
    list_filter = ("period__campaign",)
    search_fields = ("period__campaign__name",)
    list_select_related = ("period__campaign", "event")

    @admin.display(description="问题数")
    def finding_count(self, obj: PublishedFigures) -> int:
        return len(obj.findings or [])

    @admin.display(description="任务数")
    def task_count(self, obj: PublishedFigures) -> int:
        return len(obj.tasks or [])


@admin.register(ReportChunk)
class ReportChunkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The parts of a chunked bulletin, to see which part failed and why; workers write them."""

    list_display = ("job", "attempt", "index", "label", "status", "attempts", "pages", "heartbeat_at")
    list_filter = ("status",)
    search_fields = ("label", "error")
    list_select_related = ("job",)


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "campaign", "month", "requested_by", "status", "progress", "download")
    list_filter = ("kind", "status", "campaign")
    search_fields = ("filename", "message", "error", "requested_by__username")
    date_hierarchy = "created_at"
    list_select_related = ("campaign", "requested_by")
    exclude = ("file",)

    def get_readonly_fields(self, request: HttpRequest, obj: ReportJob | None = None):
        return [f.name for f in ReportJob._meta.fields if f.name != "file"] + ["download"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Jobs are requested from the reports pages so a worker picks them up.
        return False

    @admin.display(description="下载")
    def download(self, obj: ReportJob) -> str:
        if not obj.file:
            return "—"
        return download_link(obj, obj.filename or "下载")
