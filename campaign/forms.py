"""Forms of the campaign app."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from .audit import ACTION_GROUPS
from .models import Unit
from .widgets import DateInput


class AuditSearchForm(forms.Form):
    """Filters for the audit log list (all optional)."""

    person = forms.CharField(label="操作人", required=False, max_length=150)
    unit = forms.ModelChoiceField(label="相关单位", queryset=Unit.objects.order_by("path"), required=False, empty_label="全部单位")
    obj = forms.CharField(label="对象", required=False, max_length=100, help_text="对象名称、类型或编号")
    action = forms.ChoiceField(label="操作类别", required=False, choices=[("", "全部")] + ACTION_GROUPS)
    date_from = forms.DateField(label="开始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="结束日期", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("person", css_class="col-md-2"),
                Column("unit", css_class="col-md-2"),
                Column("obj", css_class="col-md-2"),
                Column("action", css_class="col-md-2"),
                Column("date_from", css_class="col-md-2"),
                Column("date_to", css_class="col-md-2"),
            ),
            Submit("search", "查询", css_class="btn-danger btn-sm"),
        )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        return data

    def filters(self) -> dict:
        """The keyword arguments for :func:`campaign.audit.search` (empty when the form is invalid)."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}
