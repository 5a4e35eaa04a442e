"""工作总结: a unit official (for their own unit) or the office (for any unit or the whole city) asks
for a .docx draft; a report job writes it (``reports/summary.py``, ``reports/word.py``) and the job
page follows its progress and offers the audited download (``job_services.may_open``)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from campaign import access
from campaign.models import Unit, month_start
from campaign.selectors import current_campaign

from . import job_services
from .forms import SummaryForm
from .job_views import to_job_page
from .models import ReportJob, ReportKind
from .summary import may_request_summary, scope_bounds, summary_params

NOT_FOUND = "未找到该页面，或您无权查看。"


def _units_for(user) -> tuple[list[Unit], bool]:
    """The units whose summary ``user`` may ask for, and whether the whole city's too."""
    if access.can(user, "reports.request"):
        return list(Unit.objects.filter(is_active=True).order_by("path")), True
    if access.is_official(user):
        return list(access.visible_units(user).filter(is_active=True).order_by("path")), False
    return [], False


@login_required
def summary_page(request: HttpRequest) -> HttpResponse:
    """The form, and the summaries this person asked for (newest first)."""
    campaign = current_campaign(request)
    units, city = _units_for(request.user)
    if campaign is None or not (units or city):
        raise Http404(NOT_FOUND)
    if request.method == "POST":
        # Another unit's id is a 404, like opening another unit's object (never a form error that confirms it exists).
        posted = request.POST.get("unit", "")
        chosen = Unit.objects.filter(pk=posted).first() if posted.isdigit() else None
        if (posted and chosen is None) or not may_request_summary(request.user, chosen):
            raise Http404(NOT_FOUND)
    today = timezone.localdate()
    form = SummaryForm(request.POST or None, campaign=campaign, units=units, city=city, today=today,
                       initial={"unit": str(units[0].pk) if units and not city else "", "year": str(today.year)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(pk=data["unit"]).first() if data["unit"] else None
        scope = data["scope"]
        values = {"month": data.get("month") if scope == "month" else None,
                  "phase": data.get("phase") if scope == "phase" else None,
                  "year": data.get("year") if scope == "year" else None}
        try:
            start, _end, _label = scope_bounds(campaign=campaign, scope=scope, **values)
            job, created = job_services.report_job_request(
                kind=ReportKind.SUMMARY_DOCX, campaign=campaign, month=month_start(start), user=request.user,
                params=summary_params(scope=scope, unit=unit, **values), request=request,
            )
        except PermissionDenied:
            raise Http404(NOT_FOUND) from None
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return to_job_page(request, job, created, submitted="工作总结正在生成，完成后可在本页下载。",
                               same="相同的工作总结正在生成中，已为您打开该任务。")
    jobs = ReportJob.objects.filter(campaign=campaign, kind=ReportKind.SUMMARY_DOCX, requested_by=request.user)[:20]
    names = dict(Unit.objects.filter(pk__in={j.params.get("unit") for j in jobs if j.params.get("unit")}).values_list("pk", "name"))
    rows = [(job, names.get(job.params.get("unit"), f"全市（{campaign.city_name}创建办）")) for job in jobs]
    return render(request, "reports/summary.html", {"campaign": campaign, "form": form, "rows": rows})
