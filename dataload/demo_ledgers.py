"""The demo's 工作台账, and the tasks that take their progress from them.

Where the figures come from (honesty first):

- 芦洲乡 (篇一, the township's own summary): 志愿服务队伍 65 人 = 全乡人口的 1.4% (so about 4,650
  residents, the figure ``demo_data.UNIT_RESIDENTS`` already uses), 90 人次 (63 of the 65 took part:
  the seed's “占注册志愿者总人数的97%”), 184 小时 (184 ÷ 90 = 2.0: the seed's “人均2小时”);
  宣传栏 7 个 covering every village; 81 户县级文明家庭; its two 动员大会. The split of the 65 between
  the township and 芦洲村, who did how many hours, and where each 宣传栏 stands are the demo's.
- 爱国卫生 (篇: a county's 国家卫生县城 summary, not 芦洲乡's): 参加活动 44,308 人, 清除积水容器
  8,677 处, 清理露天轮胎 1,983 处, 卫生死角 3,241 处, 召开会议 24 场, 举办培训班 22 场 1,200 余人
  (recorded here as 1,200). The demo files them under 市卫健委 (where a 爱卫办 sits), split into four
  monthly “六清” rounds and 22 / 24 sessions whose dates and sizes are the demo's.
- Every other unit's ledgers are demo settings, not from the documents. Where a unit has a task whose
  target the ledger measures (宣传栏, 文明家庭, 社区志愿服务队), the ledger holds exactly the progress the
  core story reported, and the task is then switched to take its value from the ledger, so no figure
  on any page moves. 南坝乡's 宣传栏 all stand in the 集镇: 南坝村 shows as the one village without one.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from campaign.models import Campaign, Unit
from ledgers import services as ledger_services
from ledgers.kinds import KINDS
from ledgers.models import (
    Board, BoardKind, BoardPhoto, Family, FamilyLevel, Honour, HonourLevel, HygieneActivity, Meeting, MeetingKind,
    MeetingPhoto, Population, Volunteer,
)
from tasks import selectors as task_selectors
from tasks.models import Task

from . import demo_data as data
from .demo import demo_photo

SEED = 20261130
SEED_TOWNSHIP = "芦洲乡"
HYGIENE_UNIT = "市卫健委"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国 秀英 桂英 志强 海燕 红梅 晓燕 丽华 春生 冬梅 国华 玉兰 明亮 小平 金凤 德胜 爱华 文杰 秋菊 永红 卫东 淑珍 水根 建华 雪梅 福生 美玲 俊杰 长生 翠花".split()
BOARD_SITES = ("政府大院", "集镇农贸市场", "中心小学门口", "文化广场", "卫生院门口", "主干道路口", "便民服务中心", "汽车站", "街心公园", "老街入口")

# The 宣传栏 / 文明家庭 / 社区志愿服务队 tasks fed by the ledger once it holds their progress.
FED = {
    "新建乡村（社区）宣传栏": "boards",
    "评选县级文明家庭": "families",
    "组建社区志愿服务队": "volunteers",
}
FAMILY_UNITS = ("芦洲乡", "南坝乡", "杨源乡")  # townships whose 文明家庭 task is fed (streets keep theirs by entries)


def wipe(campaign: Campaign) -> None:
    for photo in [*BoardPhoto.objects.filter(board__campaign=campaign), *MeetingPhoto.objects.filter(meeting__campaign=campaign)]:
        photo.file.delete(save=False)
    BoardPhoto.objects.filter(board__campaign=campaign).delete()
    MeetingPhoto.objects.filter(meeting__campaign=campaign).delete()
    for model in (Board, Family, Meeting, Honour, HygieneActivity, Volunteer, Population):
        model.objects.filter(campaign=campaign).delete()


def _names(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    names = []
    while len(names) < n:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name in taken:
            name = f"{name}（{len(taken) % 9 + 1}组）"
        if name in taken:
            continue
        taken.add(name)
        names.append(name)
    return names


def _progress(campaign: Campaign, title: str) -> dict[str, Decimal]:
    """Each unit's current progress (from its entries) on the tasks titled ``title``."""
    tasks = task_selectors.with_progress(Task.objects.filter(campaign=campaign, title=title)).select_related("unit")
    return {t.unit.name: t.progress_value or Decimal("0") for t in tasks}


def _villages(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(path__startswith=unit.path, unit_type__in=("village", "community"), is_active=True).order_by("path"))


def _populations(campaign: Campaign, units: dict[str, Unit]) -> None:
    rows = []
    for name, residents in data.UNIT_RESIDENTS.items():
        source = ("由源文件推算：志愿服务队伍65人占全乡总人数的1.4%" if name == SEED_TOWNSHIP else "演示设定（非源文件数据）")
        rows.append(Population(campaign=campaign, unit=units[name], residents=residents, source=source))
    Population.objects.bulk_create(rows)


def _seed_volunteers(campaign: Campaign, units: dict[str, Unit], village_count: int, rng: random.Random, taken: set[str]) -> None:
    """芦洲乡: 65 volunteers (the village keeps ``village_count`` of them), 63 took part, 90 人次, 184 小时."""
    names = _names(rng, 65, taken)
    times = [2] * 27 + [1] * 36 + [0] * 2  # 27 × 2 + 36 = 90 人次 by 63 volunteers
    hours = [Decimal(2 * t) for t in times]  # 2 小时 per 人次 = 180 …
    for i in range(4):
        hours[i] += 1  # … and four longer turns: 184
    rows = []
    for i, name in enumerate(names):
        in_village = i >= 65 - village_count
        unit = units["芦洲村"] if in_village else units[SEED_TOWNSHIP]
        team = "芦洲村志愿服务队" if in_village else ("芦洲乡青年志愿服务队" if i % 2 else "芦洲乡巾帼志愿服务队")
        rows.append(Volunteer(
            campaign=campaign, unit=unit, name=name, team=team, activity_count=times[i], hours=hours[i],
            registered_on=dt.date(2026, 5, 6) + dt.timedelta(days=i % 20),
        ))
    Volunteer.objects.bulk_create(rows)


def _volunteers(campaign: Campaign, units: dict[str, Unit], rng: random.Random) -> None:
    taken: set[str] = set()
    community = _progress(campaign, "组建社区志愿服务队")
    _seed_volunteers(campaign, units, int(community.get("芦洲村", 0)), rng, taken)
    rows = []
    for name, count in community.items():
        if name == "芦洲村":
            continue
        team = f"{units[name].display_name}志愿服务队"
        for volunteer in _names(rng, int(count), taken):
            times = rng.choice((0, 1, 1, 2, 2, 3))
            rows.append(Volunteer(
                campaign=campaign, unit=units[name], name=volunteer, team=team, activity_count=times,
                hours=Decimal(times * rng.choice((2, 2, 3))), registered_on=dt.date(2026, 5, 10) + dt.timedelta(days=rng.randint(0, 50)),
            ))
    # The streets' and the other townships' own teams (not fed to any task).
    for name in ("城东街道", "口岸街道", "城西街道", "城北街道", "坡子街街道", "南坝乡", "杨源乡"):
        team = f"{units[name].display_name}新时代文明实践志愿服务队"
        for volunteer in _names(rng, rng.randint(15, 40), taken):
            times = rng.choice((0, 1, 2, 2, 3, 4))
            rows.append(Volunteer(
                campaign=campaign, unit=units[name], name=volunteer, team=team, activity_count=times,
                hours=Decimal(times * rng.choice((2, 3, 4))), registered_on=dt.date(2026, 5, 15) + dt.timedelta(days=rng.randint(0, 60)),
            ))
    Volunteer.objects.bulk_create(rows, batch_size=500)


def _boards(campaign: Campaign, units: dict[str, Unit], admin: Any, officials: dict[str, Any]) -> int:
    counts = _progress(campaign, "新建乡村（社区）宣传栏")
    rows = []
    for name, count in counts.items():
        unit = units[name]
        villages = [] if name == "南坝乡" else _villages(unit)
        sites = [(v, f"{v.name}村（居）委会门口宣传栏") for v in villages]
        if name == SEED_TOWNSHIP and villages:
            sites.append((villages[0], f"{villages[0].name}文化活动中心宣传栏"))
        sites += [(None, f"{unit.display_name}{site}宣传栏") for site in BOARD_SITES]
        for i in range(int(count)):
            village, label = sites[i] if i < len(sites) else (None, f"{unit.display_name}宣传栏{i + 1}号")
            rows.append(Board(campaign=campaign, unit=unit, kind=BoardKind.BOARD, name=label, village=village,
                              built_on=dt.date(2026, 6, 1) + dt.timedelta(days=7 * i)))
        # A few 公益广告 sites per street (not fed to any task).
        for i in range(3 if unit.unit_type == "street" else 1):
            rows.append(Board(campaign=campaign, unit=unit, kind=BoardKind.PSA, name=f"{unit.display_name}户外公益广告{i + 1}号",
                              built_on=dt.date(2026, 7, 1)))
    Board.objects.bulk_create(rows, batch_size=500)
    # One 宣传栏 with its photo through the page's service, as an official would add it.
    seed_unit = units[SEED_TOWNSHIP]
    board = Board.objects.filter(campaign=campaign, unit=seed_unit, village__isnull=False).order_by("pk").first()
    if board is not None:
        photo = demo_photo(f"{board.name}", colour=(180, 60, 50), name="宣传栏.jpg")
        ledger_services.ledger_row_save(
            kind=KINDS["boards"], row=board, campaign=campaign, user=officials.get(SEED_TOWNSHIP, admin),
            fields=list(KINDS["boards"].form.Meta.fields), photo=photo,
        )
    return len(rows)


def _families(campaign: Campaign, units: dict[str, Unit], rng: random.Random) -> int:
    counts = _progress(campaign, "评选县级文明家庭")
    rows = []
    for name in FAMILY_UNITS:
        unit = units[name]
        villages = _villages(unit)
        taken: set[str] = set()
        for i, household in enumerate(_names(rng, int(counts.get(name, 0)), taken)):
            village = villages[0] if villages and i % 3 else None
            rows.append(Family(campaign=campaign, unit=unit, household=f"{household}家庭", village=village,
                               level=FamilyLevel.COUNTY, year=2026))
    Family.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _meetings(campaign: Campaign, units: dict[str, Unit], admin: Any, officials: dict[str, Any], rng: random.Random) -> None:
    seed_unit = units[SEED_TOWNSHIP]
    mobilise = Meeting(campaign=campaign, unit=seed_unit, kind=MeetingKind.MEETING, held_on=dt.date(2026, 5, 8), attendance=56,
                       topic="精神文明创建和创建全国文明城市动员会（各单位负责人、各村支部书记、村委会主任参加）")
    photo = demo_photo("创建全国文明城市动员会", colour=(150, 40, 40), name="动员会.jpg")
    ledger_services.ledger_row_save(
        kind=KINDS["meetings"], row=mobilise, campaign=campaign, user=officials.get(SEED_TOWNSHIP, admin),
        fields=list(KINDS["meetings"].form.Meta.fields), photo=photo,
    )
    rows = [Meeting(campaign=campaign, unit=seed_unit, kind=MeetingKind.MEETING, held_on=dt.date(2026, 5, 12), attendance=420,
                    topic="创建全国文明城市誓师暨“知荣辱明‘三理’、争当文明学生”教育动员大会（中心小学）")]
    # 爱国卫生 (the county summary's figures, filed under 市卫健委): 24 meetings, 22 trainings for 1,200.
    health = units[HYGIENE_UNIT]
    sizes = [60] * 10 + [50] * 12  # 600 + 600 = 1,200 参训
    for i, size in enumerate(sizes):
        rows.append(Meeting(campaign=campaign, unit=health, kind=MeetingKind.TRAINING, held_on=dt.date(2026, 5, 18) + dt.timedelta(days=6 * i),
                            topic=f"夏秋季防蚊灭蚊和登革热防控培训班（第{i + 1}期）", attendance=size))
    for i in range(24):
        rows.append(Meeting(campaign=campaign, unit=health, kind=MeetingKind.MEETING, held_on=dt.date(2026, 5, 15) + dt.timedelta(days=5 * i),
                            topic=f"爱国卫生运动和“清洁家园、灭蚊防病”工作会议（第{i + 1}次）", attendance=rng.randint(25, 80)))
    Meeting.objects.bulk_create(rows)


HYGIENE_ROUNDS = [
    # date, participants, containers, tyres, blackspots — the four add up to the seed's totals
    (dt.date(2026, 6, 15), 12536, 2410, 562, 905),
    (dt.date(2026, 7, 15), 11820, 2387, 541, 873),
    (dt.date(2026, 8, 15), 10652, 2106, 468, 790),
    (dt.date(2026, 9, 15), 9300, 1774, 412, 673),
]


def _hygiene(campaign: Campaign, units: dict[str, Unit]) -> None:
    health = units[HYGIENE_UNIT]
    HygieneActivity.objects.bulk_create([
        HygieneActivity(campaign=campaign, unit=health, held_on=day, participants=people, containers=containers, tyres=tyres,
                        blackspots=spots, topic=f"“六清”清洁家园灭蚊防病行动（{day.month}月）")
        for day, people, containers, tyres, spots in HYGIENE_ROUNDS
    ])


def _honours(campaign: Campaign, units: dict[str, Unit]) -> None:
    Honour.objects.bulk_create([
        # The same honour the demo's bonus approves (杨源乡, 获评省级卫生乡镇).
        Honour(campaign=campaign, unit=units["杨源乡"], name="省级卫生乡镇", level=HonourLevel.PROVINCE,
               awarded_on=dt.date(2026, 9, 28), issuer="省爱国卫生运动委员会"),
        Honour(campaign=campaign, unit=units["南坝乡"], name="市级卫生乡镇", level=HonourLevel.CITY,
               awarded_on=dt.date(2026, 8, 20), issuer="市爱国卫生运动委员会"),
    ])


def _feed_tasks(campaign: Campaign) -> int:
    """Switch the tasks the ledgers now hold to take their value from them (nothing on the pages moves)."""
    fed = 0
    for title, measure in FED.items():
        tasks = Task.objects.filter(campaign=campaign, title=title)
        if measure == "families":
            tasks = tasks.filter(unit__name__in=FAMILY_UNITS)
        fed += tasks.update(ledger_measure=measure)
    fed += Task.objects.filter(campaign=campaign, title="组织开展志愿服务活动", unit__name=SEED_TOWNSHIP).update(
        ledger_measure="volunteer_hours"
    )
    return fed


def build(demo: Any) -> None:
    campaign, units, users, log = demo.campaign, demo.units, demo.users, demo.log
    rng = random.Random(SEED)  # its own: the other parts' draws stay as they were
    admin = users["chuangjianban"]
    officials = {"芦洲乡": users.get("luzhou", admin)}
    _populations(campaign, units)
    _volunteers(campaign, units, rng)
    boards = _boards(campaign, units, admin, officials)
    families = _families(campaign, units, rng)
    _meetings(campaign, units, admin, officials, rng)
    _hygiene(campaign, units)
    _honours(campaign, units)
    fed = _feed_tasks(campaign)
    log(
        f"工作台账：志愿者 {Volunteer.objects.filter(campaign=campaign).count()} 名，宣传栏/公益广告 {boards} 处，"
        f"文明家庭 {families} 户，会议培训 {Meeting.objects.filter(campaign=campaign).count()} 场；{fed} 项任务的进度取自台账"
    )
