"""Writes: building a questionnaire, opening and closing it, quotas, scoring rules, and answers.

``response_submit`` is the one door for answers, from the public link and from interviewers alike:
it checks the survey is open, the month it scores is not published, the answers are complete and
valid, and it keeps one response per device (public) and per form (the submission key), so a
form posted twice creates one response.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaign import audit
from campaign.models import Unit, UnitType
from campaign.periods import is_month_published

from .models import (
    Answer,
    Option,
    Question,
    QuestionKind,
    Quota,
    Response,
    ResponseMode,
    ScoringRule,
    Survey,
    SurveyStatus,
)

AREA_TYPES = (UnitType.COMMUNITY, UnitType.VILLAGE)


def parse_options(text: str) -> list[tuple[str, bool]]:
    """Options typed one per line; a line starting with * counts as "yes" (知晓/满意/支持)."""
    options = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        yes = line.startswith(("*", "＊"))
        label = line.lstrip("*＊").strip()
        if label:
            options.append((label[:200], yes))
    return options


def question_add(
    *, survey: Survey, kind: str, text: str, required: bool = True, indicator: Any = None, measure: str = "",
    yes_min_rating: int = 4, options_text: str = "", actor: Any = None,
) -> Question:
    """Append a question (options for choice questions, one per line; ``*`` marks a yes option)."""
    options = parse_options(options_text)
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(options) < 2:
        raise ValidationError("选择题至少需要两个选项（每行一个）。")
    if measure and kind == QuestionKind.TEXT:
        raise ValidationError("简答题不能计入知晓率/满意度/支持率。")
    if measure and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and not any(yes for _, yes in options):
        raise ValidationError("计入比率的选择题须用 * 标出计为“是”的选项，如“*知道”。")
    if survey.responses.exists():
        raise ValidationError("问卷已有答卷，不能再增加题目（以免前后答卷不可比）。")
    if survey.questions.filter(text=text.strip()).exists():  # also: the same form posted twice adds one question
        raise ValidationError("问卷中已有相同的题目。")
    with transaction.atomic():
        order = (survey.questions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        question = Question.objects.create(
            survey=survey, order=order, kind=kind, text=text.strip(), required=required, indicator=indicator,
            measure=measure, yes_min_rating=yes_min_rating,
        )
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            Option.objects.bulk_create(
                Option(question=question, order=i, text=label, counts_yes=yes) for i, (label, yes) in enumerate(options, 1)
            )
        audit.record("survey.question_add", actor=actor, obj=survey, message=f"增加题目：{question.text}"[:300])
    return question


def question_delete(*, question: Question, actor: Any = None) -> None:
    survey = question.survey
    if survey.responses.exists():
        raise ValidationError("问卷已有答卷，不能再删除题目。")
    audit.record("survey.question_delete", actor=actor, obj=survey, message=f"删除题目：{question.text}"[:300])
    question.delete()


def quota_set(*, survey: Survey, unit: Unit, target: int, actor: Any = None) -> Quota | None:
    """Set (or with ``target`` 0 remove) the quota of one area."""
    if target <= 0:
        Quota.objects.filter(survey=survey, unit=unit).delete()
        return None
    quota, _ = Quota.objects.update_or_create(survey=survey, unit=unit, defaults={"target": target})
    audit.record("survey.quota", actor=actor, obj=survey, message=f"样本配额：{unit.name} {target}份")
    return quota


def survey_set_status(*, survey: Survey, status: str, actor: Any = None) -> Survey:
    if status == SurveyStatus.OPEN and not survey.questions.exists():
        raise ValidationError("问卷还没有题目，不能发布。")
    before = survey.status
    survey.status = status
    survey.save(update_fields=["status"])
    audit.record("survey.status", actor=actor, obj=survey, before={"status": before}, after={"status": status},
                 message=f"问卷状态：{survey.get_status_display()}")
    return survey


def rule_set(*, survey: Survey, actor: Any = None, **fields: Any) -> ScoringRule:
    indicator = fields.pop("indicator")
    rule, _ = ScoringRule.objects.update_or_create(survey=survey, indicator=indicator, defaults=fields)
    survey.indicators.add(indicator)
    audit.record("survey.rule", actor=actor, obj=survey, message=f"计分规则：指标{indicator.code}")
    return rule


# ------------------------------------------------------------------ answering


def refusal(survey: Survey, *, mode: str, today: dt.date | None = None) -> str:
    """Why ``survey`` takes no answers in ``mode`` now ("" when it does)."""
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.OPEN:
        return "该问卷已结束或尚未开始，感谢您的关注。"
    if survey.opens_on and today < survey.opens_on:
        return f"该问卷将于{survey.opens_on:%Y年%m月%d日}开始。"
    if survey.closes_on and today > survey.closes_on:
        return "该问卷已截止，感谢您的关注。"
    if mode == ResponseMode.PUBLIC and not survey.allow_public:
        return "该问卷不接受公开作答。"
    if mode == ResponseMode.INTERVIEW and not survey.allow_interview:
        return "该问卷不接受入户代填。"
    if survey.score_month and _month_published(survey):
        return "该问卷计入的考核月份已发布，不再接收答卷。"
    return ""


def _month_published(survey: Survey) -> bool:
    # Read with the survey's row when ``selectors.public_survey`` fetched it (no query of its own).
    known = getattr(survey, "month_published", None)
    return known if known is not None else is_month_published(survey.campaign_id, survey.score_month)


class AlreadyAnswered(Exception):
    """This device has answered this survey already."""


@dataclass(frozen=True)
class Submitted:
    response: Response
    created: bool


def response_submit(
    *, survey: Survey, answers: dict[int, Any], mode: str, submission_key: str, unit: Unit | None = None,
    interviewer: Any = None, device: str | None = None, contact: str = "", questions: list[Question] | None = None,
) -> Submitted:
    """Store one completed questionnaire.

    ``answers`` maps question id → an option id (single), a list of option ids (multiple), 1–5
    (rating) or text; the form has validated types, this checks them against the survey once more.
    Raises ``ValidationError`` (Chinese) or ``AlreadyAnswered``; the same ``submission_key`` again
    returns the first response (``created`` False). ``questions`` (with their options prefetched) saves
    the queries when the caller has them already. The usual path is one INSERT per table: a repeated key
    or device is found by the unique constraints, not by a query before every answer.
    """
    reason = refusal(survey, mode=mode)
    if reason:
        raise ValidationError(reason)
    if mode == ResponseMode.INTERVIEW and (interviewer is None or unit is None):
        raise ValidationError("入户调查须记录调查员和受访者所在社区/村。")
    if survey.ask_contact is False:
        contact = ""
    # ``device``: a digest of the signed device cookie (campaign.public.device_key), never the id itself.
    device = device if mode == ResponseMode.PUBLIC else None
    if mode == ResponseMode.PUBLIC and device is None:
        raise ValidationError("无法识别您的设备，请允许浏览器保存 Cookie 后重新打开问卷。")

    rows: list[Answer] = []
    if questions is None:
        questions = list(survey.questions.prefetch_related("options"))
    for question in questions:
        value = answers.get(question.pk)
        option_ids = {o.pk for o in question.options.all()}
        if value in (None, "", []):
            if question.required:
                raise ValidationError(f"请回答：{question.text}")
            continue
        if question.kind == QuestionKind.SINGLE:
            if int(value) not in option_ids:
                raise ValidationError(f"选项无效：{question.text}")
            rows.append(Answer(question=question, option_id=int(value)))
        elif question.kind == QuestionKind.MULTIPLE:
            chosen = {int(v) for v in value}
            if not chosen <= option_ids:
                raise ValidationError(f"选项无效：{question.text}")
            rows.extend(Answer(question=question, option_id=pk) for pk in sorted(chosen))
        elif question.kind == QuestionKind.RATING:
            if int(value) not in range(1, 6):
                raise ValidationError(f"评分应为 1–5 分：{question.text}")
            rows.append(Answer(question=question, rating=int(value)))
        else:
            rows.append(Answer(question=question, text=str(value).strip()[:2000]))
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey, unit=unit, mode=mode, interviewer=interviewer if mode == ResponseMode.INTERVIEW else None,
                device=device, submission_key=submission_key, contact=contact.strip()[:30],
            )
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
    except IntegrityError:
        again = Response.objects.filter(submission_key=submission_key).first()
        if again is not None:  # the same form posted twice (a double tap, a resend after a lost answer)
            if again.survey_id != survey.pk:
                raise ValidationError("提交键无效，请刷新页面后重新填写。") from None
            return Submitted(again, False)
        raise AlreadyAnswered() from None
    return Submitted(response, True)


def response_delete(*, response: Response, actor: Any = None, reason: str = "") -> None:
    """The office removes an invalid response (e.g. a test entry); recorded in the audit log."""
    if response.survey.score_month and is_month_published(response.survey.campaign_id, response.survey.score_month):
        raise ValidationError("该问卷计入的考核月份已发布并冻结，不能删除答卷。")
    audit.record("survey.response_delete", actor=actor, obj=response.survey, message=f"删除答卷#{response.pk}：{reason}"[:300])
    response.delete()
