"""The home page: one per role, with real figures from every app."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from campaign import access
from campaign.models import Role
from campaign.selectors import current_campaign, current_phase
from campaign.workdays import WorkCalendar
from inspections import selectors as inspection_selectors
from inspections.models import Finding, FindingStatus
from materials import selectors as material_selectors
from reports.cockpit_views import cockpit_page
from tasks import selectors as task_selectors
from tasks.deadlines import done_q, due_soon_q, overdue_q
from tasks.models import Task, TaskStatus

OPEN_FINDING_STATUSES = (FindingStatus.OPEN, FindingStatus.SUBMITTED, FindingStatus.RETURNED)
COCKPIT_ROLES = (Role.ADMIN, Role.LEADER)  # whose home is the cockpit (reports/cockpit.py)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request)
    role = access.primary_role(request.user)
    if campaign is not None and role in COCKPIT_ROLES and request.GET.get("view") != "work":
        # The office and the leaders start on the cockpit; ?view=work is the everyday home below.
        return cockpit_page(request)
    context: dict = {"campaign": campaign, "role": role}
    if campaign is None:
        return render(request, "home.html", context)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    tasks = access.filter_visible(request.user, Task.objects.filter(campaign=campaign))
    findings = access.filter_visible(request.user, Finding.objects.filter(campaign=campaign))
    status_counts = dict(tasks.values_list("status").annotate(n=Count("pk")).order_by())
    context.update(
        today=today,
        phase=current_phase(campaign, today),
        task_total=sum(status_counts.values()),
        task_status=[(label, status_counts.get(value, 0), value) for value, label in TaskStatus.choices],
        overdue_count=tasks.filter(overdue_q(today)).count(),
        due_soon_count=tasks.filter(due_soon_q(today, calendar)).count(),
        short_count=task_selectors.short_done(tasks).count(),  # 目标未达: completed below the target
        overdue_tasks=tasks.filter(overdue_q(today)).select_related("unit").order_by("deadline")[:10],
        open_findings=findings.filter(status__in=OPEN_FINDING_STATUSES).count(),
        # Overdue is the unit's: awaiting the unit past its deadline (a round waiting for review is not).
        overdue_findings=findings.filter(status__in=inspection_selectors.AWAITING_UNIT, rectify_deadline__lt=today).count(),
        recent_findings=findings.exclude(status=FindingStatus.WITHDRAWN)
        .select_related("unit", "indicator", "point")
        .order_by("-found_on", "-pk")[:8],
        orders=inspection_selectors.with_state(
            inspection_selectors.orders_for(request.user, campaign).order_by("-issued_at")[:5], today
        ),
        overdue_orders=inspection_selectors.overdue_orders(request.user, campaign, today),
    )
    if access.can(request.user, "inspections.record"):
        # Inspectors (and the office): today's inspections, last points, the review backlog.
        context["inspector"] = inspection_selectors.inspector_home(request.user, campaign, today)
    if access.sees_all_units(request.user):
        # The inspectors' review backlog, apart from the units' overdue (working days waited per round).
        context["review_backlog"] = inspection_selectors.review_backlog(request.user, campaign, today, calendar)
        # Office and leaders: the units with most overdue tasks and open findings.
        context["unit_overview"] = (
            tasks.values("unit__name")
            .annotate(
                total=Count("pk"),
                overdue=Count("pk", filter=overdue_q(today)),
                done=Count("pk", filter=done_q()),
            )
            .order_by("-overdue", "unit__name")[:10]
        )
    if access.is_official(request.user):
        # 材料审核: what the unit still owes (a small card, materials/_home_card.html).
        context["materials_owed"] = material_selectors.owed_by(request.user, campaign, today=today)
    return render(request, "home.html", context)
