"""factory_boy factories for every model tests build by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from campaign.models import (
    Campaign,
    CampaignKind,
    DeductionRule,
    Indicator,
    InspectionPoint,
    Membership,
    Phase,
    PointType,
    RankingGroup,
    SourceLevel,
    SpecialAction,
    Unit,
    UnitType,
)
from inspections.models import Finding, Inspection, InspectionKind
from tasks.models import Task


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试"
    password = factory.django.Password("Chuangwen#2026")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = "2026年创建全国文明城市"
    kind = CampaignKind.CIVILIZED_CITY
    year = 2026
    city_name = "泰和市"
    start_date = dt.date(2026, 5, 1)
    end_date = dt.date(2026, 12, 31)

    @factory.post_generation
    def rules(self, create, extracted, **kwargs):
        if not create:
            return
        for level, base, repeat in (
            (SourceLevel.CITY, "0.3", "2"),
            (SourceLevel.DISTRICT, "0.2", "1"),
            (SourceLevel.DEPARTMENT, "0.1", "0.6"),
        ):
            DeductionRule.objects.get_or_create(
                campaign=self, source_level=level,
                defaults={"base_points": Decimal(base), "repeat_points": Decimal(repeat)},
            )


class RankingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RankingGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"组别{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"单位{n}")
    unit_type = UnitType.STREET


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = "official"


class PointTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"点位类型{n}")


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"9.9.{n}")
    name = factory.Sequence(lambda n: f"测评标准{n}")
    level = 3
    score = Decimal("2.00")


class PointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionPoint

    name = factory.Sequence(lambda n: f"点位{n}")
    point_type = factory.SubFactory(PointTypeFactory)
    unit = factory.SubFactory(UnitFactory)


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"阶段{n}")
    start_date = dt.date(2026, 5, 1)
    end_date = dt.date(2026, 9, 30)


class SpecialActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialAction

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"专项行动{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"任务{n}")
    indicator = factory.SubFactory(IndicatorFactory, campaign=factory.SelfAttribute("..campaign"))
    unit = factory.SubFactory(UnitFactory)
    deadline = dt.date(2026, 9, 30)


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    campaign = factory.SubFactory(CampaignFactory)
    kind = InspectionKind.ON_SITE
    source_level = SourceLevel.CITY
    date = dt.date(2026, 10, 12)
    title = "10月现场考核"
    created_by = factory.SubFactory(UserFactory)


class FindingFactory(factory.django.DjangoModelFactory):
    """A finding written straight to the table (bypasses the service rules on purpose)."""

    class Meta:
        model = Finding

    campaign = factory.SubFactory(CampaignFactory)
    inspection = factory.SubFactory(InspectionFactory, campaign=factory.SelfAttribute("..campaign"))
    unit = factory.SubFactory(UnitFactory)
    indicator = factory.SubFactory(IndicatorFactory, campaign=factory.SelfAttribute("..campaign"))
    description = "主干道两侧垃圾未及时清运"
    points = Decimal("0.30")
    found_on = factory.SelfAttribute("inspection.date")
    month = factory.LazyAttribute(lambda o: o.found_on.replace(day=1))
    rectify_deadline = factory.LazyAttribute(lambda o: o.found_on + dt.timedelta(days=7))
    created_by = factory.SelfAttribute("inspection.created_by")
