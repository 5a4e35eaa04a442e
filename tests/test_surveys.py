"""问卷调查: building, both answering modes, one per device, quotas, rates, the score line, no enumeration."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaign.models import AssessmentMethod, AssessmentPeriod, PeriodStatus, Unit, UnitType
from surveys import selectors, services
from surveys.models import QuestionKind, Response, ResponseMode, ScoreMethod, Survey, SurveyStatus
from surveys.rates import Rate, count_rate, rate_points

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 10, 1)


def make_survey(w, **extra) -> Survey:
    """知晓率 survey for indicator 4.2.3: Q1 知晓 (single, *知道), Q2 满意 (rating ≥ 4), Q3 text (optional)."""
    w.leaf_survey = w.leaf_survey if hasattr(w, "leaf_survey") else None
    if w.leaf_survey is None:
        from tests import factories as f

        w.leaf_survey = f.IndicatorFactory(
            campaign=w.campaign, code="4.2.3", name="创建知晓率", level=3, parent=w.ind_1_2, score=Decimal("4.00"),
            method=AssessmentMethod.SURVEY,
        )
        w.community_b = Unit.objects.create(name="海关社区", unit_type=UnitType.COMMUNITY, parent=w.unit_b)
    survey = Survey.objects.create(campaign=w.campaign, title="创建全国文明城市知晓率调查", status=SurveyStatus.DRAFT,
                                   score_month=MONTH, **extra)
    w.q_aware = services.question_add(survey=survey, kind=QuestionKind.SINGLE, text="您知道我市正在创建全国文明城市吗？",
                                      measure="aware", indicator=w.leaf_survey, options_text="*知道\n不知道")
    w.q_satisfied = services.question_add(survey=survey, kind=QuestionKind.RATING, text="您对创建工作满意吗？", measure="satisfied")
    w.q_text = services.question_add(survey=survey, kind=QuestionKind.TEXT, text="您的建议", required=False)
    services.survey_set_status(survey=survey, status=SurveyStatus.OPEN)
    return survey


def answer(w, survey, *, aware: bool, rating: int, unit=None, mode=ResponseMode.INTERVIEW, key=None, device=None):
    yes, no = list(w.q_aware.options.order_by("order"))
    return services.response_submit(
        survey=survey, answers={w.q_aware.pk: (yes if aware else no).pk, w.q_satisfied.pk: rating, w.q_text.pk: ""},
        mode=mode, submission_key=key or f"k{Response.objects.count()}-{aware}-{rating}-{unit}", unit=unit,
        interviewer=w.inspector if mode == ResponseMode.INTERVIEW else None, device=device,
    )


# ------------------------------------------------------------------ rules, hand-computed


def test_a_rate_counts_each_respondent_once_per_question():
    # Respondent 1 ticks two "yes" options of one multiple-choice question: one yes, not two.
    rate = count_rate([(1, 10, True), (1, 10, True), (2, 10, False), (3, 10, True)])
    assert (rate.yes, rate.answered, rate.respondents) == (2, 3, 3)
    assert rate.value == Decimal("0.6667")
    assert rate.percent == "66.67%"


def test_points_follow_the_rule_proportional_and_threshold():
    score = Decimal("4.00")
    # 27 of 30 = 90%: proportional 4 × 0.9 = 3.60; threshold 90% reaches full 4.00.
    assert rate_points(method=ScoreMethod.PROPORTIONAL, rate=Decimal("0.9"), score=score, target=Decimal("0.9")) == Decimal("3.60")
    assert rate_points(method=ScoreMethod.THRESHOLD, rate=Decimal("0.9"), score=score, target=Decimal("0.9")) == Decimal("4.00")
    # 24 of 30 = 80%: threshold 4 × 0.8 ÷ 0.9 = 3.5555… → 3.56.
    assert rate_points(method=ScoreMethod.THRESHOLD, rate=Decimal("0.8"), score=score, target=Decimal("0.9")) == Decimal("3.56")


def test_the_rates_of_a_survey_per_area_and_overall(world):
    w = world
    survey = make_survey(w)
    # 迎春社区: 3 know of 4 (75%), ratings 5, 4, 3, 2 → 2 satisfied of 4 (50%).
    for aware, rating in ((True, 5), (True, 4), (True, 3), (False, 2)):
        answer(w, survey, aware=aware, rating=rating, unit=w.community_a)
    # 海关社区: 1 knows of 1; rating 4.
    answer(w, survey, aware=True, rating=4, unit=w.community_b)
    assert selectors.survey_rate(survey, "aware") == Rate(yes=4, answered=5, respondents=5)
    assert selectors.survey_rate(survey, "satisfied", w.community_a) == Rate(yes=2, answered=4, respondents=4)
    # The street's rate counts its communities' respondents.
    assert selectors.survey_rate(survey, "aware", w.unit_a).value == Decimal("0.7500")
    results = selectors.survey_results(survey)
    assert results.respondents == 5
    assert [(m, r.percent) for m, _, r in results.measures] == [("aware", "80.00%"), ("satisfied", "60.00%")]
    q1 = results.questions[0]
    assert [(o.label, o.count, o.share) for o in q1.options] == [("知道", 4, Decimal("0.8000")), ("不知道", 1, Decimal("0.2000"))]
    rating = results.questions[1]
    assert rating.average == Decimal("3.60")  # (5+4+3+2+4) ÷ 5
    areas = {a.name: a for a in results.areas}
    assert areas["迎春社区"].rates["aware"].percent == "75.00%"
    assert areas["海关社区"].responses == 1


# ------------------------------------------------------------------ building


def test_the_office_builds_a_questionnaire_through_the_pages(world, client_for):
    w = world
    client = client_for(w.admin)
    response = client.post(reverse("surveys-create"), {"title": "市民满意度调查", "allow_public": "on", "ask_area": "on",
                                                       "allow_interview": "on", "score_month": "2026-10-15"})
    survey = Survey.objects.get(title="市民满意度调查")
    assert response.status_code == 302 and survey.score_month == MONTH and survey.status == SurveyStatus.DRAFT
    bad = client.post(reverse("surveys-question-add", args=[survey.pk]),
                      {"kind": "single", "text": "您知道创文吗？", "options_text": "知道\n不知道", "measure": "aware", "yes_min_rating": 4})
    assert bad.status_code == 200 and "须用 * 标出" in bad.content.decode()
    assert not survey.questions.exists()
    client.post(reverse("surveys-question-add", args=[survey.pk]),
                {"kind": "single", "text": "您知道创文吗？", "options_text": "*知道\n不知道", "measure": "aware", "yes_min_rating": 4,
                 "required": "on"})
    question = survey.questions.get()
    assert [(o.text, o.counts_yes) for o in question.options.all()] == [("知道", True), ("不知道", False)]
    client.post(reverse("surveys-quota", args=[survey.pk]), {"unit": w.community_a.pk, "target": 30})
    assert survey.quotas.get().target == 30
    client.post(reverse("surveys-status", args=[survey.pk]), {"status": "open"})
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN


def test_asking_for_a_phone_number_needs_a_stated_purpose(world, client_for):
    response = client_for(world.admin).post(reverse("surveys-create"), {"title": "回访调查", "ask_contact": "on"})
    assert response.status_code == 200 and "必须说明用途" in response.content.decode()
    assert not Survey.objects.exists()


# ------------------------------------------------------------------ public answering


def _public_post(client, w, survey, *, aware=True, rating=5, key="a" * 32, area=None):
    yes, no = list(w.q_aware.options.order_by("order"))
    data = {"key": key, f"q{w.q_aware.pk}": (yes if aware else no).pk, f"q{w.q_satisfied.pk}": rating}
    if area:
        data["area"] = area.pk
    return client.post(reverse("surveys-public", args=[survey.token]), data)


def test_a_resident_answers_without_a_login_and_anonymously(world, client):
    w = world
    survey = make_survey(w)
    services.quota_set(survey=survey, unit=w.community_a, target=30)
    page = client.get(reverse("surveys-public", args=[survey.token]))
    assert page.status_code == 200 and "您知道我市正在创建全国文明城市吗" in page.content.decode()
    assert "迎春社区" in page.content.decode()  # the area the office published for this survey
    done = _public_post(client, w, survey, area=w.community_a)
    # The thanks are the POST's own answer (no second request); posting it again stores nothing twice.
    assert done.status_code == 200 and "提交成功" in done.content.decode()
    assert "提交成功" in _public_post(client, w, survey, area=w.community_a).content.decode()
    stored = Response.objects.get()
    assert stored.mode == ResponseMode.PUBLIC and stored.interviewer is None and stored.contact == ""
    assert stored.unit == w.community_a and stored.device and len(stored.device) == 32


def test_one_response_per_device(world, client):
    w = world
    survey = make_survey(w)
    client.get(reverse("surveys-public", args=[survey.token]))  # the device cookie
    _public_post(client, w, survey, key="1" * 32)
    again = _public_post(client, w, survey, key="2" * 32)  # a fresh form from the same phone
    assert again.status_code == 200 and "您已经填写过本问卷" in again.content.decode()
    assert Response.objects.count() == 1
    assert "您已经填写过本问卷" in client.get(reverse("surveys-public", args=[survey.token])).content.decode()


def test_a_public_submission_reads_the_survey_once_and_writes_one_row_per_table(world, client, django_assert_max_num_queries):
    w = world
    survey = make_survey(w)
    services.quota_set(survey=survey, unit=w.community_a, target=30)
    client.get(reverse("surveys-public", args=[survey.token]))  # the device cookie; the process reads the sheet once
    # The survey's row (with its month, rule and device checks), then BEGIN, the response, its answers, COMMIT:
    # questions, options and areas come from the process's answer sheet for this structure version.
    yes = w.q_aware.options.get(counts_yes=True)
    data = {"key": "p" * 32, "area": w.community_a.pk, f"q{w.q_aware.pk}": yes.pk, f"q{w.q_satisfied.pk}": 5}
    with django_assert_max_num_queries(5):
        done = client.post(reverse("surveys-public", args=[survey.token]), data)
    assert "提交成功" in done.content.decode() and Response.objects.get().answers.count() == 2
    with django_assert_max_num_queries(1):
        assert "您已经填写过本问卷" in client.get(reverse("surveys-public", args=[survey.token])).content.decode()


def test_the_public_form_follows_every_change_to_its_questions_options_and_areas(world, client):
    w = world
    survey = make_survey(w)
    services.quota_set(survey=survey, unit=w.community_a, target=30)
    url = reverse("surveys-public", args=[survey.token])
    assert "迎春社区" in client.get(url).content.decode()  # the sheet is cached now
    option = w.q_aware.options.get(text="不知道")
    option.text = "没听说过"
    option.save()
    w.community_a.name = "迎春新村社区"
    w.community_a.save()
    survey.refresh_from_db()
    services.question_add(survey=survey, kind=QuestionKind.TEXT, text="您住在这里多少年了？", required=False)
    services.quota_set(survey=survey, unit=w.community_b, target=10)
    page = client.get(url).content.decode()
    assert "没听说过" in page and "迎春新村社区" in page and "您住在这里多少年了" in page and "海关社区" in page
    w.q_text.delete()
    assert "您的建议" not in client.get(url).content.decode()


def test_a_public_answer_to_a_scored_survey_shows_at_once_in_the_cached_month(world, client, settings,
                                                                              django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from reports.scoring import month_scores

    w = world
    survey = make_survey(w)
    services.rule_set(survey=survey, indicator=w.leaf_survey, measure="aware", method=ScoreMethod.PROPORTIONAL,
                      target=Decimal("0.90"), min_respondents=1)
    services.quota_set(survey=survey, unit=w.community_a, target=30)
    client.get(reverse("surveys-public", args=[survey.token]))
    settings.SCORE_CACHE_SECONDS = 3600
    cache.clear()
    assert month_scores(campaign=w.campaign, month=MONTH).get(w.unit_a.pk).score == Decimal("100.00")  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        _public_post(client, w, survey, aware=False, area=w.community_a)
    assert month_scores(campaign=w.campaign, month=MONTH).get(w.unit_a.pk).score == Decimal("96.00")  # 0 of 1 know
    cache.clear()


def test_the_public_link_stops_taking_answers_when_the_score_month_is_published(world, client):
    w = world
    survey = make_survey(w)
    client.get(reverse("surveys-public", args=[survey.token]))
    AssessmentPeriod.objects.create(campaign=w.campaign, month=MONTH, status=PeriodStatus.PUBLISHED)
    assert "考核月份已发布" in client.get(reverse("surveys-public", args=[survey.token])).content.decode()
    assert "考核月份已发布" in _public_post(client, w, survey).content.decode()
    assert not Response.objects.exists()


def test_a_form_posted_twice_creates_one_response(world):
    w = world
    survey = make_survey(w)
    first = answer(w, survey, aware=True, rating=5, unit=w.community_a, key="same-key")
    second = answer(w, survey, aware=True, rating=5, unit=w.community_a, key="same-key")
    assert first.created and not second.created and first.response.pk == second.response.pk
    assert Response.objects.count() == 1


def test_a_missing_required_answer_is_refused_in_chinese_and_keeps_the_rest(world, client):
    w = world
    survey = make_survey(w)
    client.get(reverse("surveys-public", args=[survey.token]))
    yes = w.q_aware.options.get(counts_yes=True)
    page = client.post(reverse("surveys-public", args=[survey.token]), {"key": "k" * 32, f"q{w.q_aware.pk}": yes.pk})
    html = page.content.decode()
    assert page.status_code == 200 and "请回答这一题。" in html
    assert f'value="{yes.pk}"' in html and "checked" in html  # the answer given is still ticked
    assert not Response.objects.exists()


def test_no_enumeration_random_tokens_and_drafts_are_404_and_there_is_no_public_list(world, client):
    w = world
    survey = make_survey(w)
    assert client.get(reverse("surveys-public", args=["x" * 22])).status_code == 404
    draft = Survey.objects.create(campaign=w.campaign, title="草稿")
    assert client.get(reverse("surveys-public", args=[draft.token])).status_code == 404
    assert client.post(reverse("surveys-public", args=[draft.token]), {"key": "d" * 32}).status_code == 404
    # Office pages need a login (redirect), and tokens are long and random.
    for name, args in (("surveys-list", []), ("surveys-detail", [survey.pk]), ("surveys-results", [survey.pk])):
        assert client.get(reverse(name, args=args)).status_code == 302
    assert len(survey.token) >= 22 and survey.token != draft.token


def test_a_closed_survey_takes_no_answers(world, client):
    w = world
    survey = make_survey(w)
    services.survey_set_status(survey=survey, status=SurveyStatus.CLOSED)
    client.get(reverse("surveys-public", args=[survey.token]))
    page = _public_post(client, w, survey)
    assert "已结束" in page.content.decode() and not Response.objects.exists()


def test_answers_stop_when_the_score_month_is_published(world):
    w = world
    survey = make_survey(w)
    AssessmentPeriod.objects.create(campaign=w.campaign, month=MONTH, status=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="已发布"):
        answer(w, survey, aware=True, rating=5, unit=w.community_a)


# ------------------------------------------------------------------ interviewers


def test_an_inspector_records_a_door_to_door_interview_with_area_and_interviewer(world, client_for):
    w = world
    survey = make_survey(w)
    services.quota_set(survey=survey, unit=w.community_a, target=2)
    client = client_for(w.inspector)
    yes = w.q_aware.options.get(counts_yes=True)
    page = client.get(reverse("surveys-interview", args=[survey.pk]))
    assert page.status_code == 200 and "0" in page.content.decode()
    response = client.post(reverse("surveys-interview", args=[survey.pk]),
                           {"key": "i" * 32, "area": w.community_a.pk, f"q{w.q_aware.pk}": yes.pk, f"q{w.q_satisfied.pk}": 4})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.mode == ResponseMode.INTERVIEW and stored.interviewer == w.inspector and stored.unit == w.community_a
    # Quota progress: 1 of 2.
    row = selectors.quota_rows(survey)[0]
    assert (row.responses, row.target, row.progress, row.quota_met) == (1, 2, 50, False)


def test_an_interview_needs_the_area(world, client_for):
    w = world
    survey = make_survey(w)
    yes = w.q_aware.options.get(counts_yes=True)
    page = client_for(w.inspector).post(reverse("surveys-interview", args=[survey.pk]),
                                        {"key": "i" * 32, f"q{w.q_aware.pk}": yes.pk, f"q{w.q_satisfied.pk}": 4})
    assert page.status_code == 200 and not Response.objects.exists()


def test_an_official_interviews_only_in_their_own_areas(world, client_for):
    w = world
    survey = make_survey(w)
    yes = w.q_aware.options.get(counts_yes=True)
    client = client_for(w.official_a)
    page = client.get(reverse("surveys-interview", args=[survey.pk])).content.decode()
    assert "迎春社区" in page and "海关社区" not in page
    refused = client.post(reverse("surveys-interview", args=[survey.pk]),
                          {"key": "o" * 32, "area": w.community_b.pk, f"q{w.q_aware.pk}": yes.pk, f"q{w.q_satisfied.pk}": 4})
    assert refused.status_code == 200 and not Response.objects.exists()


@pytest.mark.parametrize("who,status", [("admin", 200), ("inspector", 200), ("leader", 200), ("official_a", 404), ("nobody", 404)])
def test_who_sees_the_results(world, client_for, who, status):
    survey = make_survey(world)
    assert client_for(getattr(world, who)).get(reverse("surveys-results", args=[survey.pk])).status_code == status


def test_only_the_office_builds(world, client_for):
    survey = make_survey(world)
    for who in ("inspector", "leader", "official_a"):
        response = client_for(getattr(world, who)).post(reverse("surveys-quota", args=[survey.pk]),
                                                        {"unit": world.community_a.pk, "target": 5})
        assert response.status_code == 404
    assert not survey.quotas.exists()


# ------------------------------------------------------------------ the score


def test_the_month_score_takes_the_survey_rate_with_an_explanation_line(world):
    from reports.scoring import score_month

    w = world
    survey = make_survey(w)
    services.rule_set(survey=survey, indicator=w.leaf_survey, measure="aware", method=ScoreMethod.THRESHOLD,
                      target=Decimal("0.90"), min_respondents=5)
    # 城东街道 (迎春社区): 8 of 10 know → 80%; 4.00 × 0.80 ÷ 0.90 = 3.56, so 0.44 deducted.
    for i in range(10):
        answer(w, survey, aware=i < 8, rating=5, unit=w.community_a)
    # 口岸街道 (海关社区): 3 respondents, fewer than 5 → a 0.00 line.
    for _ in range(3):
        answer(w, survey, aware=True, rating=5, unit=w.community_b)
    scores = score_month(campaign=w.campaign, month=MONTH, today=dt.date(2026, 10, 31))
    a = scores.get(w.unit_a.pk)
    line = next(line for line in a.lines if line.kind == "survey")
    assert line.points == Decimal("-0.44") and line.indicator_code == "4.2.3"
    assert "创建全国文明城市知晓率调查" in line.label and "80.00%" in line.label and "受访10人" in line.label
    assert a.score == Decimal("99.56") and a.finding_deductions == Decimal("0.44")
    b = scores.get(w.unit_b.pk)
    assert [(line.points, "少于5人" in line.label) for line in b.lines if line.kind == "survey"] == [(Decimal("0.00"), True)]
    assert b.score == Decimal("100.00")
    # 市城管局 has no respondents: no line.
    assert not [line for line in scores.get(w.dept.pk).lines if line.kind == "survey"]


def test_a_draft_survey_or_another_month_does_not_score(world):
    from reports.scoring import score_month

    w = world
    survey = make_survey(w)
    services.rule_set(survey=survey, indicator=w.leaf_survey, measure="aware", method=ScoreMethod.PROPORTIONAL,
                      target=Decimal("0.90"), min_respondents=1)
    answer(w, survey, aware=False, rating=1, unit=w.community_a)
    assert score_month(campaign=w.campaign, month=MONTH, today=dt.date(2026, 10, 31)).get(w.unit_a.pk).score == Decimal("96.00")
    assert score_month(campaign=w.campaign, month=dt.date(2026, 9, 1), today=dt.date(2026, 10, 31)).get(w.unit_a.pk).score == Decimal("100.00")
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.DRAFT)
    assert score_month(campaign=w.campaign, month=MONTH, today=dt.date(2026, 10, 31)).get(w.unit_a.pk).score == Decimal("100.00")


def test_a_response_to_a_scored_survey_shows_at_once_in_the_cached_month(world, settings, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from reports.scoring import month_scores

    w = world
    survey = make_survey(w)
    services.rule_set(survey=survey, indicator=w.leaf_survey, measure="aware", method=ScoreMethod.PROPORTIONAL,
                      target=Decimal("0.90"), min_respondents=1)
    settings.SCORE_CACHE_SECONDS = 3600  # on after the setup, so nothing is pending
    cache.clear()
    assert month_scores(campaign=w.campaign, month=MONTH).get(w.unit_a.pk).score == Decimal("100.00")  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        answer(w, survey, aware=False, rating=5, unit=w.community_a)
    # 0 of 1 know: 4.00 × 0 = 0 points, 4.00 deducted.
    assert month_scores(campaign=w.campaign, month=MONTH).get(w.unit_a.pk).score == Decimal("96.00")
    cache.clear()


# ------------------------------------------------------------------ exports


def test_the_raw_workbook_neutralises_formulas_and_has_one_row_per_response(world):
    import io

    from openpyxl import load_workbook

    from surveys.exports import survey_xlsx

    w = world
    survey = make_survey(w)
    yes = w.q_aware.options.get(counts_yes=True)
    services.response_submit(survey=survey, answers={w.q_aware.pk: yes.pk, w.q_satisfied.pk: 4, w.q_text.pk: "=HYPERLINK(\"x\")"},
                             mode=ResponseMode.INTERVIEW, submission_key="x1", unit=w.community_a, interviewer=w.inspector)
    answer(w, survey, aware=False, rating=2, unit=w.community_a)
    filename, mimetype, content = survey_xlsx(user=w.admin, campaign=w.campaign, params={"survey": survey.pk})
    assert filename.endswith(".xlsx") and "spreadsheetml" in mimetype
    wb = load_workbook(io.BytesIO(content))
    rows = list(wb["原始数据"].iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][3] == "受访者所在区域"
    assert rows[1][2:5] == ("入户调查", "迎春社区", "李督查")
    assert rows[1][5:] == ("知道", 4, "'=HYPERLINK(\"x\")")
    assert rows[2][5:7] == ("不知道", 2)
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[1][1:6] == ("知晓率", None, 1, 2, 0.5)


def test_the_results_pdf_states_the_rate_and_respondents(world):
    import io

    from pypdf import PdfReader

    from surveys.exports import survey_pdf

    w = world
    survey = make_survey(w)
    for aware in (True, True, False):
        answer(w, survey, aware=aware, rating=5, unit=w.community_a)
    filename, mimetype, content = survey_pdf(user=w.admin, campaign=w.campaign, params={"survey": survey.pk})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert mimetype == "application/pdf" and "66.67%" in text and "迎春社区" in text


def test_an_official_can_not_export_a_survey(world):
    from django.core.exceptions import PermissionDenied

    from surveys.exports import survey_xlsx

    survey = make_survey(world)
    with pytest.raises(PermissionDenied):
        survey_xlsx(user=world.official_a, campaign=world.campaign, params={"survey": survey.pk})


def test_the_results_page_asks_for_the_workbook_as_a_report_job(world, client_for, settings, tmp_path,
                                                                 django_capture_on_commit_callbacks):
    from reports.models import JobStatus, ReportJob

    settings.MEDIA_ROOT = tmp_path / "media"
    w = world
    survey = make_survey(w)
    answer(w, survey, aware=True, rating=5, unit=w.community_a)
    client = client_for(w.inspector)
    assert 'value="survey-xlsx"' in client.get(reverse("surveys-results", args=[survey.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports-export-request"), {"kind": "survey-xlsx", "survey": survey.pk})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.params == {"survey": str(survey.pk)}
    assert job.status == JobStatus.DONE and job.filename.endswith(".xlsx")
    download = client.get(reverse("reports-job-download", args=[job.pk]))
    assert download.status_code == 200
    # An official who forges the same request gets a failed job, no file.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(w.official_a).post(reverse("reports-export-request"), {"kind": "survey-pdf", "survey": survey.pk})
    forged = ReportJob.objects.get(kind="survey-pdf")
    assert forged.status == JobStatus.FAILED and not forged.file


def test_removing_an_invalid_answer_is_audited_and_refused_in_a_published_month(world):
    from campaign.models import AuditLog

    w = world
    survey = make_survey(w)
    first = answer(w, survey, aware=True, rating=5, unit=w.community_a).response
    second = answer(w, survey, aware=True, rating=4, unit=w.community_a).response
    services.response_delete(response=first, actor=w.admin, reason="测试数据")
    assert list(Response.objects.all()) == [second]
    assert AuditLog.objects.filter(action="survey.response_delete", actor=w.admin).count() == 1
    AssessmentPeriod.objects.create(campaign=w.campaign, month=MONTH, status=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="冻结"):
        services.response_delete(response=second, actor=w.admin)
    assert Response.objects.count() == 1


def test_the_create_and_question_forms_posted_twice_create_once(world, client_for):
    client = client_for(world.admin)
    data = {"title": "市民满意度调查", "allow_public": "on", "allow_interview": "on"}
    first = client.post(reverse("surveys-create"), data)
    again = client.post(reverse("surveys-create"), data)
    assert first.status_code == 302 and again.status_code == 200 and "同名问卷" in again.content.decode()
    survey = Survey.objects.get()
    question = {"kind": "rating", "text": "您对创建工作满意吗？", "measure": "satisfied", "yes_min_rating": 4, "required": "on"}
    client.post(reverse("surveys-question-add", args=[survey.pk]), question)
    page = client.post(reverse("surveys-question-add", args=[survey.pk]), question)
    assert "已有相同的题目" in page.content.decode() and survey.questions.count() == 1


def test_the_month_report_counts_a_survey_loss_against_its_indicator(world):
    from reports.data import report_data

    w = world
    survey = make_survey(w)
    services.rule_set(survey=survey, indicator=w.leaf_survey, measure="aware", method=ScoreMethod.PROPORTIONAL,
                      target=Decimal("0.90"), min_respondents=1)
    for aware in (True, False):  # 1 of 2: 4.00 × 0.5 = 2.00 kept, 2.00 lost
        answer(w, survey, aware=aware, rating=5, unit=w.community_a)
    data = report_data(campaign=w.campaign, month=MONTH, as_of=dt.date(2026, 10, 31))
    assert [(row.code, row.points, row.units) for row in data.top_indicators] == [("4.2.3", Decimal("2.00"), 1)]


def test_the_admin_cannot_delete_an_answer_of_a_published_month(world, client):
    from django.contrib.auth import get_user_model

    w = world
    survey = make_survey(w)
    response = answer(w, survey, aware=True, rating=5, unit=w.community_a).response
    AssessmentPeriod.objects.create(campaign=w.campaign, month=MONTH, status=PeriodStatus.PUBLISHED)
    root = get_user_model().objects.create_superuser("root_survey", password=w.password)
    client.force_login(root)
    page = client.post(reverse("admin:surveys_response_delete", args=[response.pk]), {"post": "yes"}, follow=True)
    assert page.status_code == 200 and "冻结" in page.content.decode()
    assert Response.objects.filter(pk=response.pk).exists()
