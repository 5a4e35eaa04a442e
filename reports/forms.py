"""Forms of the reports app."""
from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from campaign.models import AssessmentPeriod, Campaign, PeriodStatus, month_start
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
