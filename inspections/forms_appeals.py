"""Forms for appeals (申诉): they only parse input; the rules are in services.appeal_submit / appeal_decide."""
from __future__ import annotations

from django import forms

from tasks.forms import MultipleFileField, MultipleFileInput

from .models import AppealStatus


class AppealForm(forms.Form):
    reason = forms.CharField(label="申诉理由", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    evidence = MultipleFileField(
        label="佐证材料", required=False,
        widget=MultipleFileInput(attrs={"multiple": True, "class": "form-control",
                                        "accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx"}),
        help_text="照片、PDF、Word 或 Excel，可多选",
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="裁定结果", widget=forms.RadioSelect,
        choices=[(AppealStatus.UPHELD, "维持"), (AppealStatus.REVOKED, "撤销（不再扣分）"), (AppealStatus.RESCORED, "改分")],
        error_messages={"required": "请选择裁定结果：维持、撤销或改分。"},
    )
    new_points = forms.CharField(label="改分后扣分", required=False, max_length=12,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "如 0.10"}))
    reason = forms.CharField(label="裁定理由", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写裁定理由。"})
