"""The ledgers the pages show, one entry each: model, form, list columns and the sorts allowed.

The list page sorts on the server (``?sort=name`` / ``?sort=-name``) only by the keys listed in
``sorts`` (a whitelist: anything else falls back to the default order), filters by unit, text and
— where the register has one — its category.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import forms
from .models import Board, Family, HygieneActivity, Honour, LedgerRow, Meeting, Population, Volunteer


@dataclass(frozen=True)
class Column:
    label: str
    attr: str  # attribute or ``get_x_display`` name read in the template
    sort: str = ""  # ORM ordering for ?sort=<key>; empty = not sortable
    key: str = ""
    number: bool = False


@dataclass(frozen=True)
class LedgerKind:
    key: str
    label: str
    model: type[LedgerRow]
    form: type[forms.LedgerForm]
    columns: tuple[Column, ...]
    search: tuple[str, ...]  # fields the text filter looks in
    default_sort: str
    category_field: str = ""  # a choices field offered as a filter (类别)
    photos: str = ""  # related name of the photos, if the register has them
    related: tuple[str, ...] = field(default_factory=tuple)  # select_related beyond unit
    icon: str = "journal"

    @property
    def sorts(self) -> dict[str, str]:
        return {c.key: c.sort for c in self.columns if c.sort}


UNIT = Column("填报单位", "unit.name", "unit__path", "unit")

KINDS: dict[str, LedgerKind] = {
    k.key: k
    for k in (
        LedgerKind(
            "volunteers", "志愿者", Volunteer, forms.VolunteerForm,
            (
                Column("姓名", "name", "name", "name"), UNIT, Column("服务队", "team", "team", "team"),
                Column("注册日期", "registered_on", "registered_on", "registered"),
                Column("人次", "activity_count", "activity_count", "times", number=True),
                Column("时长（小时）", "hours", "hours", "hours", number=True),
            ),
            ("name", "team", "note"), "unit", icon="people",
        ),
        LedgerKind(
            "boards", "宣传栏/公益广告", Board, forms.BoardForm,
            (
                Column("名称/位置", "name", "name", "name"), Column("类别", "get_kind_display", "kind", "kind"), UNIT,
                Column("所在村（社区）", "village.name", "village__path", "village"), Column("点位", "point.name", "point__name", "point"),
                Column("建成日期", "built_on", "built_on", "built"),
            ),
            ("name", "note", "village__name", "point__name"), "unit", category_field="kind", photos="photos",
            related=("village", "point"), icon="signpost",
        ),
        LedgerKind(
            "families", "文明家庭", Family, forms.FamilyForm,
            (
                Column("户主/家庭", "household", "household", "household"), UNIT,
                Column("所在村（社区）", "village.name", "village__path", "village"),
                Column("级别", "get_level_display", "level", "level"), Column("年度", "year", "year", "year", number=True),
            ),
            ("household", "note", "village__name"), "unit", category_field="level", related=("village",), icon="house-heart",
        ),
        LedgerKind(
            "meetings", "会议培训", Meeting, forms.MeetingForm,
            (
                Column("日期", "held_on", "held_on", "date"), Column("类别", "get_kind_display", "kind", "kind"),
                Column("主题", "topic", "topic", "topic"), UNIT, Column("参加人数", "attendance", "attendance", "attendance", number=True),
            ),
            ("topic", "note"), "-date", category_field="kind", photos="photos", icon="easel",
        ),
        LedgerKind(
            "honours", "荣誉", Honour, forms.HonourForm,
            (
                Column("荣誉名称", "name", "name", "name"), UNIT, Column("级别", "get_level_display", "level", "level"),
                Column("授予日期", "awarded_on", "awarded_on", "date"), Column("授予单位", "issuer", "issuer", "issuer"),
            ),
            ("name", "issuer", "note"), "-date", category_field="level", icon="award",
        ),
        LedgerKind(
            "hygiene", "爱国卫生活动", HygieneActivity, forms.HygieneForm,
            (
                Column("日期", "held_on", "held_on", "date"), Column("活动名称", "topic", "topic", "topic"), UNIT,
                Column("参加人数", "participants", "participants", "people", number=True),
                Column("积水容器", "containers", "containers", "containers", number=True),
                Column("露天轮胎", "tyres", "tyres", "tyres", number=True),
                Column("卫生死角", "blackspots", "blackspots", "blackspots", number=True),
            ),
            ("topic", "note"), "-date", icon="droplet",
        ),
        LedgerKind(
            "population", "常住人口", Population, forms.PopulationForm,
            (
                UNIT, Column("常住人口（人）", "residents", "residents", "residents", number=True),
                Column("数据来源", "source", "source", "source"),
            ),
            ("unit__name", "source"), "unit", icon="person-lines-fill",
        ),
    )
}


def get(key: str) -> LedgerKind:
    return KINDS[key]
