"""Invalidation of the cached open-month scores (``reports.score_cache``).

Every save or delete of a row the scoring engine reads replaces the cache version (now and
again on commit). Bulk writes send no signals: the imports (indicators, units, points, tasks)
end with an ``import.apply`` audit record, which bumps the version too; other bulk writers
(``load_demo``, ``bench_scoring``) call ``score_cache.score_changed()`` themselves or run
before any page is served.
"""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from . import score_cache

# (app label, model): every model whose rows the engine reads, or whose fields its labels show.
SCORED_MODELS = (
    ("campaign", "Campaign"),  # full score, scoring mode, caps, weights
    ("campaign", "Unit"),  # active dates, ranking group, name, type
    ("campaign", "RankingGroup"),
    ("campaign", "Indicator"),  # scores (caps), codes, names, applicable unit types
    ("campaign", "InspectionPoint"),  # point names in finding lines
    ("campaign", "AssessmentPeriod"),  # publication and revocation
    ("inspections", "Finding"),  # create, edit, withdraw, appeal outcome
    ("inspections", "Check"),  # checklist results (pass-rate mode)
    ("inspections", "Appeal"),  # decisions shown in lines
    ("inspections", "OverduePenalty"),
    ("inspections", "Bonus"),
    ("inspections", "Correction"),
    ("tasks", "Task"),  # deadline and completion (overdue tasks deduct)
    ("surveys", "Survey"),  # score month, status (drafts do not count), title in lines
    ("surveys", "ScoringRule"),
    ("materials", "MaterialScore"),  # 材料审核 scores (counted monthly where the campaign says so)
    ("materials", "MaterialSettings"),  # where those scores count
)


def _survey_answered(sender, instance, **kwargs) -> None:
    """A response changes a score only when its survey scores a month (has a rule): the public link
    takes many answers, and a survey that scores nothing must not empty the cache each time."""
    from surveys.selectors import response_scores

    if response_scores(instance):
        score_cache.score_changed()


def _changed(sender, **kwargs) -> None:
    score_cache.score_changed()


def _audited(sender, instance, created: bool = False, **kwargs) -> None:
    if created and instance.action == "import.apply":
        score_cache.score_changed()


def connect() -> None:
    from django.apps import apps

    for app_label, name in SCORED_MODELS:
        model = apps.get_model(app_label, name)
        post_save.connect(_changed, sender=model, dispatch_uid=f"score-cache-save-{app_label}.{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"score-cache-delete-{app_label}.{name}")
    response = apps.get_model("surveys", "Response")
    post_save.connect(_survey_answered, sender=response, dispatch_uid="score-cache-save-surveys.Response")
    post_delete.connect(_survey_answered, sender=response, dispatch_uid="score-cache-delete-surveys.Response")
    post_save.connect(_audited, sender=apps.get_model("campaign", "AuditLog"), dispatch_uid="score-cache-import")
