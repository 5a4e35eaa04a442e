"""Forms of the surveys app: building a questionnaire, quotas, scoring rules, and answering it."""
from __future__ import annotations

import uuid
from typing import Any

from django import forms

from campaign.models import AssessmentMethod, Campaign, Indicator, Unit, month_start
from campaign.widgets import DateInput

from .models import Measure, Question, QuestionKind, ScoringRule, Survey
from .services import AREA_TYPES


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title", "intro", "opens_on", "closes_on", "score_month", "allow_public", "allow_interview", "ask_area",
            "ask_contact", "contact_purpose",
        ]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "opens_on": DateInput(),
            "closes_on": DateInput(),
            "score_month": DateInput(),
        }
        help_texts = {"score_month": "选择该月任意一天；留空则不计入月度考核"}

    def validate_unique(self) -> None:
        # ``campaign`` is not a form field, so check the one-title-per-campaign rule here.
        super().validate_unique()
        title = self.cleaned_data.get("title")
        campaign_id = self.instance.campaign_id
        if title and campaign_id and Survey.objects.filter(campaign_id=campaign_id, title=title).exclude(pk=self.instance.pk).exists():
            self.add_error("title", "本创建活动已有同名问卷（表单可能已提交过），请到问卷列表查看。")

    def clean_score_month(self) -> Any:
        value = self.cleaned_data.get("score_month")
        return month_start(value) if value else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("ask_contact") and not (data.get("contact_purpose") or "").strip():
            self.add_error("contact_purpose", "收集联系电话时必须说明用途，该说明会显示在问卷上。")
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", "截止日期不能早于开始日期。")
        return data


def leaf_indicators(campaign: Campaign) -> Any:
    return Indicator.objects.filter(campaign=campaign, level=3).order_by("order", "code")


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Indicator) -> str:
        return f"{obj.code} {obj.name}"


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label="题型", choices=QuestionKind.choices)
    text = forms.CharField(label="题目", max_length=300)
    required = forms.BooleanField(label="必答", required=False, initial=True)
    options_text = forms.CharField(
        label="选项", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="选择题每行一个选项；计为“知晓/满意/支持”的选项在行首加 *，如“*知道”",
    )
    measure = forms.ChoiceField(label="计入比率", required=False, choices=[("", "不计入")] + list(Measure.choices))
    yes_min_rating = forms.IntegerField(label="评分题计为“是”的最低分", min_value=1, max_value=5, initial=4)
    indicator = IndicatorChoiceField(label="关联指标", required=False, queryset=Indicator.objects.none())

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = leaf_indicators(campaign)


class QuotaForm(forms.Form):
    unit = forms.ModelChoiceField(label="调查区域（社区/村）", queryset=Unit.objects.none())
    target = forms.IntegerField(label="样本量", min_value=0, max_value=100000, help_text="填 0 删除该区域的配额")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(unit_type__in=AREA_TYPES, is_active=True).order_by("path")


class RuleForm(forms.ModelForm):
    indicator = IndicatorChoiceField(label="指标", queryset=Indicator.objects.none())

    class Meta:
        model = ScoringRule
        fields = ["indicator", "measure", "method", "target", "min_respondents"]

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = leaf_indicators(campaign).filter(method=AssessmentMethod.SURVEY)
        self.fields["indicator"].help_text = "测评方法为“问卷调查”的指标"


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Survey._meta.get_field("status").choices)


class AnswerForm(forms.Form):
    """The questionnaire itself, one field per question (``q<id>``); ``key`` makes a double post one response."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, survey: Survey, questions: list[Question], areas: list[Unit] | None = None,
                 area_required: bool = False, contact: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.questions = questions
        if areas is not None:
            # Choices from the units already loaded (no second query to validate the pick).
            self._areas = {unit.pk: unit for unit in areas}
            self.fields["area"] = forms.TypedChoiceField(
                label="所在社区/村", choices=[("", "请选择")] + [(unit.pk, unit.name) for unit in areas], coerce=int,
                required=area_required, empty_value=None,
            )
        for number, question in enumerate(questions, 1):
            label = f"{number}. {question.text}"
            name = f"q{question.pk}"
            if question.kind == QuestionKind.SINGLE:
                field: forms.Field = forms.TypedChoiceField(
                    label=label, coerce=int, widget=forms.RadioSelect,
                    choices=[(o.pk, o.text) for o in question.options.all()],
                )
            elif question.kind == QuestionKind.MULTIPLE:
                field = forms.TypedMultipleChoiceField(
                    label=label, coerce=int, widget=forms.CheckboxSelectMultiple,
                    choices=[(o.pk, o.text) for o in question.options.all()],
                )
            elif question.kind == QuestionKind.RATING:
                field = forms.TypedChoiceField(
                    label=label, coerce=int, widget=forms.RadioSelect(attrs={"class": "cw-rating"}),
                    choices=[(i, f"{i}分") for i in range(1, 6)], help_text="1 分最低，5 分最高",
                )
            else:
                field = forms.CharField(label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
            field.required = question.required
            field.error_messages["required"] = "请回答这一题。"
            self.fields[name] = field
        if contact:
            self.fields["contact"] = forms.RegexField(
                label="联系电话（选填）", required=False, regex=r"^[0-9+\- ]{5,20}$", max_length=30,
                error_messages={"invalid": "请填写有效的电话号码。"},
            )

    def clean_area(self) -> Unit | None:
        pk = self.cleaned_data.get("area")
        return self._areas.get(pk) if pk else None

    def answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def question_fields(self) -> list[Any]:
        return [self[f"q{q.pk}"] for q in self.questions]
