"""Forms for 随手拍. They parse input; the rules (how many photos, what a report needs) are in services.py."""
from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms

from campaign.models import Campaign, Indicator, InspectionPoint, Unit
from campaign.public import CaptchaField
from inspections.forms import MultiplePhotoField

from . import services
from .models import Snap, SnapCategory, Triage, normalize_code

PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


class SnapForm(forms.Form):
    """The public report form (phone first)."""

    client_token = forms.UUIDField(widget=forms.HiddenInput)
    category = forms.ModelChoiceField(
        label="什么问题", queryset=SnapCategory.objects.none(), empty_label=None, widget=forms.RadioSelect,
        error_messages={"required": "请选择问题类别。", "invalid_choice": "请选择问题类别。"},
    )
    photos = MultiplePhotoField(label="照片", capture=False)
    description = forms.CharField(
        label="问题描述", max_length=500, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "例如：店门口堆放杂物，占用人行道"}),
        error_messages={"required": "请描述您看到的问题。", "max_length": "问题描述最多 500 字。"},
    )
    place = forms.CharField(
        label="地点", max_length=200, required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：坡子街与太平街交叉口", "autocomplete": "off"}),
    )
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, min_value=-90, max_value=90,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, min_value=-180, max_value=180,
                                   widget=forms.HiddenInput)
    point = forms.ModelChoiceField(
        label="附近点位", queryset=InspectionPoint.objects.filter(is_active=True), required=False,
        widget=forms.HiddenInput,
    )
    phone = forms.CharField(
        label="联系电话（选填）", max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text="仅供创建办核实问题时联系您，不会公开，也不会告诉被举报的单位。",
    )
    captcha = CaptchaField()

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["category"].queryset = SnapCategory.objects.filter(campaign=campaign, is_active=True)
        self.fields["photos"].help_text = (
            f"1–{services.MAX_PHOTOS} 张，每张不超过 {_mb(services.photo_max_bytes())}（JPEG、PNG 或 WebP）。"
            "照片中的定位和手机型号信息会在保存前删除。"
        )
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())

    def clean_phone(self) -> str:
        phone = re.sub(r"[\s()（）]", "", self.cleaned_data.get("phone") or "")
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("请填写 11 位手机号或带区号的固定电话，或留空。")
        return phone

    def clean_photos(self) -> list[Any]:
        photos = self.cleaned_data.get("photos") or []
        if not photos:
            raise forms.ValidationError("请至少拍一张照片。")
        if len(photos) > services.MAX_PHOTOS:
            raise forms.ValidationError(f"最多上传 {services.MAX_PHOTOS} 张照片。")
        return photos

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_position = data.get("latitude") is not None and data.get("longitude") is not None
        if not (data.get("place", "").strip() or data.get("point") or has_position):
            self.add_error("place", "请填写问题所在位置，或点“使用我的位置”。")
        return data


class LookupForm(forms.Form):
    code = forms.CharField(label="查询码", max_length=40, widget=forms.TextInput(attrs={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "12 位查询码",
    }))

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class FileForm(forms.Form):
    """The office files a report as a finding."""

    point = forms.ModelChoiceField(label="点位", queryset=InspectionPoint.objects.filter(is_active=True), required=False,
                                   help_text="选了点位、未选责任单位时，由点位的包保单位负责")
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.all(), required=False)
    indicator = forms.ModelChoiceField(label="测评指标", queryset=Indicator.objects.none())
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}))
    points = forms.DecimalField(label="扣分", max_digits=8, decimal_places=2, required=False, min_value=0,
                                help_text="留空按群众举报规则")

    def __init__(self, *args: Any, snap: Snap, deducts: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(campaign_id=snap.campaign_id, level=3).order_by("order", "code")
        self.fields["indicator"].label_from_instance = lambda i: f"{i.code} {i.name}"
        self.fields["point"].queryset = InspectionPoint.objects.filter(is_active=True).select_related("unit")
        if not deducts:
            del self.fields["points"]
        if not self.is_bound:
            self.initial.update(point=snap.point_id, indicator=snap.category.indicator_id,
                                description=f"【群众随手拍】{snap.description}" + (f"（{snap.place}）" if snap.place else ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("point") and not data.get("unit"):
            raise forms.ValidationError("请选择点位或责任单位。")
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(label="不予受理原因（会告知举报人）", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：经核查，该处不在创建范围内"}))


class MergeForm(forms.Form):
    into = forms.CharField(label="合并到（查询码）", max_length=40)

    def __init__(self, *args: Any, snap: Snap, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snap = snap

    def clean_into(self) -> Snap:
        code = normalize_code(self.cleaned_data["into"])
        target = Snap.objects.filter(campaign_id=self.snap.campaign_id, code=code).exclude(triage=Triage.MERGED).first()
        if target is None:
            raise forms.ValidationError("未找到该查询码对应的举报（同一创建活动、未被合并的）。")
        return target
