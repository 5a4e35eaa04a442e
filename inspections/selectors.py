"""Reads for the inspections app. Each selector knows its joins, so no template queries in a loop."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from campaign import access
from campaign.models import Campaign, Indicator, InspectionPoint, Role
from campaign.search import FIELD_MARK, NAME_MARK, search_terms

from . import lifecycle
from .models import (
    Appeal,
    AppealStatus,
    Check,
    Finding,
    FindingPhoto,
    FindingStatus,
    Inspection,
    Rectification,
    RectificationPhoto,
    SupervisionOrder,
)

OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.SUBMITTED, FindingStatus.RETURNED)
# Overdue is what the unit controls: awaiting the unit past its deadline (a submitted round waits for review).
AWAITING_UNIT = (FindingStatus.OPEN, FindingStatus.RETURNED)


@dataclass(frozen=True)
class FindingFilters:
    """The filters of the findings list, all optional."""

    month: dt.date | None = None
    unit_id: int | None = None
    indicator_id: int | None = None
    point_id: int | None = None
    status: str = ""
    inspector_id: int | None = None
    overdue_on: dt.date | None = None  # only findings still open past their deadline on this day
    q: str = ""


def staff_users() -> QuerySet[Any]:
    """People who inspect: active users with an admin or inspector membership."""
    return (
        get_user_model()
        .objects.filter(memberships__role__in=[Role.ADMIN, Role.INSPECTOR], is_active=True)
        .distinct()
        .order_by("username")
    )


def person_name(user: Any) -> str:
    """How people are named on pages: the name kept in the account (first/last name, e.g. 王主任), else the login."""
    return (user.get_full_name() or user.username) if user is not None else ""


def order_candidates(campaign: Campaign) -> QuerySet[Finding]:
    """Findings a 督办单 may list: still awaiting the unit (待整改, 已退回) and not on an order yet."""
    return (
        Finding.objects.filter(campaign=campaign, status__in=AWAITING_UNIT, orders__isnull=True)
        .select_related("unit", "indicator", "point")
        .order_by("found_on", "pk")
    )


def units_with_order_candidates(campaign: Campaign) -> QuerySet[Any]:
    """Active units with at least one :func:`order_candidates` finding, as ``candidate_count``, in tree order."""
    from campaign.models import Unit

    waiting = Q(findings__campaign=campaign, findings__status__in=AWAITING_UNIT, findings__orders__isnull=True)
    return (
        Unit.objects.filter(is_active=True)
        .annotate(candidate_count=Count("findings", filter=waiting, distinct=True))
        .filter(candidate_count__gt=0)
        .order_by("path")
    )


def finding_count_subquery() -> Subquery:
    """The number of findings of each inspection, as a correlated subquery on the findings' inspection index.

    Unlike ``Count("findings")`` (a join and GROUP BY over every finding of the campaign before
    the page is cut), it is evaluated only for the rows the page shows, and a paginator's
    ``count()`` leaves it out.
    """
    counted = Finding.objects.filter(inspection=OuterRef("pk")).order_by().values("inspection").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


def inspections_for(user: Any, campaign: Campaign) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(campaign=campaign)
        .select_related("special_action", "created_by")
        .prefetch_related("inspectors")
        .annotate(finding_count=finding_count_subquery())
        .order_by("-date", "-pk")
    )


# The findings list's sorts (campaign.sorting). The default, newest first, is read along
# finding_list_idx (campaign, found_on, id) a page at a time (13 ms for page 1 of the bench
# city's 200,000). 扣分 and 状态 have no index: PostgreSQL sorts the filtered rows keeping the
# top 50 in a heap, ~0.4-0.5 s over all 200,000, less once filtered (scripts/bench_tables.py);
# cheap enough for a click now and then, so no index per column (each would slow every write).
# 责任单位 sorts by the unit's path (the tree order of every other list), then newest first.
FINDING_SORTS: dict[str, str | tuple[str, ...]] = {
    "date": ("found_on",),
    "unit": ("unit__path", "-found_on"),
    "points": ("points", "-found_on"),
    "status": ("status", "-found_on"),
}


def findings_for(user: Any, campaign: Campaign, filters: FindingFilters | None = None) -> QuerySet[Finding]:
    """The findings ``user`` may see in ``campaign`` (officials: their unit and below), filtered."""
    filters = filters or FindingFilters()
    qs = access.filter_visible(user, Finding.objects.filter(campaign=campaign))
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.indicator_id:
        qs = qs.filter(indicator_id=filters.indicator_id)
    if filters.point_id:
        qs = qs.filter(point_id=filters.point_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.inspector_id:
        qs = qs.filter(created_by_id=filters.inspector_id)
    if filters.overdue_on:
        qs = qs.filter(status__in=AWAITING_UNIT, rectify_deadline__lt=filters.overdue_on)
    if filters.q:
        qs = qs.filter(Q(description__icontains=filters.q) | Q(point__name__icontains=filters.q))
    return qs.select_related("unit", "indicator", "point", "inspection", "created_by").order_by("-found_on", "-pk")


def with_photos(qs: QuerySet[Finding]) -> QuerySet[Finding]:
    return qs.prefetch_related(Prefetch("photos", queryset=FindingPhoto.objects.order_by("pk")))


def finding_detail(user: Any, pk: int) -> Finding:
    """One finding the user may see (404 otherwise), with photos, rounds, orders and penalty."""
    qs = Finding.objects.select_related(
        "unit", "indicator", "point", "point__point_type", "inspection", "created_by", "withdrawn_by", "campaign"
    ).prefetch_related(
        "photos",
        Prefetch(
            "rectifications",
            queryset=Rectification.objects.select_related("submitted_by", "reviewed_by").prefetch_related(
                Prefetch("photos", queryset=RectificationPhoto.objects.order_by("kind", "pk"))
            ),
        ),
        "orders",
        "corrections",
        Prefetch("appeal__evidence"),
        "accountabilities",
    )
    return access.get_visible_or_404(user, qs, pk=pk)


def orders_for(user: Any, campaign: Campaign) -> QuerySet[SupervisionOrder]:
    """The orders ``user`` may see, with their findings' statuses for :func:`order_states`."""
    return (
        access.filter_visible(user, SupervisionOrder.objects.filter(campaign=campaign))
        .select_related("unit", "issued_by")
        .prefetch_related(Prefetch("findings", queryset=Finding.objects.only("pk", "status", "rectify_deadline")))
        .annotate(finding_count=Count("findings"))
        .order_by("-year", "-number")
    )


def with_state(orders: Any, today: dt.date) -> list[SupervisionOrder]:
    """Set ``order.state`` / ``order.state_label`` (derived by ``lifecycle.order_state``) on each order."""
    orders = list(orders)
    for order in orders:
        order.state = lifecycle.order_state(order.findings.all(), today)
        order.state_label = lifecycle.order_state_label(order.state)
    return orders


# The orders list's ?state= filters: 未办结 (anything but 已办结) and 逾期.
ORDER_STATE_FILTERS = {"open": "未办结", "overdue": "逾期"}


def orders_in_state(orders: Any, state: str, today: dt.date) -> list[SupervisionOrder]:
    """The orders (from :func:`orders_for`) that are 未办结 (``state="open"``) or 逾期 (``"overdue"``) on
    ``today``, with their state set; the cockpit's order figures count the same way."""
    keep = {
        "open": lambda s: s != lifecycle.OrderState.DONE,
        "overdue": lambda s: s == lifecycle.OrderState.OVERDUE,
    }[state]
    return [o for o in with_state(orders, today) if keep(o.state)]


def overdue_orders(user: Any, campaign: Campaign, today: dt.date) -> list[SupervisionOrder]:
    """The 督办单 the user may see that are 逾期 on ``today`` (for homes and highlights)."""
    candidates = orders_for(user, campaign).filter(
        findings__status__in=AWAITING_UNIT, findings__rectify_deadline__lt=today
    ).distinct()
    return [o for o in with_state(candidates, today) if o.state == lifecycle.OrderState.OVERDUE]


def open_appeals(campaign: Campaign | int, month: dt.date | None = None) -> QuerySet[Appeal]:
    """Appeals not yet decided (of findings counted in ``month`` when given): the month's preview lists
    them and publishing with any needs an explicit, recorded confirmation."""
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    qs = Appeal.objects.filter(campaign_id=campaign_id, status=AppealStatus.PENDING)
    if month is not None:
        qs = qs.filter(finding__month=month)
    return qs.select_related("unit", "finding", "finding__indicator", "submitted_by").order_by("submitted_at", "pk")


def appeals_for(user: Any, campaign: Campaign) -> QuerySet[Appeal]:
    return (
        access.filter_visible(user, Appeal.objects.filter(campaign=campaign))
        .select_related("unit", "finding", "finding__indicator", "submitted_by", "decided_by")
        .order_by("-submitted_at", "-pk")
    )


@dataclass
class ReviewBacklog:
    """The inspectors' review backlog: rounds submitted and waiting, with waiting working days each.

    This is the office's measure, apart from the units' overdue: review time never counts against a unit.
    ``rows`` holds only the longest-waiting rounds (see :func:`review_backlog`); ``count``, ``max_days``
    and ``total_days`` cover every pending round.
    """

    rows: list[tuple[Rectification, int]]  # (pending round, working days waited), longest waiting first
    count: int = 0
    max_days: int = 0
    total_days: int = 0

    @property
    def average_days(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.total_days) / self.count).quantize(Decimal("0.1"))


BACKLOG_ROWS = 10  # the longest-waiting rounds a page lists by name


def review_backlog(user: Any, campaign: Campaign, today: dt.date, calendar: Any = None, *, limit: int = BACKLOG_ROWS) -> ReviewBacklog:
    """Pending rectification rounds the user may see: the ``limit`` longest waiting (working days since
    submission), and the count, longest and total wait of all of them.

    The totals are read per submission day (one row per local day, however many rounds), so the
    cost does not grow with the backlog; the longest wait is the oldest round's.
    """
    from django.db.models.functions import TruncDate

    from campaign.workdays import WorkCalendar

    calendar = calendar or WorkCalendar.load()
    pending = access.filter_visible(
        user, Rectification.objects.filter(finding__campaign=campaign, status="pending"), field="finding__unit"
    )
    oldest = pending.select_related("finding", "finding__unit", "finding__indicator", "submitted_by").order_by("submitted_at", "pk")
    rows = [(r, lifecycle.waiting_working_days(lifecycle.submitted_on(r), today, calendar)) for r in oldest[:limit]]
    if len(rows) < limit:  # every pending round is listed: no second query
        waits = [(days, 1) for _, days in rows]
    else:
        per_day = pending.order_by().annotate(day=TruncDate("submitted_at")).values("day").annotate(n=Count("pk")).values_list("day", "n")
        waits = [(lifecycle.waiting_working_days(day, today, calendar), n) for day, n in per_day]
    return ReviewBacklog(
        rows=rows,
        count=sum(n for _, n in waits),
        max_days=max((d for d, _ in waits), default=0),
        total_days=sum(d * n for d, n in waits),
    )


def order_detail(user: Any, pk: int) -> SupervisionOrder:
    qs = SupervisionOrder.objects.select_related("unit", "issued_by", "campaign").prefetch_related(
        Prefetch("findings", queryset=Finding.objects.select_related("unit", "indicator", "point").order_by("found_on", "pk"))
    )
    return access.get_visible_or_404(user, qs, pk=pk)


def open_rectifications(user: Any, campaign: Campaign, today: dt.date) -> dict[str, QuerySet[Finding]]:
    """Findings awaiting the unit (open/returned), awaiting review (submitted), and overdue."""
    base = findings_for(user, campaign)
    return {
        "awaiting_unit": base.filter(status__in=[FindingStatus.OPEN, FindingStatus.RETURNED]),
        "awaiting_review": base.filter(status=FindingStatus.SUBMITTED),
        "overdue": base.filter(status__in=AWAITING_UNIT, rectify_deadline__lt=today),
    }


@dataclass
class RectificationSection:
    """One group of 整改跟踪: its most urgent findings (by deadline) and how many it holds."""

    key: str
    findings: list[Finding]
    total: int


def rectification_sections(user: Any, campaign: Campaign, today: dt.date, *, limit: int) -> dict[str, RectificationSection]:
    """``open_rectifications``' groups, each with its first ``limit`` findings by deadline and its count,
    in three queries whatever the number of findings.

    The three counts come from one pass over the open findings (a count per group read them three
    times: ~0.2 s on the bench city's 66,667). The overdue findings are read from the rows awaiting the
    unit: both are ordered by (deadline, pk) and the overdue ones are those awaiting the unit whose
    deadline has passed, so they come first in that order — the first ``limit`` overdue findings are
    the overdue ones among the first ``limit`` awaiting the unit.
    """
    groups = open_rectifications(user, campaign, today)
    awaiting = Q(status__in=AWAITING_UNIT)
    counts = access.filter_visible(
        user, Finding.objects.filter(campaign=campaign, status__in=[*AWAITING_UNIT, FindingStatus.SUBMITTED])
    ).aggregate(
        awaiting_unit=Count("pk", filter=awaiting),
        awaiting_review=Count("pk", filter=Q(status=FindingStatus.SUBMITTED)),
        overdue=Count("pk", filter=awaiting & Q(rectify_deadline__lt=today)),
    )

    def first(qs: QuerySet[Finding]) -> list[Finding]:
        # The table shows unit, point and indicator only (findings_for also joins inspection and author).
        return list(qs.select_related(None).select_related("unit", "indicator", "point").order_by("rectify_deadline", "pk")[:limit])

    unit_rows = first(groups["awaiting_unit"])
    rows = {
        "overdue": [f for f in unit_rows if f.rectify_deadline < today],
        "awaiting_review": first(groups["awaiting_review"]),
        "awaiting_unit": unit_rows,
    }
    return {key: RectificationSection(key, rows[key], counts[key]) for key in ("overdue", "awaiting_review", "awaiting_unit")}


def point_history(point: InspectionPoint, campaign: Campaign) -> QuerySet[Finding]:
    return with_photos(
        Finding.objects.filter(point=point, campaign=campaign).select_related("unit", "indicator", "created_by")
    ).order_by("-found_on", "-pk")


def search_points(text: str = "", point_type_id: int | None = None) -> QuerySet[InspectionPoint]:
    """Active points matching every typed word, best first; the caller pages through them (never capped).

    A word matches the point's name, type, 包保 unit or address, or the pinyin of the
    name, type or unit, in full (``renminlu``) or as initials (``rml``), all through
    the stored ``search_text`` (campaign/search.py). Ranking by the first word: the
    name (or its pinyin) starts with it, then another field starts with it, then a
    match inside a word; ties in the points' usual order (type, then name).
    """
    qs = InspectionPoint.objects.filter(is_active=True).select_related("point_type", "unit")
    if point_type_id:
        qs = qs.filter(point_type_id=point_type_id)
    terms = search_terms(text)
    if not terms:
        return qs.order_by("point_type__order", "name", "pk")
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    first = terms[0]
    rank = Case(
        When(search_text__contains=NAME_MARK + first, then=Value(0)),
        When(search_text__contains=FIELD_MARK + first, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "point_type__order", "name", "pk")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine); good enough within a city."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearest_points(lat: float, lng: float, limit: int = 8) -> list[tuple[InspectionPoint, float]]:
    """The active points closest to (lat, lng), with distances in metres.

    A city has at most ~1,200 points, so computing every distance in Python is
    cheap and needs no GIS extension.
    """
    rows = (
        InspectionPoint.objects.filter(is_active=True, latitude__isnull=False, longitude__isnull=False)
        .select_related("point_type", "unit")
    )
    ranked = sorted(
        ((p, distance_m(lat, lng, float(p.latitude), float(p.longitude))) for p in rows), key=lambda pair: pair[1]
    )
    return ranked[:limit]


def search_indicators(campaign: Campaign, text: str = "", limit: int = 15) -> list[Indicator]:
    """Leaf standards by code prefix or words in name or standard text."""
    qs = Indicator.objects.filter(campaign=campaign, level=3)
    text = text.strip()
    if text:
        qs = qs.filter(Q(code__startswith=text) | Q(name__icontains=text) | Q(standard_text__icontains=text))
    return list(qs.order_by("order", "code")[:limit])


def checklist_indicators(campaign: Campaign, point: InspectionPoint) -> list[Indicator]:
    """The leaf standards whose point types include this point's type (the checklist)."""
    return list(
        Indicator.objects.filter(campaign=campaign, level=3, point_types=point.point_type_id).order_by("order", "code")
    )


def checks_at(inspection: Inspection, point: InspectionPoint) -> dict[int, Check]:
    return {c.indicator_id: c for c in Check.objects.filter(inspection=inspection, point=point).select_related("finding")}


def pass_rate(checks: list[Check]) -> Decimal | None:
    """及格率: passed ÷ checked, 不适用 left out; None when nothing was checked."""
    counted = [c for c in checks if c.result != "na"]
    if not counted:
        return None
    passed = sum(1 for c in counted if c.result == "pass")
    return (Decimal(passed) * 100 / Decimal(len(counted))).quantize(Decimal("0.1"))


@dataclass
class InspectorHome:
    """What an inspector needs first on the home page (see :func:`inspector_home`)."""

    today_inspections: list[Inspection]
    recent_points: list[tuple[InspectionPoint, dt.datetime]]  # (point, when the user last recorded there)
    reviews: list[tuple[Rectification, int]]  # oldest first, with working days waited
    review_count: int


def inspector_home(user: Any, campaign: Campaign, today: dt.date, *, recent: int = 6, reviews: int = 10) -> InspectorHome:
    """Today's inspections the user takes part in, the points they recorded at last (findings or
    checklist items), and the rectifications waiting for review, oldest first. A bounded number of queries."""
    todays = list(
        Inspection.objects.filter(campaign=campaign, date=today)
        .filter(Q(inspectors=user) | Q(created_by=user))
        .distinct()
        .select_related("special_action")
        .annotate(finding_count=finding_count_subquery())
        .order_by("-pk")
    )
    last_seen: dict[int, dt.datetime] = {}
    sources = (
        Finding.objects.filter(campaign=campaign, created_by=user, point__isnull=False)
        .values("point_id").annotate(last=Max("created_at")).order_by("-last")[:recent],
        Check.objects.filter(inspection__campaign=campaign, checked_by=user)
        .values("point_id").annotate(last=Max("checked_at")).order_by("-last")[:recent],
    )
    for rows in sources:
        for row in rows:
            if row["point_id"] not in last_seen or row["last"] > last_seen[row["point_id"]]:
                last_seen[row["point_id"]] = row["last"]
    points = InspectionPoint.objects.select_related("point_type", "unit").in_bulk(list(last_seen))
    recent_points = sorted(
        ((points[pk], at) for pk, at in last_seen.items() if pk in points), key=lambda pair: pair[1], reverse=True
    )[:recent]
    backlog = review_backlog(user, campaign, today, limit=reviews)
    return InspectorHome(
        today_inspections=todays, recent_points=recent_points, reviews=backlog.rows[:reviews], review_count=backlog.count,
    )
