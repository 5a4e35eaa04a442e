"""Forms for the inspections app. Validation of business rules stays in services.py;
these forms only parse input (and limit choices to what the user may pick)."""
from __future__ import annotations

import uuid
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone

from campaign.models import Campaign, Indicator, InspectionPoint, SpecialAction, Unit
from campaign.periods import parse_month
from campaign.widgets import DateInput
from tasks.forms import MultipleFileField, MultipleFileInput

from .models import AccountabilityKind, Finding, Inspection
from .selectors import order_candidates, person_name, staff_users, units_with_order_candidates


class MultiplePhotoField(MultipleFileField):
    """Several photos in one field; the camera opens on phones (capture=environment)."""

    def __init__(self, *args: Any, capture: bool = True, **kwargs: Any) -> None:
        attrs = {"accept": "image/*", "multiple": True, "class": "form-control form-control-lg"}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class="btn-danger btn-lg"))
    return helper


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["kind", "source_level", "date", "title", "scope", "special_action", "inspectors"]
        widgets = {"date": DateInput(), "scope": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["special_action"].queryset = SpecialAction.objects.filter(campaign=campaign)
        self.fields["inspectors"].queryset = staff_users()
        self.fields["inspectors"].required = False
        self.fields["inspectors"].help_text = "您本人自动列为督查员"
        self.fields["inspectors"].label_from_instance = person_name
        self.fields["date"].initial = timezone.localdate()
        self.helper = _helper("保存检查")


class FindingForm(forms.Form):
    """The phone form: point and indicator are picked through search fragments into hidden ids."""

    client_token = forms.UUIDField(widget=forms.HiddenInput)
    point = forms.ModelChoiceField(
        InspectionPoint.objects.filter(is_active=True), required=False, widget=forms.HiddenInput, label="点位"
    )
    indicator = forms.ModelChoiceField(Indicator.objects.none(), widget=forms.HiddenInput, label="测评标准",
                                       error_messages={"required": "请选择测评标准。"})
    unit = forms.ModelChoiceField(Unit.objects.filter(is_active=True), required=False, label="责任单位",
                                  help_text="留空则为点位的包保单位")
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}))
    points = forms.DecimalField(label="扣分", required=False, min_value=0, max_digits=8, decimal_places=2,
                                help_text="留空则按扣分规则自动计算",
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    photos = MultiplePhotoField(label="现场照片")

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(campaign=campaign)
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("point") and not data.get("unit"):
            raise forms.ValidationError("请选择点位或责任单位。")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤销原因", widget=forms.Textarea(attrs={"rows": 2}))


class RectifyForm(forms.Form):
    description = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}))
    before_photos = MultiplePhotoField(label="整改前照片", capture=False)
    after_photos = MultiplePhotoField(label="整改后照片", capture=False)

    def clean_after_photos(self) -> list[Any]:
        photos = self.cleaned_data.get("after_photos") or []
        if not photos:
            raise forms.ValidationError("请上传至少一张整改后照片。")
        return photos


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="验收结论", choices=[("accept", "通过，销号"), ("return", "退回重新整改")],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label="验收意见", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="退回时必须填写原因")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", "退回整改必须填写原因。")
        return data


class OrderForm(forms.Form):
    """督办单: the unit first, then only that unit's open findings that have no order yet."""

    unit = forms.ModelChoiceField(Unit.objects.none(), label="责任单位", empty_label="请选择责任单位",
                                  error_messages={"required": "请选择责任单位。",
                                                  "invalid_choice": "该单位没有待督办的问题，请重新选择。"})
    findings = forms.ModelMultipleChoiceField(Finding.objects.none(), label="督办问题", widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": "请勾选要督办的问题。",
                                                              "invalid_choice": "所选问题已销号、已撤销或已有督办单，请刷新后重新勾选。"})
    deadline_working_days = forms.IntegerField(label="整改时限（工作日）", required=False, min_value=1, initial=5)
    deadline = forms.DateField(label="或指定整改截止日期", required=False, widget=DateInput())
    requirements = forms.CharField(label="督办要求", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   initial="请于整改时限内完成整改，并在平台提交整改前后对比照片。逾期未整改的，按规定再次扣分。")

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates = order_candidates(campaign)
        self.fields["unit"].queryset = units_with_order_candidates(campaign)
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.candidate_count} 个问题待督办）"
        self.fields["unit"].widget.attrs.update({"class": "form-select form-select-lg", "id": "unit-pick"})
        unit_id = self["unit"].value()
        # Until a unit is chosen there is nothing to tick: no unit's findings are listed for another.
        self.fields["findings"].queryset = (
            candidates.filter(unit_id=unit_id) if str(unit_id or "").isdigit() else Finding.objects.none()
        )
        self.fields["findings"].label_from_instance = (
            lambda f: f"{f.found_on:%m-%d} {f.unit.display_name} · {f.indicator.code} · {f.description[:30]}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("deadline") and not data.get("deadline_working_days"):
            raise forms.ValidationError("请填写整改时限（工作日数或截止日期）。")
        return data


class MonthField(forms.CharField):
    """A month typed as 2026-10 (HTML month input)."""

    widget = forms.DateInput(attrs={"type": "month"})

    def clean(self, value: Any):  # type: ignore[override]
        text = super().clean(value)
        try:
            return parse_month(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class CorrectionForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.filter(is_active=True), label="单位")
    month = MonthField(label="计入月份（须未发布）")
    points = forms.DecimalField(label="调整分值", max_digits=8, decimal_places=2, help_text="正数为返还分数，负数为追加扣分")
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}))
    finding = forms.ModelChoiceField(Finding.objects.none(), required=False, label="相关问题（编号）", widget=forms.NumberInput)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["finding"].queryset = Finding.objects.filter(campaign=campaign)
        self.helper = _helper("保存更正")


class BonusForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.filter(is_active=True), label="单位")
    month = MonthField(label="计入月份")
    points = forms.DecimalField(label="加分", max_digits=8, decimal_places=2, min_value=0)
    reason = forms.CharField(label="加分事由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("申报加分")


class AccountabilityForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.filter(is_active=True), label="单位")
    person_name = forms.CharField(label="被问责人", required=False, max_length=50)
    kind = forms.ChoiceField(label="问责方式", choices=AccountabilityKind.choices)
    date = forms.DateField(label="日期", widget=DateInput())
    reason = forms.CharField(label="问责事由", widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label="相关问题编号", required=False, help_text="多个编号用逗号分隔，如 12,15")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.helper = _helper("记录问责")

    def clean_findings(self) -> list[int]:
        raw = (self.cleaned_data.get("findings") or "").replace("，", ",")
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError("问题编号只能是数字，用逗号分隔。") from None
