"""Forms of the notices pages; crispy layouts stay here."""
from __future__ import annotations

import re
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from campaign.widgets import DateInput

from .models import PERSONAL_CHANNELS, Channel, Event, NoticeStatus, Preference

MOBILE = re.compile(r"^1\d{10}$")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label="站外接收渠道", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(c.value, c.label) for c in PERSONAL_CHANNELS],
        help_text="站内消息总是接收；勾选的渠道按创建办设定的顺序使用，前一个失败时自动改用下一个。",
    )
    mobile = forms.CharField(label="手机号（短信）", required=False, max_length=20, help_text="留空则使用单位成员信息中的联系电话")
    quiet_start = forms.TimeField(label="免打扰开始", required=False, widget=TimeInput())
    quiet_end = forms.TimeField(label="免打扰结束", required=False, widget=TimeInput())
    digest = forms.BooleanField(label="每日摘要：非紧急消息不逐条推送，每天合并为一条", required=False)
    digest_hour = forms.TypedChoiceField(
        label="摘要发送时刻", coerce=int, initial=8, choices=[(h, f"{h:02d}:00") for h in range(24)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "channels", "mobile",
            Row(Column("quiet_start", css_class="col-6 col-md-3"), Column("quiet_end", css_class="col-6 col-md-3")),
            "digest", Row(Column("digest_hour", css_class="col-6 col-md-3")),
            Submit("save", "保存", css_class="btn-danger"),
        )

    @classmethod
    def for_preference(cls, pref: Preference | None) -> "PreferenceForm":
        if pref is None:
            return cls(initial={"channels": [c.value for c in PERSONAL_CHANNELS], "digest_hour": 8})
        return cls(initial={
            "channels": pref.channels, "mobile": pref.mobile, "quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end,
            "digest": pref.digest, "digest_hour": pref.digest_hour,
        })

    def clean_mobile(self) -> str:
        mobile = self.cleaned_data["mobile"].strip().replace(" ", "").replace("-", "")
        if mobile and not MOBILE.match(mobile):
            raise forms.ValidationError("请输入11位手机号码，例如 13800000000。")
        return mobile

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("免打扰时段需要同时填写开始和结束时间（或都留空）。")
        if start is not None and start == end:
            raise forms.ValidationError("免打扰开始和结束时间不能相同。")
        return data


class DigestDayForm(forms.Form):
    day = forms.DateField(label="日期", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Row(Column("day", css_class="col-8 col-md-3")), Submit("go", "查看", css_class="btn-danger btn-sm"))


class LogSearchForm(forms.Form):
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + NoticeStatus.choices)
    event = forms.ChoiceField(label="事件", required=False, choices=[("", "全部")] + Event.choices)
    channel = forms.ChoiceField(label="渠道", required=False, choices=[("", "全部")] + Channel.choices)
    q = forms.CharField(label="接收人/单位/内容", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("status", css_class="col-6 col-md-2"), Column("event", css_class="col-6 col-md-2"),
                Column("channel", css_class="col-6 col-md-3"), Column("q", css_class="col-6 col-md-3"),
            ),
            Submit("search", "查询", css_class="btn-danger btn-sm"),
        )

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
