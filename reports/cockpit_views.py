"""领导驾驶舱: the leaders' and the office's first screen (figures in ``reports/cockpit.py``)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from campaign import access
from campaign.selectors import current_campaign

from .charts import trend_svg
from .cockpit import cockpit

# Who sees the cockpit: the office (admin) and the leading group (leader); others get a 404.
COCKPIT_PERM = "reports.request"


def may_see_cockpit(user) -> bool:
    return access.can(user, COCKPIT_PERM)


@login_required
def cockpit_page(request: HttpRequest) -> HttpResponse:
    """The cockpit; also the home page of admins and leaders (config/views.py)."""
    if not may_see_cockpit(request.user):
        raise Http404("未找到该页面，或您无权查看。")
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    data = cockpit(campaign=campaign)
    return render(request, "reports/cockpit.html", {
        "campaign": campaign, "c": data, "map": data.map_payload(),
        # Only the office (admins) configures the map tiles: only they are told the setting's name.
        "configures_map": access.is_admin(request.user),
        "trend_charts": [(name, trend_svg(points, width=300, height=120, title=f"{name}平均得分趋势"))
                         for name, points in data.trend],
    })
