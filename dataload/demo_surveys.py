"""Demo part: 问卷调查 — the 知晓率 survey behind indicator 4.2.3, finished, and one survey still open.

The demo's task "组织创建知晓率问卷调查" (4.2.3 创建知晓率, target 90%: 群众对创建工作的知晓率、支持率、
满意率达到90%以上) gets its survey: 20 respondents per community and village (the quota), asked door
to door by 督查组 and the streets' liaison officers, a few by QR code; 知晓率 lands near the 90% target
and differs per area (so November's scores of the 社区组 and the streets show a survey line each).
It scores November 2026 (October is published and frozen). The second survey, on the seed's
文明素质提升行动 (篇四), is open with a few answers, so its quota progress shows.

Answers go through ``surveys.services.response_submit`` like the pages'; the submission times are
then moved back to the survey's dates with a plain update, as the core demo does for its story.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from campaign.models import Campaign
from surveys import services
from surveys.models import QuestionKind, Response, ResponseMode, ScoreMethod, Survey, SurveyStatus

TITLE = "泰和市创建全国文明城市群众知晓率、支持率、满意度调查"
OPEN_TITLE = "市民文明素质提升行动满意度调查"
PER_AREA = 20
# Share of respondents who know of the campaign, per area (the 90% target is reached in some, not all).
AWARE = {
    "迎春社区": 19, "东风社区": 18, "新明社区": 17, "春江社区": 18, "惠泉社区": 19, "永安社区": 16,
    "凤凰社区": 20, "坡子街社区": 18, "芦洲村": 17, "南坝村": 18, "杨源村": 16,
}
# Who asked door to door in each area: the street's liaison officer where the demo has one, else 督查组.
INTERVIEWER = {
    "迎春社区": "chengdong", "东风社区": "chengdong", "新明社区": "kouan", "春江社区": "kouan", "惠泉社区": "chengxi",
    "永安社区": "chengxi", "凤凰社区": "chengbei", "坡子街社区": "pozijie", "芦洲村": "luzhou", "南坝村": "nanba",
    "杨源村": "yangyuan",
}
PUBLIC_PER_AREA = 3  # of the 20, answered by scanning the poster's QR code
SUGGESTIONS = [
    "希望背街小巷的垃圾能清运得更及时。", "农贸市场周边占道经营还比较多。", "建议多组织一些志愿服务活动。",
    "宣传栏内容可以更新得更勤一些。", "小区里的公益广告很醒目，希望保持。", "", "", "",
]


def wipe(campaign: Campaign) -> None:
    Survey.objects.filter(campaign=campaign).delete()


def _questions(survey: Survey, indicator: Any, admin: Any) -> dict[str, Any]:
    q = {
        "aware": services.question_add(
            survey=survey, kind=QuestionKind.SINGLE, text="您是否知道我市正在创建全国文明城市？", measure="aware",
            indicator=indicator, options_text="*知道\n不知道", actor=admin),
        "support": services.question_add(
            survey=survey, kind=QuestionKind.SINGLE, text="您是否支持创建全国文明城市工作？", measure="support",
            indicator=indicator, options_text="*支持\n无所谓\n不支持", actor=admin),
        "satisfied": services.question_add(
            survey=survey, kind=QuestionKind.RATING, text="您对所在社区（村）的环境卫生和市容秩序满意吗？",
            measure="satisfied", indicator=indicator, actor=admin),
        "channels": services.question_add(
            survey=survey, kind=QuestionKind.MULTIPLE, text="您主要通过哪些渠道了解创建工作？（可多选）",
            options_text="宣传栏、公益广告\n社区（村）宣传活动\n电视、广播\n微信、网络\n其他", actor=admin),
        "advice": services.question_add(
            survey=survey, kind=QuestionKind.TEXT, text="您对创建工作有什么意见和建议？", required=False, actor=admin),
    }
    return q


def _answers(q: dict[str, Any], *, aware: bool, rng: Any) -> dict[int, Any]:
    opts = {key: list(question.options.all()) for key, question in q.items()}
    support = opts["support"][0] if (aware and rng.random() < 0.95) or rng.random() < 0.6 else opts["support"][1]
    rating = rng.choice([5, 5, 4, 4, 4, 3]) if aware else rng.choice([4, 3, 3, 2])
    channels = rng.sample(opts["channels"][:4], k=rng.choice([1, 2, 2, 3])) if aware else [opts["channels"][4]]
    return {
        q["aware"].pk: opts["aware"][0 if aware else 1].pk,
        q["support"].pk: support.pk,
        q["satisfied"].pk: rating,
        q["channels"].pk: [o.pk for o in channels],
        q["advice"].pk: rng.choice(SUGGESTIONS),
    }


def _device(label: str) -> str:
    return hashlib.sha256(f"demo-device:{label}".encode()).hexdigest()[:32]


def _at(day: dt.date, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=minute))


def build(demo: Any) -> None:
    campaign, units, users, rng, log = demo.campaign, demo.units, demo.users, demo.rng, demo.log
    admin = users["chuangjianban"]
    indicator = demo.indicators["4.2.3"]

    # The dates are set once the answers are in: the services refuse answers outside them, and the
    # story's dates (October–November 2026) need not be today's.
    opens_on, closes_on = dt.date(2026, 10, 20), dt.date(2026, 11, 10)
    survey = Survey.objects.create(
        campaign=campaign, title=TITLE, created_by=admin, score_month=dt.date(2026, 11, 1),
        intro="为了解群众对创建全国文明城市工作的知晓、支持和满意程度，市创建办组织开展本次调查。问卷匿名填写，约需2分钟。",
    )
    q = _questions(survey, indicator, admin)
    for name in AWARE:
        services.quota_set(survey=survey, unit=units[name], target=PER_AREA, actor=admin)
    services.rule_set(survey=survey, actor=admin, indicator=indicator, measure="aware", method=ScoreMethod.THRESHOLD,
                      target=Decimal("0.90"), min_respondents=10)
    services.survey_set_status(survey=survey, status=SurveyStatus.OPEN, actor=admin)
    days = (closes_on - opens_on).days
    for a, (name, aware_count) in enumerate(AWARE.items()):
        for i in range(PER_AREA):
            public = i < PUBLIC_PER_AREA
            done = services.response_submit(
                survey=survey, answers=_answers(q, aware=i >= PER_AREA - aware_count, rng=rng),
                mode=ResponseMode.PUBLIC if public else ResponseMode.INTERVIEW, submission_key=f"demo-{a}-{i}",
                unit=units[name], interviewer=None if public else users[INTERVIEWER[name]],
                device=_device(f"{a}-{i}") if public else None,
            )
            day = opens_on + dt.timedelta(days=(a * 2 + i // 7) % (days + 1))
            Response.objects.filter(pk=done.response.pk).update(submitted_at=_at(day, i * 11))
    services.survey_set_status(survey=survey, status=SurveyStatus.CLOSED, actor=admin)
    Survey.objects.filter(pk=survey.pk).update(opens_on=opens_on, closes_on=closes_on)

    other = Survey.objects.create(
        campaign=campaign, title=OPEN_TITLE, created_by=admin,
        intro="文明素质提升行动开展以来，您身边的文明新风有变化吗？请花1分钟告诉我们。",
    )
    oq = {
        "satisfied": services.question_add(survey=other, kind=QuestionKind.RATING, text="您对身边文明交通、文明排队等情况满意吗？",
                                           measure="satisfied", actor=admin),
        "seen": services.question_add(survey=other, kind=QuestionKind.SINGLE, text="近一个月您是否参加过志愿服务活动？",
                                      options_text="参加过\n没有参加过", actor=admin),
    }
    for name in ("迎春社区", "新明社区"):
        services.quota_set(survey=other, unit=units[name], target=30, actor=admin)
    services.survey_set_status(survey=other, status=SurveyStatus.OPEN, actor=admin)
    for i in range(11):
        name = "迎春社区" if i < 7 else "新明社区"
        seen = list(oq["seen"].options.all())
        done = services.response_submit(
            survey=other, answers={oq["satisfied"].pk: rng.choice([5, 4, 4, 3]), oq["seen"].pk: seen[i % 2].pk},
            mode=ResponseMode.INTERVIEW, submission_key=f"demo-open-{i}", unit=units[name], interviewer=users["ducha"],
        )
        Response.objects.filter(pk=done.response.pk).update(submitted_at=_at(dt.date(2026, 11, 21 + i % 6), i * 7))
    Survey.objects.filter(pk=other.pk).update(opens_on=dt.date(2026, 11, 20), closes_on=dt.date(2026, 12, 20))
    total = sum(AWARE.values())
    log(f"问卷调查 2 份：《{TITLE}》已结束，{len(AWARE) * PER_AREA} 份答卷，知晓率 "
        f"{Decimal(total * 100) / (len(AWARE) * PER_AREA):.2f}%；《{OPEN_TITLE}》进行中，11 份答卷")
