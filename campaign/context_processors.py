from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import access
from .models import Notification
from .navigation import menu_for, menu_groups
from .selectors import campaigns_of_request, current_campaign


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = access.roles_of(user)
    role = access.primary_role(user)
    menu = menu_for(roles)
    campaigns = campaigns_of_request(request)
    return {
        "menu": menu,
        "nav": menu_groups(menu),
        # The switcher shows when there is a choice; the current one is marked.
        "campaign_choices": campaigns if len(campaigns) > 1 else [],
        "current_campaign_obj": current_campaign(request) if len(campaigns) > 1 else None,
        "user_role": role,
        "user_role_label": dict(access.Role.choices).get(role, "未分配角色") if role else "未分配角色",
        "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count(),
    }
