from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import Option, Question, Quota, Response, ScoringRule, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "kind", "text", "required", "measure", "yes_min_rating", "indicator"]
    autocomplete_fields = ["indicator"]


class QuotaInline(admin.TabularInline):
    model = Quota
    extra = 0
    autocomplete_fields = ["unit"]


class RuleInline(admin.TabularInline):
    model = ScoringRule
    extra = 0
    autocomplete_fields = ["indicator"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "status", "opens_on", "closes_on", "score_month"]
    list_filter = ["status", "campaign"]
    search_fields = ["title"]
    readonly_fields = ["token"]
    filter_horizontal = ["indicators"]
    inlines = [QuestionInline, QuotaInline, RuleInline]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["text", "question", "counts_yes"]
    search_fields = ["text", "question__text"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Read-only: answers are evidence; the office removes an invalid one from the results page's service."""

    list_display = ["pk", "survey", "unit", "mode", "interviewer", "submitted_at"]
    list_filter = ["mode", "survey"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # Removing an invalid answer (a test entry) goes through the service: audited, and refused once the
    # survey's score month is published.
    def delete_model(self, request, obj) -> None:
        self._delete(request, [obj])

    def delete_queryset(self, request, queryset) -> None:
        self._delete(request, queryset.select_related("survey"))

    def _delete(self, request, responses) -> None:
        for response in responses:
            try:
                services.response_delete(response=response, actor=request.user, reason="后台删除")
            except ValidationError as exc:
                self.message_user(request, f"答卷#{response.pk}：{'；'.join(exc.messages)}", level=messages.ERROR)
