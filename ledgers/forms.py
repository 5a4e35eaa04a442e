"""Forms of the ledgers: one ModelForm per register, the unit and village choices limited to what
the user may write, a photo checked by content, and a hidden token against double posting."""
from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from campaign import access, uploads
from campaign.models import InspectionPoint, Unit
from campaign.widgets import DateInput

from .models import Board, Family, HygieneActivity, Honour, Meeting, Population, Volunteer
from .selectors import VILLAGE_TYPES


def writable_units(user: Any) -> Any:
    """The units whose ledgers ``user`` may write: the office all, an official their units and below."""
    qs = Unit.objects.filter(is_active=True).order_by("path")
    if access.is_admin(user):
        return qs
    return qs.filter(access.unit_q(user, "")) if access.is_official(user) else qs.none()


class LedgerForm(forms.ModelForm):
    """Shared behaviour: unit choices, village within the unit, optional photo, client token."""

    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    has_photo = False

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        units = writable_units(user)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: u.name
        if not self.instance.pk and not self.initial.get("unit"):
            own = access.own_units(user).first() if user is not None else None
            if own is not None:
                self.initial["unit"] = own.pk
        if "village" in self.fields:
            self.fields["village"].queryset = units.filter(unit_type__in=VILLAGE_TYPES)
            self.fields["village"].label_from_instance = lambda u: u.name
        if "point" in self.fields:
            self.fields["point"].queryset = InspectionPoint.objects.filter(unit__in=units).order_by("name")
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.DateInput):
                field.widget = DateInput()
        if self.has_photo:
            limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            self.fields["photo"] = forms.FileField(
                label="照片", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
                help_text=f"JPEG、PNG 或 WebP 照片，不超过 {limit} MB",
            )

    def _get_validation_exclusions(self) -> set[str]:
        # The campaign is set by the view, not the form: keep it so the unique constraints
        # (one population per unit, no two volunteers of one name) are checked with a message.
        excluded = super()._get_validation_exclusions()
        if self.instance.campaign_id:
            excluded.discard("campaign")
        return excluded

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        unit, village = data.get("unit"), data.get("village")
        if unit is not None and village is not None and not village.path.startswith(unit.path):
            self.add_error("village", f"“{village.name}”不在“{unit.name}”辖区内，请选择本单位下的村（社区）。")
        point = data.get("point")
        if unit is not None and point is not None and not point.unit.path.startswith(unit.path):
            self.add_error("point", f"点位“{point.name}”不由“{unit.name}”或其下级单位包保。")
        return data

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                uploads.validate_upload(photo, images_only=True)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
            photo.seek(0)
        return photo


class VolunteerForm(LedgerForm):
    class Meta:
        model = Volunteer
        fields = ["unit", "name", "team", "registered_on", "activity_count", "hours", "note"]


class BoardForm(LedgerForm):
    has_photo = True

    class Meta:
        model = Board
        fields = ["unit", "kind", "name", "village", "point", "built_on", "note"]


class FamilyForm(LedgerForm):
    class Meta:
        model = Family
        fields = ["unit", "household", "village", "level", "year", "note"]


class MeetingForm(LedgerForm):
    has_photo = True

    class Meta:
        model = Meeting
        fields = ["unit", "kind", "held_on", "topic", "attendance", "note"]


class HonourForm(LedgerForm):
    class Meta:
        model = Honour
        fields = ["unit", "name", "level", "awarded_on", "issuer", "note"]


class HygieneForm(LedgerForm):
    class Meta:
        model = HygieneActivity
        fields = ["unit", "held_on", "topic", "participants", "containers", "tyres", "blackspots", "note"]


class PopulationForm(LedgerForm):
    class Meta:
        model = Population
        fields = ["unit", "residents", "source", "note"]


class PeriodForm(forms.Form):
    """The statistics page's period: registers as at 截止日期, events between the two dates."""

    start = forms.DateField(label="起始日期", required=False, widget=DateInput(attrs={"class": "form-control form-control-sm"}))
    end = forms.DateField(label="截止日期", required=False, widget=DateInput(attrs={"class": "form-control form-control-sm"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError("起始日期不能晚于截止日期。")
        return data
