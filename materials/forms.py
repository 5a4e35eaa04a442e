"""Forms of 材料审核 (crispy layouts live here)."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from campaign import uploads
from campaign.models import Campaign, Indicator, Phase, Unit
from campaign.widgets import DateInput
from tasks.forms import MultipleFileField

from . import services
from .models import ReviewStatus


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class RequirementForm(forms.Form):
    indicator = forms.ModelChoiceField(label="测评标准", queryset=Indicator.objects.none())
    phase = forms.ModelChoiceField(label="工作阶段", queryset=Phase.objects.none(), required=False)
    deadline = forms.DateField(label="申报截止日期", widget=DateInput)
    items = forms.CharField(
        label="申报材料", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
        help_text="每行一项：如“工作方案”“会议记录”“活动照片 ≥ 10 张”，或“名称|最少文件数|说明”。",
    )
    units = forms.ModelMultipleChoiceField(
        label="申报单位", queryset=Unit.objects.filter(is_active=True), required=False,
        help_text="留空则为该标准的牵头单位和配合单位。", widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    note = forms.CharField(label="申报说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args: Any, campaign: Campaign, fixed_indicator: Indicator | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leaves = Indicator.objects.filter(campaign=campaign, level=3).order_by("order", "code")
        if fixed_indicator is None:
            # 材料审核 standards without a requirement first; any standard may be chosen.
            leaves = leaves.filter(material_requirement__isnull=True)
        self.fields["indicator"].queryset = leaves
        self.fields["indicator"].label_from_instance = lambda i: f"{i.code} {i.name}" + ("（材料审核）" if i.method == "material" else "")
        if fixed_indicator is not None:
            self.fields["indicator"].disabled = True
            self.initial["indicator"] = fixed_indicator.pk
        self.fields["phase"].queryset = Phase.objects.filter(campaign=campaign)
        self.helper = _helper()

    def clean_items(self) -> list[services.ItemSpec]:
        return services.parse_items(self.cleaned_data["items"])


class SubmissionForm(forms.Form):
    """One round for one item: files, a text, and picks from the unit's existing evidence."""

    text = forms.CharField(label="文字说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
    files = MultipleFileField(label="上传文件", required=False)
    evidence = forms.TypedMultipleChoiceField(label="引用任务佐证材料", required=False, coerce=int, widget=forms.CheckboxSelectMultiple)
    photos = forms.TypedMultipleChoiceField(label="引用整改照片", required=False, coerce=int, widget=forms.CheckboxSelectMultiple)
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, evidence: list | None = None, photos: list | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        self.fields["files"].help_text = (
            f"照片（JPEG/PNG/WebP）、PDF、Word（.docx）或 Excel（.xlsx），每个文件不超过 {limit} MB，"
            f"一次最多 {services.MAX_FILES_PER_ROUND} 个。"
        )
        self.fields["evidence"].choices = [(e.pk, f"{e.original_name}（任务：{e.entry.task.title[:30]}）") for e in evidence or []]
        self.fields["photos"].choices = [
            (p.pk, f"{p.original_name}（{p.get_kind_display()}，问题：{p.rectification.finding.description[:30]}）")
            for p in photos or []
        ]
        if not evidence:
            del self.fields["evidence"]
        if not photos:
            del self.fields["photos"]
        self.helper = _helper()

    def clean_files(self) -> list[Any]:
        return uploads.validate_form_files(self.cleaned_data.get("files") or [], max_files=services.MAX_FILES_PER_ROUND)


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        label="审核结果", widget=forms.RadioSelect,
        choices=[(s.value, s.label) for s in (ReviewStatus.ACCEPTED, ReviewStatus.SUPPLEMENT, ReviewStatus.REJECTED)],
    )
    comment = forms.CharField(
        label="审核意见", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000,
        help_text="需补充或不合格时写明缺少什么，单位会收到通知。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("status") in (ReviewStatus.SUPPLEMENT, ReviewStatus.REJECTED) and not (data.get("comment") or "").strip():
            self.add_error("comment", "需补充或不合格时，请写明缺少什么或不合格的原因。")
        return data


class ScoreForm(forms.Form):
    points = forms.DecimalField(label="得分", min_value=Decimal("0"), max_digits=8, decimal_places=2)
    note = forms.CharField(label="说明", required=False, max_length=300)

    def __init__(self, *args: Any, full: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["points"].validators.append(MaxValueValidator(full, message=f"得分不能超过该标准分值 {full} 分。"))
        self.fields["points"].help_text = f"满分 {full} 分（该标准分值）"
        self.helper = _helper()


class SettingsForm(forms.Form):
    inspectors_review = forms.BooleanField(label="督查员可审核材料", required=False)
    score_use = forms.ChoiceField(label="材料审核得分用途")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .models import ScoreUse

        super().__init__(*args, **kwargs)
        self.fields["score_use"].choices = ScoreUse.choices
        self.helper = _helper()
