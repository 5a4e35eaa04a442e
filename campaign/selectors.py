"""Reads shared by every app."""
from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone

from .models import Campaign, Phase

SESSION_KEY = "campaign_id"


def current_campaign(request: HttpRequest | None = None) -> Campaign | None:
    """The campaign the user is working in: chosen with ?campaign=slug, else the newest active one."""
    qs = Campaign.objects.all()
    if request is not None:
        slug = request.GET.get("campaign")
        if slug:
            chosen = qs.filter(slug=slug).first()
            if chosen:
                request.session[SESSION_KEY] = chosen.pk
                return chosen
        pk = request.session.get(SESSION_KEY)
        if pk:
            chosen = qs.filter(pk=pk).first()
            if chosen:
                return chosen
    return qs.filter(is_active=True).order_by("-year", "-start_date").first() or qs.first()


def current_phase(campaign: Campaign, today: dt.date | None = None) -> Phase | None:
    today = today or timezone.localdate()
    phases = list(campaign.phases.all())
    for phase in phases:
        if phase.contains(today):
            return phase
    upcoming = [p for p in phases if p.start_date > today]
    return upcoming[0] if upcoming else None
