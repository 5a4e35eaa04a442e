"""Reads: a survey's results, quota progress, and the score lines the monthly assessment takes in.

Every figure shown on the results page, in the PDF and in the score line comes from here (the
rules themselves are in ``surveys/rates.py``), so one rate means one thing everywhere.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from threading import Lock

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from campaign.models import AssessmentPeriod, Campaign, PeriodStatus, Unit, month_start

from .models import (
    Answer,
    Measure,
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
from .rates import Rate, count_rate, is_yes, q2, rate_points, rates_by_area


def surveys_for_campaign(campaign: Campaign | None = None) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("campaign").annotate(n_responses=Count("responses"))
    return qs.filter(campaign=campaign) if campaign is not None else qs


def survey_questions(survey: Survey) -> list[Question]:
    """The questions with their options, in order (one query each)."""
    return list(
        survey.questions.select_related("indicator").prefetch_related(Prefetch("options", queryset=Option.objects.order_by("order", "pk")))
    )


def survey_area_units(survey: Survey) -> list[Unit]:
    """The areas a public respondent may pick: the units the office set quotas for."""
    return [q.unit for q in survey.quotas.select_related("unit").order_by("unit__path")]


# ------------------------------------------------------------------ answering


@dataclass(frozen=True)
class AnswerSheet:
    """What the answer form is built from: the questions (options prefetched, in order) and the quota
    areas. Shared read-only between requests (and threads) of a process: nobody may change it."""

    questions: tuple[Question, ...]
    areas: tuple[Unit, ...]


_SHEETS: OrderedDict[tuple[int, str], AnswerSheet] = OrderedDict()
_SHEETS_LOCK = Lock()
SHEETS_KEPT = 64  # surveys whose sheet a process keeps (a few are open at a time)


def answer_sheet(survey: Survey) -> AnswerSheet:
    """The survey's questions and areas, read once per structure version and process (2–3 queries),
    then from memory: answering a survey reads only the survey's row (:func:`public_survey`).

    Memory per process rather than the shared cache: an entry never goes stale (a change makes a new
    version, ``surveys/signals.py``), so there is nothing to invalidate, and no round trip either.
    """
    key = (survey.pk, survey.structure_version)
    sheet = _SHEETS.get(key)
    if sheet is None:
        sheet = AnswerSheet(
            questions=tuple(survey.questions.prefetch_related(Prefetch("options", queryset=Option.objects.order_by("order", "pk")))),
            areas=tuple(survey_area_units(survey)),
        )
        with _SHEETS_LOCK:
            _SHEETS[key] = sheet
            while len(_SHEETS) > SHEETS_KEPT:
                _SHEETS.popitem(last=False)
    return sheet


def public_survey(token: str, *, device: str | None = None) -> Survey | None:
    """The survey behind a public link (None for a wrong token, a draft or a survey without a public link),
    in one query with what answering it asks: ``month_published`` (its score month is frozen; read by
    ``services.refusal``), ``scores`` (it has a scoring rule, so an answer moves a score: asked by the
    score cache's signal through :func:`response_scores`) and ``answered`` (``device`` answered it already)."""
    published = AssessmentPeriod.objects.filter(
        campaign_id=OuterRef("campaign_id"), month=OuterRef("score_month"), status=PeriodStatus.PUBLISHED)
    qs = Survey.objects.filter(token=token, allow_public=True).exclude(status=SurveyStatus.DRAFT).annotate(
        month_published=Exists(published), scores=Exists(ScoringRule.objects.filter(survey=OuterRef("pk"))),
    )
    if device:
        qs = qs.annotate(answered=Exists(Response.objects.filter(survey=OuterRef("pk"), device=device)))
    try:
        return qs.get()
    except Survey.DoesNotExist:
        return None


def response_scores(response: Response) -> bool:
    """Does ``response`` move a score (its survey has a scoring rule)? Known without a query when its
    survey came from :func:`public_survey`, else one query."""
    survey = Response._meta.get_field("survey").get_cached_value(response, default=None)
    known = getattr(survey, "scores", None)
    if known is not None:
        return known
    return ScoringRule.objects.filter(survey_id=response.survey_id).exists()


# ------------------------------------------------------------------ rates


def measure_rows(survey: Survey, measure: str) -> list[tuple[int, int, bool, str]]:
    """``(response, question, yes, area path)`` for every answer to a question of ``measure``."""
    rows = Answer.objects.filter(response__survey=survey, question__measure=measure).values_list(
        "response_id", "question_id", "question__kind", "option__counts_yes", "rating", "question__yes_min_rating",
        "response__unit__path",
    )
    return [
        (rid, qid, is_yes(kind=kind, counts_yes=cy, rating=rating, yes_min_rating=ymin), path or "")
        for rid, qid, kind, cy, rating, ymin, path in rows
    ]


def survey_measures(survey: Survey) -> list[str]:
    """The measures this survey's questions carry, in the order of ``Measure``."""
    present = set(survey.questions.exclude(measure="").values_list("measure", flat=True))
    return [m for m in Measure.values if m in present]


def survey_rate(survey: Survey, measure: str, unit: Unit | None = None) -> Rate:
    rows = measure_rows(survey, measure)
    if unit is None:
        return count_rate((r, q, y) for r, q, y, _ in rows)
    return rates_by_area(rows, [unit.path])[unit.path]


# ------------------------------------------------------------------ results


@dataclass
class OptionStat:
    label: str
    count: int
    share: Decimal | None  # of the respondents who answered the question
    counts_yes: bool = False


@dataclass
class QuestionStat:
    question: Question
    answered: int
    options: list[OptionStat]
    texts: list[str] = field(default_factory=list)
    average: Decimal | None = None  # rating questions
    rate: Rate | None = None  # questions with a measure


@dataclass
class AreaRow:
    unit_id: int
    name: str
    target: int | None
    responses: int
    rates: dict[str, Rate]

    @property
    def progress(self) -> int | None:
        """Per cent of the quota reached (capped at 100 for the bar)."""
        if not self.target:
            return None
        return min(100, round(self.responses * 100 / self.target))

    @property
    def quota_met(self) -> bool:
        return bool(self.target) and self.responses >= (self.target or 0)


@dataclass
class SurveyResults:
    survey: Survey
    respondents: int
    by_mode: dict[str, int]
    measures: list[tuple[str, str, Rate]]  # (measure, label, overall rate)
    questions: list[QuestionStat]
    areas: list[AreaRow]
    quota_total: int
    no_area: int  # responses without an area

    @property
    def quota_progress(self) -> int | None:
        if not self.quota_total:
            return None
        counted = sum(min(a.responses, a.target or 0) for a in self.areas if a.target)
        return round(counted * 100 / self.quota_total)


def _share(count: int, total: int) -> Decimal | None:
    return (Decimal(count) / total).quantize(Decimal("0.0001")) if total else None


def quota_rows(survey: Survey) -> list[AreaRow]:
    """Quota areas first (in tree order) with their counts, then other areas that have responses."""
    counts = dict(
        Response.objects.filter(survey=survey, unit__isnull=False).values_list("unit_id").annotate(n=Count("id")).order_by()
    )
    rows = []
    seen = set()
    for quota in survey.quotas.select_related("unit").order_by("unit__path"):
        rows.append(AreaRow(quota.unit_id, quota.unit.name, quota.target, counts.get(quota.unit_id, 0), {}))
        seen.add(quota.unit_id)
    extra = [pk for pk in counts if pk not in seen]
    for unit in Unit.objects.filter(pk__in=extra).order_by("path"):
        rows.append(AreaRow(unit.pk, unit.name, None, counts[unit.pk], {}))
    return rows


def survey_results(survey: Survey) -> SurveyResults:
    """Everything the results page, the PDF and the export summary show, computed once."""
    questions = survey_questions(survey)
    by_mode = dict(Response.objects.filter(survey=survey).values_list("mode").annotate(n=Count("id")).order_by())
    respondents = sum(by_mode.values())

    option_counts = Counter(
        Answer.objects.filter(response__survey=survey, option__isnull=False).values_list("option_id", flat=True)
    )
    answered = dict(
        Answer.objects.filter(response__survey=survey).values_list("question_id")
        .annotate(n=Count("response_id", distinct=True)).order_by()
    )
    ratings: dict[int, Counter] = defaultdict(Counter)
    for qid, rating in Answer.objects.filter(response__survey=survey, rating__isnull=False).values_list("question_id", "rating"):
        ratings[qid][rating] += 1
    texts: dict[int, list[str]] = defaultdict(list)
    for qid, text in Answer.objects.filter(response__survey=survey, question__kind=QuestionKind.TEXT).exclude(text="").order_by(
        "-response__submitted_at"
    ).values_list("question_id", "text")[:2000]:
        if len(texts[qid]) < 50:
            texts[qid].append(text)

    measures = survey_measures(survey)
    rows_by_measure = {m: measure_rows(survey, m) for m in measures}
    per_question_rows: dict[int, list] = defaultdict(list)
    for rows in rows_by_measure.values():
        for rid, qid, yes, _ in rows:
            per_question_rows[qid].append((rid, qid, yes))

    stats = []
    for question in questions:
        n = answered.get(question.pk, 0)
        if question.kind == QuestionKind.RATING:
            dist = ratings.get(question.pk, Counter())
            options = [OptionStat(f"{score}分", dist.get(score, 0), _share(dist.get(score, 0), n), score >= question.yes_min_rating)
                       for score in range(5, 0, -1)]
            total = sum(score * c for score, c in dist.items())
            average = (Decimal(total) / n).quantize(Decimal("0.01")) if n else None
        else:
            options = [OptionStat(o.text, option_counts.get(o.pk, 0), _share(option_counts.get(o.pk, 0), n), o.counts_yes)
                       for o in question.options.all()]
            average = None
        stats.append(QuestionStat(
            question=question, answered=n, options=options, texts=texts.get(question.pk, []), average=average,
            rate=count_rate(per_question_rows[question.pk]) if question.measure else None,
        ))

    areas = quota_rows(survey)
    paths = dict(Unit.objects.filter(pk__in=[a.unit_id for a in areas]).values_list("pk", "path"))
    for measure, rows in rows_by_measure.items():
        # An area row counts its own responses only (quota areas are communities/villages).
        by_unit: dict[str, list] = defaultdict(list)
        for rid, qid, yes, path in rows:
            by_unit[path].append((rid, qid, yes))
        for area in areas:
            area.rates[measure] = count_rate(by_unit.get(paths.get(area.unit_id, "?"), ()))
    labels = dict(Measure.choices)
    return SurveyResults(
        survey=survey,
        respondents=respondents,
        by_mode={ResponseMode(k).label: v for k, v in by_mode.items()},
        measures=[(m, labels[m], count_rate((r, q, y) for r, q, y, _ in rows_by_measure[m])) for m in measures],
        questions=stats,
        areas=areas,
        quota_total=sum(a.target or 0 for a in areas),
        no_area=Response.objects.filter(survey=survey, unit__isnull=True).count(),
    )


# ------------------------------------------------------------------ the score


@dataclass(frozen=True)
class SurveyScoreLine:
    """One survey's effect on one unit's month: ``points`` is signed (≤ 0, the part of the score lost)."""

    unit_id: int
    indicator_id: int
    indicator_code: str
    survey_id: int
    label: str
    points: Decimal


def survey_score_lines(*, campaign: Campaign, month: dt.date, unit_ids: set[int]) -> list[SurveyScoreLine]:
    """Score lines for ``unit_ids`` from the surveys of ``campaign`` scored in ``month``.

    A unit gets a line per rule when its area (the unit and everything below it) has respondents;
    see ``surveys/rates.py`` for the rule. Drafts do not count; open and closed surveys do (an open
    survey's month moves as answers come in, until the month is published and frozen).
    """
    rules = list(
        ScoringRule.objects.filter(survey__campaign=campaign, survey__score_month=month_start(month))
        .exclude(survey__status="draft").select_related("survey", "indicator").order_by("indicator__order", "indicator__code", "pk")
    )
    if not rules or not unit_ids:
        return []
    unit_rows = list(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path", "unit_type"))
    units = {pk: path for pk, path, _ in unit_rows}
    unit_types = {pk: utype for pk, _, utype in unit_rows}
    lines: list[SurveyScoreLine] = []
    cache: dict[tuple[int, str], list] = {}
    for rule in rules:
        key = (rule.survey_id, rule.measure)
        if key not in cache:
            cache[key] = measure_rows(rule.survey, rule.measure)
        by_path = rates_by_area(cache[key], units.values())
        ind, survey = rule.indicator, rule.survey
        label_measure = Measure(rule.measure).label
        for unit_id, path in units.items():
            rate = by_path[path]
            if not rate.respondents or (ind.applicable_unit_types and unit_types[unit_id] not in ind.applicable_unit_types):
                continue
            head = f"问卷调查《{survey.title}》{label_measure}"
            if rate.respondents < rule.min_respondents:
                lines.append(SurveyScoreLine(
                    unit_id, ind.pk, ind.code, survey.pk,
                    f"{head}：受访{rate.respondents}人，少于{rule.min_respondents}人，本月不计分（指标{ind.code}）", Decimal("0.00"),
                ))
                continue
            earned = rate_points(method=rule.method, rate=rate.value, score=ind.score, target=rule.target)
            lost = q2(ind.score - earned)
            how = f"达到{rule.target * 100:.0f}%得满分" if rule.method == "threshold" else "按比例计分"
            lines.append(SurveyScoreLine(
                unit_id, ind.pk, ind.code, survey.pk,
                f"{head}{rate.percent}（受访{rate.respondents}人，{how}）：指标{ind.code}“{ind.name}”分值{ind.score}分，"
                f"计{earned}分",
                -lost,
            ))
    return lines
