"""Forms of the reports app."""
from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from campaign.models import AssessmentPeriod, Campaign, PeriodStatus, Phase, month_start
from campaign.periods import month_label

from .models import ReportKind
from .renderers import RENDERERS


class ReportJobForm(forms.Form):
    """Ask for a monthly report of the current campaign."""

    kind = forms.ChoiceField(label="报表类型", choices=[(k, label) for k, label in ReportKind.choices if k in RENDERERS])
    month = forms.ChoiceField(label="考核月份")

    def __init__(self, *args, campaign: Campaign, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        months = [m for m in campaign.months() if m <= month_start(today)]
        months.reverse()
        published = set(
            AssessmentPeriod.objects.filter(campaign=campaign, status=PeriodStatus.PUBLISHED).values_list("month", flat=True)
        )
        self.fields["month"].choices = [
            (f"{m:%Y-%m}", month_label(m) + ("（已发布）" if m in published else "（未发布，按实时数据）"))
            for m in months
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-md-5"), Column("month", css_class="col-md-4")),
            Submit("submit", "生成报表", css_class="btn-danger"),
        )

    def clean_month(self) -> dt.date:
        value = self.cleaned_data["month"]
        year, mon = value.split("-")
        return dt.date(int(year), int(mon), 1)


class RevokeForm(forms.Form):
    """Why a published month is revoked (required, kept with the revocation)."""

    reason = forms.CharField(
        label="撤销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "请说明撤销发布的原因"}),
        error_messages={"required": "撤销发布必须填写原因。"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("撤销发布必须填写原因。")
        return reason


class SummaryForm(forms.Form):
    """Ask for a 工作总结 draft (.docx): whose (a unit, or the whole city for the office) and which
    period (a month, a phase or the year). ``units`` are the units the person may choose."""

    unit = forms.ChoiceField(label="总结单位")
    scope = forms.ChoiceField(label="总结类型", choices=[("month", "月度总结"), ("phase", "阶段总结"), ("year", "年度总结")],
                              initial="month", widget=forms.RadioSelect)
    month = forms.ChoiceField(label="月份", required=False)
    phase = forms.ModelChoiceField(label="工作阶段", queryset=Phase.objects.none(), required=False, empty_label="请选择阶段")
    year = forms.ChoiceField(label="年度", required=False)

    def __init__(self, *args, campaign: Campaign, units: list, city: bool, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["unit"].choices = ([("", f"全市（{campaign.city_name}创建办）")] if city else []) + [
            (str(u.pk), u.name) for u in units]
        if not city:
            self.fields["unit"].required = True
        else:
            self.fields["unit"].required = False
        months = [m for m in campaign.months() if m <= month_start(today)] or campaign.months()[:1]
        self.fields["month"].choices = [(f"{m:%Y-%m}", month_label(m)) for m in reversed(months)]
        self.fields["phase"].queryset = Phase.objects.filter(campaign=campaign).order_by("order", "start_date")
        self.fields["year"].choices = [(str(y), f"{y}年") for y in sorted({m.year for m in campaign.months()}, reverse=True)]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("unit", css_class="col-md-4"), Column("scope", css_class="col-md-4")),
            Row(Column("month", css_class="col-md-4"), Column("phase", css_class="col-md-4"), Column("year", css_class="col-md-4")),
            Submit("submit", "生成工作总结（Word）", css_class="btn-danger"),
        )

    def clean(self) -> dict:
        data = super().clean()
        scope = data.get("scope")
        if scope == "month":
            if not data.get("month"):
                self.add_error("month", "月度总结请选择月份。")
            else:
                year, mon = data["month"].split("-")
                data["month"] = dt.date(int(year), int(mon), 1)
        elif scope == "phase" and not data.get("phase"):
            self.add_error("phase", "阶段总结请选择工作阶段。")
        elif scope == "year":
            if not data.get("year"):
                self.add_error("year", "年度总结请选择年度。")
            else:
                data["year"] = int(data["year"])
        return data
