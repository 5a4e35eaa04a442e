"""Reads shared by every app."""
from __future__ import annotations

import datetime as dt

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import access
from .models import Campaign, Phase

SESSION_KEY = "campaign_id"


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """The campaigns ``user`` works in, newest active first: the ones the campaign switcher offers.

    A campaign without an organising unit (``Campaign.unit``) is everybody's. One with a unit
    belongs to the members of that unit, of the units above it (a city office follows its
    townships' 文明村镇 campaign) and of the units below it (a street works in its city's
    创文). Superusers see every campaign; anonymous users none.
    """
    qs = Campaign.objects.order_by("-is_active", "-year", "-start_date", "name")
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    paths = access.member_paths(user)
    above_or_self = {int(pk) for path in paths for pk in path.strip("/").split("/") if pk}
    inside = reduce(or_, (Q(unit__path__startswith=path) for path in paths), Q(pk__in=[]))
    return qs.filter(Q(unit__isnull=True) | Q(unit_id__in=above_or_self) | inside)


_REQUEST_CACHE = "_cw_campaigns"


def campaigns_of_request(request: HttpRequest) -> list[Campaign]:
    """:func:`campaigns_for` the request's user, read once per request (the view and the navbar share it)."""
    cached = getattr(request, _REQUEST_CACHE, None)
    if cached is None:
        cached = list(campaigns_for(getattr(request, "user", None)))
        setattr(request, _REQUEST_CACHE, cached)
    return cached


def current_campaign(request: HttpRequest | None = None) -> Campaign | None:
    """The campaign the user is working in, among :func:`campaigns_for` theirs.

    Chosen in the navbar's switcher (``campaign-switch``, kept in the session) or with
    ``?campaign=slug``; else the newest active one. A campaign the user does not work in is
    never current, whatever the session or the URL says.
    """
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        qs = Campaign.objects.all()
        if request is not None and (slug := request.GET.get("campaign")):
            chosen = qs.filter(slug=slug).first()
            if chosen:
                return chosen
        return qs.filter(is_active=True).order_by("-year", "-start_date").first() or qs.first()
    campaigns = campaigns_of_request(request)
    slug = request.GET.get("campaign")
    if slug:
        for campaign in campaigns:
            if campaign.slug == slug:
                request.session[SESSION_KEY] = campaign.pk
                return campaign
    pk = request.session.get(SESSION_KEY)
    for campaign in campaigns:
        if pk and campaign.pk == pk:
            return campaign
    return campaigns[0] if campaigns else None


def current_phase(campaign: Campaign, today: dt.date | None = None) -> Phase | None:
    today = today or timezone.localdate()
    phases = list(campaign.phases.all())
    for phase in phases:
        if phase.contains(today):
            return phase
    upcoming = [p for p in phases if p.start_date > today]
    return upcoming[0] if upcoming else None
