"""Views of the surveys app: thin — fetch with an access check, form, service, redirect.

Office pages (build, quotas, rules, results, QR poster) need a login and the survey permissions of
``campaign/access.py``; a user without them gets a 404, as for any object they may not see.
The interviewer page needs ``surveys.interview`` (officials answer only for areas in their units).
The public page (``/surveys/s/<token>/``, which also answers a submission with the thanks) is the only one without a login: it goes through
``campaign.public.public_endpoint`` (rate limits, the signed device cookie), knows a survey only by its
unguessable token, and shows nothing about anyone.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign import access, downloads, public
from campaign.periods import file_name
from campaign.selectors import current_campaign

from . import charts, selectors, services
from .forms import AnswerForm, QuestionForm, QuotaForm, RuleForm, StatusForm, SurveyForm
from .models import Question, Response, ResponseMode, Survey, SurveyStatus
from .services import AREA_TYPES


def _survey(request: HttpRequest, pk: int, perm: str = "surveys.view_results") -> Survey:
    """The survey, or 404 for anyone without ``perm`` (no hint that it exists)."""
    if not access.can(request.user, perm):
        raise Http404("未找到该问卷，或您无权查看。")
    try:
        return Survey.objects.select_related("campaign").get(pk=pk)
    except Survey.DoesNotExist:
        raise Http404("未找到该问卷，或您无权查看。") from None


def _error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def public_url(request: HttpRequest, survey: Survey) -> str:
    return request.build_absolute_uri(reverse("surveys-public", args=[survey.token]))


# ------------------------------------------------------------------ office pages


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (access.can(user, "surveys.view_results") or access.can(user, "surveys.interview")):
        raise Http404("未找到页面。")
    campaign = current_campaign(request)
    surveys = selectors.surveys_for_campaign(campaign)
    if not access.can(user, "surveys.view_results"):
        # Interviewers (officials) see the open surveys they can fill in, nothing else.
        surveys = surveys.filter(status=SurveyStatus.OPEN, allow_interview=True)
    return render(request, "surveys/list.html", {
        "campaign": campaign, "surveys": surveys, "can_manage": access.can(user, "surveys.manage"),
        "can_results": access.can(user, "surveys.view_results"),
        # Leaders read results but do not interview: no button to a page they may not open.
        "can_interview": access.can(user, "surveys.interview"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, "surveys.manage"):
        raise Http404("未找到页面。")
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    form = SurveyForm(request.POST or None, instance=Survey(campaign=campaign, created_by=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                survey = form.save()
        except IntegrityError:  # the same form posted twice at once: the first one made it
            survey = Survey.objects.get(campaign=campaign, title=form.cleaned_data["title"])
        messages.success(request, "问卷已建立，请添加题目。")
        return redirect("surveys-detail", pk=survey.pk)
    return render(request, "surveys/form.html", {"form": form, "title": "新建问卷"})


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "问卷设置已保存。")
        return redirect("surveys-detail", pk=survey.pk)
    return render(request, "surveys/form.html", {"form": form, "title": f"修改问卷：{survey.title}", "survey": survey})


def _detail(request: HttpRequest, survey: Survey, **forms: Any) -> HttpResponse:
    results_areas = selectors.quota_rows(survey)
    return render(request, "surveys/detail.html", {
        "survey": survey,
        "questions": selectors.survey_questions(survey),
        "areas": results_areas,
        "rules": survey.rules.select_related("indicator"),
        "public_url": public_url(request, survey),
        "n_responses": survey.responses.count(),
        "can_manage": access.can(request.user, "surveys.manage"),
        "can_interview": access.can(request.user, "surveys.interview"),
        "question_form": forms.get("question_form") or QuestionForm(campaign=survey.campaign),
        "quota_form": forms.get("quota_form") or QuotaForm(),
        "rule_form": forms.get("rule_form") or RuleForm(campaign=survey.campaign),
    })


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _survey(request, pk))


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    form = QuestionForm(request.POST, campaign=survey.campaign)
    if form.is_valid():
        try:
            services.question_add(survey=survey, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "题目已添加。")
            return redirect(reverse("surveys-detail", args=[survey.pk]) + "#questions")
    return _detail(request, survey, question_form=form)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    question = survey.questions.filter(pk=question_pk).first()
    if question is None:
        raise Http404("未找到该题目。")
    try:
        services.question_delete(question=question, actor=request.user)
        messages.success(request, "题目已删除。")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(reverse("surveys-detail", args=[survey.pk]) + "#questions")


@login_required
@require_POST
def quota_set(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    form = QuotaForm(request.POST)
    if not form.is_valid():
        return _detail(request, survey, quota_form=form)
    services.quota_set(survey=survey, unit=form.cleaned_data["unit"], target=form.cleaned_data["target"], actor=request.user)
    messages.success(request, "样本配额已保存。")
    return redirect(reverse("surveys-detail", args=[survey.pk]) + "#quotas")


@login_required
@require_POST
def rule_set(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    form = RuleForm(request.POST, campaign=survey.campaign)
    if not form.is_valid():
        return _detail(request, survey, rule_form=form)
    services.rule_set(survey=survey, actor=request.user, **form.cleaned_data)
    messages.success(request, "计分规则已保存。")
    return redirect(reverse("surveys-detail", args=[survey.pk]) + "#rules")


@login_required
@require_POST
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.survey_set_status(survey=survey, status=form.cleaned_data["status"], actor=request.user)
            messages.success(request, f"问卷状态：{survey.get_status_display()}")
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    return redirect("surveys-detail", pk=survey.pk)


@login_required
@require_GET
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    results = selectors.survey_results(survey)
    charts_by_q = {s.question.pk: charts.bars_svg(s.options, title=s.question.text) for s in results.questions if s.options}
    return render(request, "surveys/results.html", {
        "survey": survey, "results": results, "charts": charts_by_q,
        # The exports are report jobs, asked through the reports app's export form (it sits above this one).
        "can_export": access.can(request.user, "surveys.view_results"),
        "export_kinds": [("survey-xlsx", "原始数据（Excel）"), ("survey-pdf", "结果报告（PDF）")],
    })


@login_required
@require_GET
def survey_poster(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk, "surveys.manage")
    return render(request, "surveys/poster.html", {"survey": survey, "public_url": public_url(request, survey)})


@login_required
@require_GET
def survey_qr(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The public link's QR code as SVG (screen, poster) or PNG (to paste into a notice)."""
    survey = _survey(request, pk, "surveys.manage")
    url = public_url(request, survey)
    if fmt not in ("svg", "png"):
        raise Http404("未知的格式。")
    if fmt == "svg":
        return HttpResponse(charts.qr_svg(url), content_type="image/svg+xml")
    return downloads.send(request, charts.qr_png(url), filename=file_name(f"{survey.title}-二维码", "png"), content_type="image/png",
                          obj=survey, what="下载问卷二维码")


# ------------------------------------------------------------------ answering


def interview_areas(user: Any, survey: Survey) -> Any:
    """Areas an interviewer may record: the survey's quota areas (or every community/village when it has
    none), and for a unit official only those within their own units."""
    from campaign.models import Unit

    units = Unit.objects.filter(unit_type__in=AREA_TYPES, is_active=True)
    if survey.quotas.exists():
        units = units.filter(survey_quotas__survey=survey)
    return access.filter_visible(user, units, "").order_by("path")


@login_required
@require_http_methods(["GET", "POST"])
def interview(request: HttpRequest, pk: int) -> HttpResponse:
    """入户调查: an interviewer fills in the questionnaire for a respondent, on a phone."""
    if not access.can(request.user, "surveys.interview"):
        raise Http404("未找到该问卷，或您无权查看。")
    survey = Survey.objects.select_related("campaign").filter(pk=pk).exclude(status=SurveyStatus.DRAFT).first()
    if survey is None:
        raise Http404("未找到该问卷，或您无权查看。")
    reason = services.refusal(survey, mode=ResponseMode.INTERVIEW)
    areas = list(interview_areas(request.user, survey))
    questions = list(selectors.answer_sheet(survey).questions)
    form = AnswerForm(request.POST or None, survey=survey, questions=questions, areas=areas, area_required=True)
    if request.method == "POST" and not reason and form.is_valid():
        try:
            done = services.response_submit(
                survey=survey, answers=form.answers(), mode=ResponseMode.INTERVIEW, submission_key=form.cleaned_data["key"],
                unit=form.cleaned_data["area"], interviewer=request.user, questions=questions,
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            mine = Response.objects.filter(survey=survey, interviewer=request.user).count()
            if done.created:
                messages.success(request, f"已保存（{done.response.unit}）。您在本问卷共录入{mine}份。")
            return redirect(reverse("surveys-interview", args=[survey.pk]) + f"?area={done.response.unit_id}")
    elif request.method == "GET" and request.GET.get("area", "").isdigit():
        form.initial["area"] = int(request.GET["area"])
    progress = [a for a in selectors.quota_rows(survey) if a.unit_id in {u.pk for u in areas}]
    return render(request, "surveys/interview.html", {
        "survey": survey, "form": form, "reason": reason, "progress": progress, "no_areas": not areas,
    })


@public.public_endpoint("surveys", per_ip="120/m", per_device="30/m")
@require_http_methods(["GET", "POST"])
def public_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The questionnaire a resident answers from the QR code: anonymous, one per device.

    Kept cheap, since a poster can send hundreds of residents at once: one query reads the survey with
    everything the checks need (``selectors.public_survey``), the questions and areas come from the
    process's answer sheet, and a submission is then one INSERT per table. The thanks page is the
    POST's own answer (no redirect and second request): posting it again (a reload) sends the same
    form key, which stores nothing twice and shows the same thanks.
    """
    device = public.device_key(request) if public.device_id(request) else None
    # Drafts and surveys without a public link are 404 like a wrong token.
    survey = selectors.public_survey(token, device=device if request.method == "GET" else None)
    if survey is None:
        raise Http404("未找到该问卷。")
    # On GET a device that answered is told so at once; a POST finds it through the unique constraint.
    if request.method == "GET" and device and survey.answered:
        return render(request, "surveys/public_done.html", {"survey": survey, "already": True})
    reason = services.refusal(survey, mode=ResponseMode.PUBLIC)
    if reason:
        return render(request, "surveys/public_done.html", {"survey": survey, "reason": reason})
    sheet = selectors.answer_sheet(survey)
    form = AnswerForm(request.POST or None, survey=survey, questions=list(sheet.questions),
                      areas=(list(sheet.areas) or None) if survey.ask_area else None, contact=survey.ask_contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(
                survey=survey, answers=form.answers(), mode=ResponseMode.PUBLIC, submission_key=form.cleaned_data["key"],
                unit=form.cleaned_data.get("area"), device=device, contact=form.cleaned_data.get("contact") or "",
                questions=form.questions,
            )
        except services.AlreadyAnswered:
            return render(request, "surveys/public_done.html", {"survey": survey, "already": True})
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            return render(request, "surveys/public_done.html", {"survey": survey, "thanks": True})
    return render(request, "surveys/public_form.html", {"survey": survey, "form": form})
