"""Thin views for appeals (申诉) and the 督办单 回执 PDF; rules live in services / lifecycle."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaign import access, downloads
from campaign.periods import file_name
from campaign.selectors import current_campaign
from campaign.uploads import file_response

from . import lifecycle, renderers, selectors, services
from .forms_appeals import AppealDecisionForm, AppealForm
from .models import Appeal, AppealEvidence, Finding

PAGE_SIZE = 50


def appeal_context(user: Any, finding: Finding, today: Any = None) -> dict[str, Any]:
    """What the finding page shows about appeals: the appeal with its history, or whether one can be made."""
    today = today or timezone.localdate()
    try:
        appeal = finding.appeal
    except Finding.appeal.RelatedObjectDoesNotExist:
        appeal = None
    deadline = services.appeal_deadline(finding) if appeal is None and finding.status != "withdrawn" else None
    return {
        "appeal": appeal,
        "appeal_history": list(appeal.history.select_related("history_user").order_by("history_date")) if appeal else [],
        "appeal_deadline": deadline,
        "can_appeal": deadline is not None and today <= deadline and access.can(user, "inspections.appeal", finding),
        "can_decide_appeal": appeal is not None and appeal.is_open and access.can(user, "inspections.manage"),
        "decision_form": AppealDecisionForm(),
    }


@login_required
def appeal_create(request: HttpRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_detail(request.user, pk)
    if not access.can(request.user, "inspections.appeal", finding):
        raise Http404("未找到该对象，或您无权操作。")
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_submit(
                official=request.user, finding=finding, reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data["evidence"] or [], request=request,
            )
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            messages.success(request, "申诉已提交，创建办裁定后会通知您。")
            return redirect(finding.get_absolute_url() + "#appeal")
    return render(request, "inspections/appeal_form.html", {
        "finding": finding, "form": form, "deadline": services.appeal_deadline(finding),
    })


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = access.get_visible_or_404(request.user, Appeal.objects.select_related("finding"), pk=pk)
    if not access.can(request.user, "inspections.manage"):
        raise Http404("未找到该对象，或您无权操作。")
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(appeal.get_absolute_url())
    d = form.cleaned_data
    try:
        services.appeal_decide(actor=request.user, appeal=appeal, outcome=d["outcome"], reason=d["reason"],
                               new_points=d["new_points"] or None, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        appeal.refresh_from_db()
        messages.success(request, f"申诉已裁定：{appeal.summary}。")
    return redirect(appeal.get_absolute_url())


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    qs = selectors.appeals_for(request.user, campaign)
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/appeal_list.html", {"page": page, "status": status})


@login_required
def appeal_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    stored = access.get_visible_or_404(request.user, AppealEvidence.objects.all(), field="appeal__unit", pk=pk)
    return file_response(stored, request=request, inline=request.GET.get("download") != "1")


@login_required
def order_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """督办单回执: the unit's reply, each finding with its rectification rounds, as PDF."""
    order = selectors.order_detail(request.user, pk)
    today = timezone.localdate()
    return downloads.send(
        request, renderers.order_receipt_pdf(order, today=today), filename=file_name(f"{order.label}回执", "pdf"),
        content_type="application/pdf", obj=order, what="下载督办单回执",
    )


def order_state_for(order: Any, today: Any = None) -> str:
    return lifecycle.order_state(order.findings.all(), today or timezone.localdate())
