"""Reads for notices: routes in force, people's addresses, a person's daily digest, the delivery log."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from campaign.models import Membership, Role

from . import routing
from .channels import Target
from .models import Delivery, Event, EventRoute, Notice, NoticeStatus, Preference


def routes() -> dict[str, routing.Route]:
    """Every event's route: the office's row where there is one, else the default."""
    found = dict(routing.DEFAULT_ROUTES)
    for row in EventRoute.objects.all():
        found[row.event] = routing.Route(
            event=row.event, channels=tuple(row.channels or ()), to_group_robot=row.to_group_robot, urgent=row.urgent,
            active=row.is_active,
        )
    return found


def contacts(user_ids: Iterable[int]) -> dict[int, Target]:
    """Active people's addresses: e-mail from the account; mobile from their push settings,
    else the phone on one of their memberships."""
    ids = set(user_ids)
    if not ids:
        return {}
    mobiles = dict(Preference.objects.filter(user_id__in=ids).exclude(mobile="").values_list("user_id", "mobile"))
    for uid, phone in Membership.objects.filter(user_id__in=ids).exclude(phone="").order_by("pk").values_list("user_id", "phone"):
        mobiles.setdefault(uid, phone)
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", "email")
    return {pk: Target(email=email or "", mobile=mobiles.get(pk, "")) for pk, email in users}


def office_ids(*, leaders: bool = False) -> list[int]:
    """The office's people (创建办管理员), with the leaders (领导小组) when ``leaders``: active accounts only."""
    roles = [Role.ADMIN, Role.LEADER] if leaders else [Role.ADMIN]
    return sorted(set(Membership.objects.filter(role__in=roles, user__is_active=True).values_list("user_id", flat=True)))


@dataclass
class Digest:
    day: dt.date
    due: list[Notice] = field(default_factory=list)
    overdue: list[Notice] = field(default_factory=list)
    new: list[Notice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.due or self.overdue or self.new)

    @property
    def text(self) -> str:
        """The one message a person gets instead of the stream (the page shows every line)."""
        head = f"{self.day.month}月{self.day.day}日每日摘要：即将到期{len(self.due)}项，已逾期{len(self.overdue)}项，新消息{len(self.new)}条。"
        lines = [n.message for n in (*self.overdue, *self.due, *self.new)]
        return "\n".join([head, *(f"· {line}" for line in lines)])


def digest_for(*, user_id: int, day: dt.date) -> Digest:
    """A person's day: the notices addressed to them that day, in three sections."""
    digest = Digest(day=day)
    for notice in Notice.objects.filter(user_id=user_id, day=day).exclude(event=Event.DIGEST).select_related("unit").order_by("created_at", "pk"):
        if notice.event in routing.DUE_EVENTS:
            digest.due.append(notice)
        elif notice.event in routing.OVERDUE_EVENTS:
            digest.overdue.append(notice)
        else:
            digest.new.append(notice)
    return digest


def recent_days(*, user_id: int, limit: int = 7) -> list[dt.date]:
    """The latest days that hold notices for a person (links on the digest page)."""
    days = Notice.objects.filter(user_id=user_id).exclude(event=Event.DIGEST).order_by("-day").values_list("day", flat=True)
    return list(days.distinct()[:limit])


def delivery_log(*, status: str = "", event: str = "", channel: str = "", q: str = "") -> QuerySet[Notice]:
    """What was sent to whom and what failed, newest first, with each notice's attempts."""
    rows = Notice.objects.select_related("user", "unit").prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.order_by("at", "pk"))
    )
    if status:
        rows = rows.filter(status=status)
    if event:
        rows = rows.filter(event=event)
    if channel:
        rows = rows.filter(Q(channel=channel) | Q(deliveries__channel=channel)).distinct()
    if q:
        rows = rows.filter(
            Q(user__username__icontains=q) | Q(user__first_name__icontains=q) | Q(unit__name__icontains=q) | Q(message__icontains=q)
        )
    return rows.order_by("-created_at", "-pk")


def log_counts() -> dict[str, int]:
    """Notices per status, for the log page's summary line."""
    counts = {s: 0 for s in NoticeStatus.values}
    for row in Notice.objects.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
