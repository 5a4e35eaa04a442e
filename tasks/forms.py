"""Forms of the tasks app (crispy layouts live here, not in templates)."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from campaign import uploads
from campaign.models import Campaign, Indicator, Phase, RankingGroup, SpecialAction, Unit
from campaign.widgets import DateInput

from .models import TaskCategory, TaskStatus
from .selectors import plain_number

MAX_FILES_PER_ENTRY = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProgressForm(forms.Form):
    """One progress entry: text, a value toward the target, evidence files.

    ``client_token`` is a hidden UUID made when the form is shown: posting the
    same form twice creates one entry.
    """

    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    value = forms.DecimalField(label="完成数值", required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2)
    files = MultipleFileField(label="佐证材料", required=False, help_text="照片、PDF、Word 或 Excel，单个文件不超过上限，最多 10 个")
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, task: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        if task is not None and task.target_value is not None:
            unit = task.target_unit or ""
            how = "本次新增数量" if task.target_aggregation == "sum" else "当前达到的数值"
            self.fields["value"].help_text = f"填写{how}（目标 {plain_number(task.target_value)}{unit}）"
            self.fields["value"].label = f"完成数值（{unit}）" if unit else "完成数值"
        if task is not None and task.ledger_measure:
            # The value comes from the ledger (ledgers.measures): entered there, not here again.
            self.fields["value"].widget = forms.HiddenInput()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("text"),
            Div(Div(Field("value"), css_class="col-md-4"), Div(Field("files"), css_class="col-md-8"), css_class="row"),
            Field("client_token"),
        )

    def clean_files(self) -> list[Any]:
        return uploads.validate_form_files(self.cleaned_data.get("files") or [], max_files=MAX_FILES_PER_ENTRY)


class CompleteForm(forms.Form):
    """标记完成; a task below its quantitative target needs the reason (checked by the service)."""

    reason = forms.CharField(
        label="目标未达原因", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="量化目标未达到时必须说明原因，验收人会看到。",
    )

    def __init__(self, *args: Any, short: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if short:
            self.fields["reason"].widget.attrs["required"] = "required"
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class DeadlineForm(forms.Form):
    """完成时限 as N 工作日 from a date (holidays and 调休 make-up days taken into account)."""

    start = forms.DateField(label="起算日期", widget=DateInput())
    working_days = forms.IntegerField(label="工作日数", min_value=1, max_value=365)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(Div(Field("start"), css_class="col-6"), Div(Field("working_days"), css_class="col-6"), css_class="row")
        )


class FastSelect(forms.Select):
    """A ``<select>`` written in one pass instead of one template render per option.

    The task list's unit and indicator filters hold 1,000+ options on a city's data; Django's
    per-option templates spent about 70 % of the page's time on them. Same markup (escaped
    labels, ``selected`` on the current value, the widget's attributes); nested option groups
    fall back to Django's rendering.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        choices = list(self.choices)
        if any(isinstance(label, (list, tuple)) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        current = self.format_value(value)
        chosen = next((str(v) for v, _ in choices if str(v) in current), None)
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((str(v), mark_safe(" selected") if str(v) == chosen else "", label) for v, label in choices),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


FLAG_CHOICES = [("", "全部"), ("overdue", "已逾期"), ("due_soon", "3个工作日内到期"), ("short", "已完成但目标未达"), ("target", "有量化目标")]


class TaskFilterForm(forms.Form):
    """The task list's filters; choices are limited to the campaign (and the user's units)."""

    q = forms.CharField(label="搜索", required=False, max_length=100, widget=forms.TextInput(attrs={"placeholder": "任务、序号或指标"}))
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none(), required=False, empty_label="全部单位", widget=FastSelect)
    unit_name = forms.CharField(
        label="单位名称", required=False, max_length=50, widget=forms.TextInput(attrs={"placeholder": "责任单位名称包含"})
    )
    group = forms.ModelChoiceField(
        label="考核组别", queryset=RankingGroup.objects.order_by("order", "name"), required=False, empty_label="全部组别"
    )
    phase = forms.ModelChoiceField(label="工作阶段", queryset=Phase.objects.none(), required=False, empty_label="全部阶段")
    indicator = forms.ModelChoiceField(
        label="测评指标", queryset=Indicator.objects.none(), required=False, empty_label="全部指标", widget=FastSelect
    )
    special_action = forms.ModelChoiceField(
        label="专项行动", queryset=SpecialAction.objects.none(), required=False, empty_label="全部专项行动"
    )
    category = forms.ChoiceField(label="任务类别", choices=[("", "全部类别"), *TaskCategory.choices], required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *TaskStatus.choices], required=False)
    person = forms.ChoiceField(label="责任人", choices=[("", "全部责任人")], required=False)
    flag = forms.ChoiceField(label="时限", choices=FLAG_CHOICES, required=False)

    def __init__(self, *args: Any, campaign: Campaign, units: Any, persons: list[str], show_unit: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["phase"].queryset = Phase.objects.filter(campaign=campaign)
        self.fields["indicator"].queryset = Indicator.objects.filter(campaign=campaign).order_by("order", "code")
        self.fields["special_action"].queryset = SpecialAction.objects.filter(campaign=campaign)
        self.fields["person"].choices = [("", "全部责任人"), *[(p, p) for p in persons]]
        if not show_unit:
            del self.fields["unit"]
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(f, (forms.ChoiceField,)) else "form-control form-control-sm")
