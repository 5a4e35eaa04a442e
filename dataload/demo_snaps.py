"""Demo part: 随手拍 — residents' reports in every state, at the places the seed names.

The seed's 三规范 (占道经营、车辆停放、户外广告) and 九整治 (背街小巷、农贸市场、建筑工地 …) are what
residents photograph: the categories map to those standards. Ten reports in November 2026 (October is
published and frozen): three wait for the office (已受理), two were filed as findings and are being
rectified (处理中), two were rectified and accepted with after-photos (已办结), one was declined with a
reason, one was merged into an earlier report of the same problem, one filed without GPS (typed place).
Every step goes through ``snaps.services`` and ``inspections.services``, as on the pages; the times are
moved back to the story's dates with plain updates, as the core demo does.

Query codes are random in real life; here they are derived from the story (so two runs give the same
rows and a demo script can name one: ``PZJ2SH6P8KQ3`` is the 坡子街 report that is done).
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from campaign.models import AuditLog, Campaign, InspectionPoint, SourceLevel
from inspections import services as inspection_services
from inspections.models import Finding, Inspection
from snaps import services
from snaps.models import Snap, SnapCategory, SnapRule

from .demo import _official_for, at, demo_photo

# name, hint, indicator code
CATEGORIES = [
    ("占道经营", "流动摊贩、店外经营、马路市场", "1.5.2"),
    ("垃圾乱堆", "暴露垃圾、卫生死角、垃圾未清运", "1.1.2"),
    ("乱张贴“牛皮癣”", "小广告、乱涂乱画", "1.1.3"),
    ("车辆乱停放", "占用人行道、盲道停车", "2.1.1"),
    ("公厕脏乱", "无人保洁、设施损坏、有异味", "1.2.3"),
    ("店招破损", "店牌店招破损、违规设置", "1.3.4"),
    ("工地围挡不规范", "围挡破损、渣土外溢", "1.4.1"),
]

# code, day, hour, category, point name (or None), typed place, description, phone, outcome
#   outcome: pending | filed | done | declined:<reason> | merged:<code>
REPORTS = [
    ("PZJ2SH6P8KQ3", dt.date(2026, 11, 9), 8, "占道经营", "坡子街商圈", "坡子街89号门口",
     "早上七点多坡子街89号门口水果摊摆到人行道上，行人只能走机动车道。", "13907961234", "done"),
    ("KAN3MKT5RW7C", dt.date(2026, 11, 11), 17, "占道经营", "口岸农贸市场", "口岸农贸市场东门",
     "农贸市场东门外一排菜摊占道经营，下班时间堵得走不动。", "", "filed"),
    ("KAN4MKT6TX8D", dt.date(2026, 11, 12), 7, "占道经营", "口岸农贸市场", "口岸路12号",
     "口岸路市场门口又有人在路边卖菜，和前两天一样。", "", "merged:KAN3MKT5RW7C"),
    ("CDN5WC7HJ2EF", dt.date(2026, 11, 14), 10, "公厕脏乱", "人民路公厕", "人民路120号旁公厕",
     "人民路公厕男厕洗手池坏了好几天，地面有积水，没看到保洁员。", "", "done"),
    ("ZSX6AD9NB3GH", dt.date(2026, 11, 18), 15, "乱张贴“牛皮癣”", "中山路步行街", "中山路88号附近",
     "步行街电线杆和配电箱上贴满了开锁、办证的小广告。", "", "filed"),
    ("PZJ7CAR2MC4J", dt.date(2026, 11, 20), 9, "车辆乱停放", None, "坡子街老街与兴业路交叉口",
     "路口盲道上停了好几辆电动车，盲人根本过不去。", "13607962345", "pending"),
    ("CXN8TRS3PD5K", dt.date(2026, 11, 22), 19, "垃圾乱堆", "城西农贸市场", "建设路201号市场后门",
     "市场后门垃圾桶满了溢到地上，两天没人清运，味道很大。", "", "pending"),
    ("FHX9SGN4QE6M", dt.date(2026, 11, 24), 11, "店招破损", None, "凤凰路一家餐馆",
     "凤凰路上一家餐馆的招牌掉了一半，挂在门头上很危险。", "", "pending"),
    ("MYS2PVT5RF7N", dt.date(2026, 11, 25), 21, "垃圾乱堆", None, "我家小区楼道里",
     "邻居在自家楼道里堆了很多纸箱杂物。", "", "declined:经核查，该处为小区楼道内部，属物业管理范围，已转告所在社区协调物业处理；不属于本次创建公共区域问题。"),
    ("CDN3MKT8SG9P", dt.date(2026, 11, 26), 7, "占道经营", "城东农贸市场", "解放路56号",
     "城东农贸市场门口早市摆摊占了半条解放路。", "", "filed"),
]
RECTIFIED = {  # code → (submitted day, accepted day, what the unit did)
    "PZJ2SH6P8KQ3": (dt.date(2026, 11, 11), dt.date(2026, 11, 12), "已约谈店主，水果摊退回店内经营，门前设置经营边界线，城管中队每日早晚巡查。"),
    "CDN5WC7HJ2EF": (dt.date(2026, 11, 16), dt.date(2026, 11, 17), "已更换洗手池龙头和下水管，安排专职保洁员每两小时保洁一次，张贴保洁记录表。"),
}
# Where the phone reported from (those reports given with GPS): a few metres off the point.
OFFSET = Decimal("0.000300")


def wipe(campaign: Campaign) -> None:
    snap_ids = [str(pk) for pk in Snap.objects.filter(campaign=campaign).values_list("pk", flat=True)]
    AuditLog.objects.filter(object_type="snaps.Snap", object_id__in=snap_ids).delete()
    Snap.objects.filter(campaign=campaign, merged_into__isnull=False).delete()
    Snap.objects.filter(campaign=campaign).delete()
    SnapCategory.objects.filter(campaign=campaign).delete()
    SnapRule.objects.filter(campaign=campaign).delete()


def build(demo: Any) -> None:
    campaign = demo.campaign
    admin, ducha = demo.users["chuangjianban"], demo.users["ducha"]
    SnapRule.objects.create(campaign=campaign, deducts=True, source_level=SourceLevel.CITY)
    categories = {
        name: SnapCategory.objects.create(campaign=campaign, name=name, hint=hint, indicator=demo.indicators[code], order=i)
        for i, (name, hint, code) in enumerate(CATEGORIES, start=1)
    }
    points = {p.name: p for p in InspectionPoint.objects.filter(name__in=[r[4] for r in REPORTS if r[4]]).select_related("unit")}
    snaps: dict[str, Snap] = {}
    for n, (code, day, hour, category, point_name, place, text, phone, outcome) in enumerate(REPORTS):
        point = points.get(point_name) if point_name else None
        lat = point.latitude + OFFSET if point is not None and point.latitude is not None else None
        lng = point.longitude - OFFSET if point is not None and point.longitude is not None else None
        snap = services.snap_submit(
            campaign=campaign, category=categories[category], description=text, place=place, latitude=lat, longitude=lng,
            point=point, phone=phone, photos=[demo_photo(f"{place} {category}", colour=(150, 110, 70 + 15 * n), name="随手拍.jpg")],
            client_token=uuid.uuid5(uuid.NAMESPACE_URL, f"chuangwen-demo-snap-{code}"),
        )
        Snap.objects.filter(pk=snap.pk).update(code=code, created_at=at(day, hour, 5))
        snap.refresh_from_db()
        snaps[code] = snap
        triaged = at(day + dt.timedelta(days=1), 9, 30)
        if outcome in ("filed", "done"):
            finding = services.snap_file(
                actor=ducha, snap=snap, indicator=categories[category].indicator, point=point,
                description=f"【群众随手拍】{text}", today=day + dt.timedelta(days=1),
            )
            Snap.objects.filter(pk=snap.pk).update(triaged_at=triaged)
            # The finding and its 群众随手拍 inspection were recorded at the triage, not when the demo was loaded.
            Finding.objects.filter(pk=finding.pk).update(created_at=triaged)
            Inspection.objects.filter(pk=finding.inspection_id, created_at__gt=triaged).update(created_at=triaged)
            if outcome == "done":
                submitted, accepted, done_text = RECTIFIED[code]
                rect = inspection_services.rectification_submit(
                    official=_official_for(finding.unit, demo.users, admin), finding=finding, description=done_text,
                    after_photos=[demo_photo(f"{place} 整改后", colour=(60, 140, 90), name="整改后.jpg")],
                    at=at(submitted, 16),
                )
                inspection_services.rectification_review(reviewer=ducha, rectification=rect, accept=True,
                                                         comment="现场复核整改到位，同意销号。", at=at(accepted, 10))
        elif outcome.startswith("declined:"):
            services.snap_decline(actor=admin, snap=snap, reason=outcome.split(":", 1)[1])
            Snap.objects.filter(pk=snap.pk).update(triaged_at=triaged)
        elif outcome.startswith("merged:"):
            services.snap_merge(actor=ducha, snap=snap, into=snaps[outcome.split(":", 1)[1]])
            Snap.objects.filter(pk=snap.pk).update(triaged_at=triaged)
    demo.log(f"随手拍 {len(snaps)} 条（待处理 3、处理中 3、已办结 2、不予受理 1、合并 1）")
