"""Demo part: 材料审核 — a city halfway to 迎检.

Every standard of the demo's 测评体系 assessed by 材料审核 gets a 申报要求 (items from what the seed
documents ask units to keep: 工作方案, 会议记录, 活动照片, 台账 …), due in the 巩固迎检阶段 (seed
篇三: 完善档案资料，做好各项迎检准备). The units with a demo liaison officer submit part of it through
the same services the pages use (some items accepted, some waiting for review, some sent back as
需补充), linking their existing task evidence where they have it; the rest is missing, and the
standards due on 2026-11-20 show as overdue on the demo's today (2026-11-29).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from campaign.models import Campaign
from materials import services
from materials.models import MaterialScore, MaterialSettings, Requirement, ReviewStatus, Submission
from tasks.models import Evidence

# Items per standard (code → lines as the requirement form takes them); others get DEFAULT_ITEMS.
ITEMS = {
    "2.3.2": "年度拆违计划\n拆除台账|1|注明地点、面积、拆除日期\n拆除前后对比照片 ≥ 4 张",
    "2.4.1": "值班巡逻制度\n巡逻记录台账\n群防群治活动照片 ≥ 3 张",
    "3.3.1": "志愿服务队伍名册\n注册志愿者统计表|1|注册人数占常住人口比例\n活动照片 ≥ 5 张",
    "3.3.2": "志愿服务时长统计表\n活动照片 ≥ 5 张",
    "4.1.2": "道德讲堂活动方案\n季度活动记录|4|每季度至少一次\n活动照片 ≥ 4 张",
    "4.1.3": "文明实践站建设方案\n活动记录台账\n活动照片 ≥ 3 张",
    "5.1.2": "评选工作方案\n文明家庭名单及事迹材料\n表彰文件",
}
DEFAULT_ITEMS = "工作方案\n会议记录\n活动照片 ≥ 3 张\n工作台账"
# The units that answer in the demo (those with a liaison officer account), by type of standard.
SUBMITTING = ["城东街道", "口岸街道", "城西街道", "城北街道", "坡子街街道", "芦洲乡", "南坝乡", "杨源乡"]
OFFICIALS = {"城东街道": "chengdong", "口岸街道": "kouan", "城西街道": "chengxi", "城北街道": "chengbei",
             "坡子街街道": "pozijie", "芦洲乡": "luzhou", "南坝乡": "nanba", "杨源乡": "yangyuan"}
EARLY, LATE = dt.date(2026, 11, 20), dt.date(2026, 12, 15)


def _pdf(title: str) -> SimpleUploadedFile:
    """A one-line PDF standing in for a scanned document (the demo needs no real scans)."""
    body = f"BT /F1 12 Tf 72 720 Td ({title.encode('unicode_escape').decode()}) Tj ET".encode()
    content = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(body)}>>stream\n".encode() + body + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(f"{title}.pdf", content, content_type="application/pdf")


def build(demo: Any) -> None:
    from .demo import demo_photo

    campaign, units, users, rng = demo.campaign, demo.units, demo.users, demo.rng
    admin = users["chuangjianban"]
    phase = campaign.phases.filter(name="巩固迎检阶段").first()
    MaterialSettings.objects.update_or_create(campaign=campaign, defaults={"inspectors_review": True})
    standards = [i for code, i in sorted(demo.indicators.items()) if i.level == 3 and i.method == "material"]
    photo = demo_photo("迎检材料 活动照片", colour=(90, 110, 150), name="活动照片.jpg")
    reviews = 0
    for n, indicator in enumerate(standards):
        applicable = [units[name] for name in SUBMITTING if name in units and indicator.applies_to(units[name].unit_type)]
        chosen = [u for u in [indicator.lead_unit, *applicable] if u is not None]
        requirement = services.requirement_save(
            user=admin, campaign=campaign, indicator=indicator, deadline=EARLY if n % 2 == 0 else LATE, phase=phase,
            items=services.parse_items(ITEMS.get(indicator.code, DEFAULT_ITEMS)), units=list(dict.fromkeys(chosen)),
            note="请按清单报送，照片须有时间和地点，扫描件须清晰可辨。",
        )
        for unit in requirement.units.all():
            official = users.get(OFFICIALS.get(unit.name, ""))
            if official is None:
                continue  # no liaison account in the demo: its materials stay missing
            evidence = list(Evidence.objects.filter(entry__task__unit=unit, entry__task__campaign=campaign).values_list("pk", flat=True)[:1])
            share = rng.random()  # how far this unit got with this standard
            for k, item in enumerate(requirement.items.all()):
                if share < 0.25 or (share < 0.6 and k >= 2):
                    continue  # not sent yet
                files = [photo] if "照片" in item.name else [_pdf(f"{unit.name}{item.name}")]
                sub, _ = services.submission_create(
                    item=item, unit=unit, user=official, text=f"{unit.name}{item.name}，请审核。", files=files,
                    evidence_ids=evidence if "照片" in item.name else [],
                )
                outcome = rng.random()
                if outcome < 0.55:
                    services.submission_review(submission=sub, user=admin, status=ReviewStatus.ACCEPTED)
                elif outcome < 0.7:
                    services.submission_review(submission=sub, user=admin, status=ReviewStatus.SUPPLEMENT,
                                               comment="照片数量不足，缺少活动现场全景照片，请补充。" if "照片" in item.name
                                               else "缺少盖章页和落款日期，请补充完整扫描件。")
                reviews += 1
            if share > 0.85:
                services.score_set(requirement=requirement, unit=unit, user=admin, passed=True, scored_on=dt.date(2026, 11, 25))
    # The services stamp "now"; the story happens in November 2026.
    Submission.objects.filter(item__requirement__campaign=campaign).update(submitted_at=demo_at(dt.date(2026, 11, 10)))
    Submission.objects.filter(item__requirement__campaign=campaign, reviewed_at__isnull=False).update(
        reviewed_at=demo_at(dt.date(2026, 11, 18))
    )
    demo.log(f"材料审核：{len(standards)} 项测评标准的申报要求，{reviews} 份材料报送")


def demo_at(day: dt.date) -> dt.datetime:
    from .demo import at

    return at(day)


def wipe(campaign: Campaign) -> None:
    MaterialScore.objects.filter(requirement__campaign=campaign).delete()
    Submission.objects.filter(item__requirement__campaign=campaign).delete()
    Requirement.objects.filter(campaign=campaign).delete()
    MaterialSettings.objects.filter(campaign=campaign).delete()
