"""Keeping ``Survey.structure_version`` true: any change to what the answer form is built from
(questions, their options, the quota areas and those areas' names) gives the survey a new version,
so the answer sheet cached for the old one (``selectors.answer_sheet``) is never used again.

Signals rather than calls in the services, because the admin edits questions, options and quotas
too (inlines); every save and delete goes through here whoever makes it. Bulk writes send no
signals: ``question_add`` creates its options in bulk after the question (whose save bumps), and a
bulk writer elsewhere must call :func:`bump` itself.
"""
from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from .models import Option, Question, Quota, Survey, new_structure_version


def bump(surveys: Any) -> None:
    """A new structure version for ``surveys`` (a Survey queryset)."""
    surveys.update(structure_version=new_structure_version())


def _question_changed(sender: Any, instance: Question, **kwargs: Any) -> None:
    bump(Survey.objects.filter(pk=instance.survey_id))


def _option_changed(sender: Any, instance: Option, **kwargs: Any) -> None:
    bump(Survey.objects.filter(questions__pk=instance.question_id))


def _quota_changed(sender: Any, instance: Quota, **kwargs: Any) -> None:
    bump(Survey.objects.filter(pk=instance.survey_id))


def _unit_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # An area's name is on the form; a new unit is in no quota yet.
    if not created:
        bump(Survey.objects.filter(quotas__unit_id=instance.pk))


def connect() -> None:
    from campaign.models import Unit

    for model, receiver in ((Question, _question_changed), (Option, _option_changed), (Quota, _quota_changed)):
        name = model.__name__.lower()
        post_save.connect(receiver, sender=model, dispatch_uid=f"survey-structure-save-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"survey-structure-delete-{name}")
    post_save.connect(_unit_saved, sender=Unit, dispatch_uid="survey-structure-unit")
