"""Thin views: access-checking fetch (404 for other units), form, service, redirect."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from campaign import access, downloads, sorting
from campaign.excel import SCORE_FORMAT, STREAM_CHUNK_ROWS, stream_table
from campaign.models import Campaign, Indicator, InspectionPoint, PointType
from campaign.periods import file_name, is_month_published, month_label
from campaign.paging import CappedPaginator
from campaign.selectors import current_campaign
from campaign.uploads import file_response

from . import deductions, exports, renderers, selectors, services, views_appeals
from .forms import (
    AccountabilityForm,
    BonusForm,
    CorrectionForm,
    FindingForm,
    InspectionForm,
    OrderForm,
    RectifyForm,
    ReviewForm,
    WithdrawForm,
)
from .models import (
    Accountability,
    Bonus,
    BonusStatus,
    CheckResult,
    Correction,
    Finding,
    FindingPhoto,
    FindingStatus,
    Inspection,
    Rectification,
    RectificationPhoto,
    RectificationStatus,
)

PAGE_SIZE = 50
FINDINGS_COUNT_CAP = 10_000  # the findings list counts up to this many (campaign.paging)
POINT_PAGE_SIZE = 20
RECTIFICATION_ROWS = 50


def _campaign(request: HttpRequest) -> Campaign:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _require_office(request: HttpRequest) -> None:
    """Inspection events are office business; officials get a 404 as for any object not theirs."""
    if not access.sees_all_units(request.user):
        raise Http404("未找到该页面，或您无权查看。")


def _require_perm(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not access.can(request.user, perm, obj):
        # Readers (leaders) and other units' officials get the same answer as for a missing object.
        raise Http404("未找到该对象，或您无权操作。")


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    for msg in exc.messages:
        form.add_error(None, msg)


def _inspection_or_404(request: HttpRequest, pk: int) -> Inspection:
    _require_office(request)
    return get_object_or_404(Inspection.objects.select_related("campaign", "special_action"), pk=pk)


# --- inspections -----------------------------------------------------------------


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    campaign = _campaign(request)
    page = Paginator(selectors.inspections_for(request.user, campaign), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/inspection_list.html", {
        "campaign": campaign, "page": page, "can_record": access.can(request.user, "inspections.record"),
        "can_manage": access.can(request.user, "inspections.manage"),
    })


@login_required
def inspection_create(request: HttpRequest) -> HttpResponse:
    _require_perm(request, "inspections.record")
    campaign = _campaign(request)
    form = InspectionForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = services.inspection_create(
                creator=request.user, campaign=campaign, kind=d["kind"], source_level=d["source_level"], date=d["date"],
                title=d["title"], scope=d["scope"], special_action=d["special_action"], inspectors=d["inspectors"],
                request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "检查已创建，可以开始登记问题。")
            return redirect("inspections-detail", inspection.pk)
    return render(request, "inspections/inspection_form.html", {"form": form})


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_or_404(request, pk)
    findings = selectors.findings_for(request.user, inspection.campaign).filter(inspection=inspection)
    return render(request, "inspections/inspection_detail.html", {
        "inspection": inspection,
        "findings": findings,
        "visited": inspection.points.select_related("point_type", "unit"),
        "inspectors": inspection.inspectors.all(),
        "can_record": access.can(request.user, "inspections.record"),
        "today": timezone.localdate(),
    })


# --- finding form and its search fragments -----------------------------------------------


@login_required
def finding_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require_perm(request, "inspections.record")
    inspection = _inspection_or_404(request, pk)
    form = FindingForm(request.POST or None, request.FILES or None, campaign=inspection.campaign)
    if request.method == "GET" and request.GET.get("point"):
        form.initial["point"] = request.GET["point"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            finding = services.finding_create(
                inspector=request.user, inspection=inspection, point=d["point"], unit=d["unit"],
                indicator=d["indicator"], description=d["description"], points=d["points"], photos=d["photos"],
                client_token=d["client_token"], request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"问题已登记：{finding.unit.display_name} 扣 {finding.points} 分，整改时限 {finding.rectify_deadline:%Y-%m-%d}。")
            if request.POST.get("next") == "again":
                return redirect(f"{request.path}?point={finding.point_id or ''}")
            return redirect("inspections-finding-detail", finding.pk)
    chosen_point_id = form["point"].value()
    chosen_point = (InspectionPoint.objects.select_related("unit", "point_type").filter(pk=chosen_point_id).first()
                    if str(chosen_point_id or "").isdigit() else None)
    point_indicators: list[Indicator] = []
    if chosen_point is not None and not form.is_bound:
        # Opened at a point (from the home page, or 保存并继续): its type's standards, one tap each;
        # a type with a single standard has it chosen already (before the field's value is first read).
        point_indicators = selectors.checklist_indicators(inspection.campaign, chosen_point)
        if len(point_indicators) == 1:
            form.initial["indicator"] = point_indicators[0].pk
            point_indicators = []
    chosen_indicator_id = form["indicator"].value()
    chosen_indicator = (Indicator.objects.filter(pk=chosen_indicator_id, campaign=inspection.campaign).first()
                        if str(chosen_indicator_id or "").isdigit() else None)
    if chosen_indicator is not None:
        point_indicators = []
    elif form.is_bound and chosen_point is not None:
        point_indicators = selectors.checklist_indicators(inspection.campaign, chosen_point)
    return render(request, "inspections/finding_form.html", {
        "inspection": inspection, "form": form, "chosen_point": chosen_point, "chosen_indicator": chosen_indicator,
        "point_indicators": point_indicators, "point_types": PointType.objects.all(),
    })


def _id_param(request: HttpRequest, name: str) -> int:
    """The id in query parameter ``name``: 0 when absent (matches nothing), 404 when not a number."""
    value = request.GET.get(name) or ""
    if not value:
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Http404("参数不是有效的编号")
    return int(value)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
def point_search(request: HttpRequest) -> HttpResponse:
    """htmx fragment: points by what is typed (``q``) and type, a page at a time with a "more" button,
    or the nearest to the phone's location (lat/lng)."""
    _require_office(request)
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    context: dict[str, Any] = {"more": request.GET.get("more") == "1"}
    if lat is not None and lng is not None:
        context["rows"] = selectors.nearest_points(lat, lng)
        context["nearby"] = True
    else:
        type_id = request.GET.get("type", "")
        q = request.GET.get("q", "")[:100]
        page = Paginator(selectors.search_points(q, int(type_id) if type_id.isdigit() else None), POINT_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context.update(rows=[(p, None) for p in page], total=page.paginator.count)
        if page.has_next():
            params = {"q": q, "type": type_id, "page": page.next_page_number(), "more": "1"}
            context["next_url"] = f"{request.path}?{urlencode({k: v for k, v in params.items() if v})}"
            context["remaining"] = page.paginator.count - page.end_index()
    return render(request, "inspections/_point_results.html", context)


@login_required
def indicator_search(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    # The finding form asks for its inspection's campaign, which may not be the one chosen in the menu.
    inspection = Inspection.objects.select_related("campaign").filter(pk=_id_param(request, "inspection")).first()
    campaign = inspection.campaign if inspection else _campaign(request)
    if request.GET.get("for") == "point":
        return _point_indicators(request, campaign)
    return render(request, "inspections/_indicator_results.html", {
        "indicators": selectors.search_indicators(campaign, request.GET.get("q", "")),
    })


def _point_indicators(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """After a point is picked on 登记问题: its type's standards, one tap each; a type with one standard
    picks it (swapped into the form out of band, then the suggested points follow the "pick" event).
    Nothing once a standard has been chosen."""
    point = InspectionPoint.objects.filter(pk=_id_param(request, "point")).first()
    if point is None or str(request.GET.get("indicator") or "").isdigit():
        return HttpResponse("")
    indicators = selectors.checklist_indicators(campaign, point)
    if len(indicators) == 1:
        response = render(request, "inspections/_indicator_auto.html", {"indicator": indicators[0]})
        response["HX-Trigger-After-Settle"] = "pick"
        return response
    return render(request, "inspections/_indicator_results.html", {"indicators": indicators, "for_point": point})


@login_required
def points_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: the points the rules suggest for the chosen point and indicator."""
    inspection = _inspection_or_404(request, pk)
    indicator = Indicator.objects.filter(campaign=inspection.campaign, pk=_id_param(request, "indicator")).first()
    point = InspectionPoint.objects.filter(pk=_id_param(request, "point")).first()
    suggestion, error = None, ""
    if indicator is not None:
        try:
            suggestion = deductions.suggest(
                campaign=inspection.campaign, source_level=inspection.source_level, point=point, indicator=indicator,
                found_on=inspection.date,
            )
        except ValidationError as exc:
            error = "；".join(exc.messages)
    return render(request, "inspections/_suggestion.html", {"suggestion": suggestion, "error": error, "indicator": indicator})


# --- checklist ----------------------------------------------------------------------------


@dataclass
class _ChecklistEntry:
    """What was posted for one standard, re-shown when the round is refused (nothing is lost but the photos)."""

    result: str = ""
    description: str = ""
    points: str = ""
    photo_count: int = 0
    error: str = ""


def _item_error(message: str, codes: dict[str, int]) -> int | None:
    """The standard a service message names (``指标 1.2.1：…``), so the error shows at that item."""
    for code, pk in sorted(codes.items(), key=lambda pair: -len(pair[0])):
        if message.startswith(f"指标 {code}：") or message.startswith(f"指标 {code} "):
            return pk
    return None


@login_required
def checklist(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    _require_perm(request, "inspections.record")
    inspection = _inspection_or_404(request, pk)
    point = get_object_or_404(InspectionPoint.objects.select_related("unit", "point_type"), pk=point_pk)
    indicators = selectors.checklist_indicators(inspection.campaign, point)
    errors: list[str] = []
    entries: dict[int, _ChecklistEntry] = {}
    if request.method == "POST":
        items = []
        for ind in indicators:
            entry = entries[ind.pk] = _ChecklistEntry(
                result=request.POST.get(f"result_{ind.pk}", ""), description=request.POST.get(f"desc_{ind.pk}", "").strip(),
                points=request.POST.get(f"points_{ind.pk}", "").strip(),
                photo_count=len(request.FILES.getlist(f"photos_{ind.pk}")),
            )
            if not entry.result:
                continue
            if entry.result not in CheckResult.values:
                entry.error = "检查结果无效，请重新选择。"
                continue
            points = None
            if entry.points:
                try:
                    points = Decimal(entry.points)
                except InvalidOperation:
                    entry.error = f"扣分“{entry.points}”不是数字。"
                    continue
            items.append(services.ChecklistItem(
                indicator=ind, result=entry.result, description=entry.description,
                points=points, photos=request.FILES.getlist(f"photos_{ind.pk}"),
            ))
        if not items and not any(e.error for e in entries.values()):
            errors.append("请至少标记一项检查结果。")
        if not errors and not any(e.error for e in entries.values()):
            try:
                checks = services.checklist_record(
                    inspector=request.user, inspection=inspection, point=point, items=items, request=request
                )
            except ValidationError as exc:
                codes = {ind.code: ind.pk for ind in indicators}
                for message in exc.messages:
                    at = _item_error(message, codes)
                    if at is None:
                        errors.append(message)
                    else:
                        entries[at].error = message.split("：", 1)[-1]
            else:
                failed = sum(1 for c in checks if c.finding_id)
                messages.success(request, f"{point.name}：已检查 {len(checks)} 项，其中不合格 {failed} 项已登记为问题。")
                return redirect("inspections-detail", inspection.pk)
        flagged = [ind for ind in indicators if entries[ind.pk].error]
        if flagged:
            errors.insert(0, "本轮检查结果未保存：" + "、".join(ind.code for ind in flagged) + " 需要修改（见各项的红字）。")
        reselect = [ind.code for ind in indicators if entries[ind.pk].photo_count]
        if reselect:
            errors.append("已填写的结果和描述均已保留；照片无法由浏览器保留，请为 " + "、".join(reselect) + " 重新选择照片。")
    done = selectors.checks_at(inspection, point)
    return render(request, "inspections/checklist.html", {
        "inspection": inspection, "point": point, "errors": errors,
        "rows": [(ind, done.get(ind.pk), entries.get(ind.pk) or _ChecklistEntry()) for ind in indicators],
        "pass_rate": selectors.pass_rate(list(done.values())),
        "choices": CheckResult.choices,
    })


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    """The point-type × standard matrix of the campaign (which standards each point type is checked on)."""
    _require_perm(request, "inspections.manage")
    campaign = _campaign(request)
    leaves = list(Indicator.objects.filter(campaign=campaign, level=3).prefetch_related("point_types").order_by("order", "code"))
    types = list(PointType.objects.all())
    if request.method == "POST":
        pairs = set()
        for key in request.POST.getlist("cell"):
            ind_id, _, type_id = key.partition("-")
            if ind_id.isdigit() and type_id.isdigit():
                pairs.add((int(ind_id), int(type_id)))
        changed = services.point_type_matrix_update(actor=request.user, campaign=campaign, pairs=pairs, request=request)
        messages.success(request, f"已保存，变更 {changed} 项。")
        return redirect("inspections-matrix")
    rows = [(ind, {pt.pk for pt in ind.point_types.all()}) for ind in leaves]
    return render(request, "inspections/matrix.html", {"campaign": campaign, "rows": rows, "types": types})


# --- findings ---------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[selectors.FindingFilters, dict[str, str]]:
    return exports.filters_from(request.GET)


def _options(pairs, selected: str) -> SafeString:
    """``<option>``s for (value, label) pairs, escaped, the one equal to ``selected`` selected.

    ``html.escape`` is what Django's ``escape`` calls; called directly, 1,300 options (1,000 units,
    300 standards) take a sixth of ``format_html_join``'s time (with the same markup: tests/test_issue14_single_user.py)."""
    return mark_safe("".join(
        f'<option value="{escape(str(value))}"{" selected" if str(value) == selected else ""}>{escape(str(label))}</option>'
        for value, label in pairs
    ))


FINDING_COLUMNS = (
    sorting.Column("编号"), sorting.Column("日期", "date", first="desc"), sorting.Column("责任单位", "unit"),
    sorting.Column("点位"), sorting.Column("指标"), sorting.Column("问题"),
    sorting.Column("扣分", "points", number=True, first="desc"), sorting.Column("整改时限"), sorting.Column("状态", "status"),
)


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    filters, raw = _filters(request)
    qs = selectors.findings_for(request.user, campaign, filters)
    sort = sorting.chosen(request.GET, selectors.FINDING_SORTS, "-date")
    qs = qs.order_by(*sorting.ordering(sort, selectors.FINDING_SORTS))
    page = CappedPaginator(qs, PAGE_SIZE, cap=FINDINGS_COUNT_CAP).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={quote(v)}" for k, v in raw.items() if v)
    # The pager keeps the sort; the exports keep the filters only (they have their own order).
    page_query = "&".join(p for p in (query, "" if sort.value == "-date" else f"sort={quote(sort.value)}") if p)
    units = list(access.visible_units(request.user).filter(is_active=True).values_list("pk", "name"))
    indicators = Indicator.objects.filter(campaign=campaign, level=3).order_by("order", "code")
    return render(request, "inspections/finding_list.html", {
        "campaign": campaign, "page": page, "raw": raw, "query": query, "page_query": page_query, "unit_count": len(units),
        "sort": sort.value, "headers": sorting.headers(FINDING_COLUMNS, sort, request.GET),
        # 1,000 units and 300 standards: options written in one pass, not a template loop each (~0.3 s).
        "unit_options": _options(units, raw["unit"]),
        "indicator_options": _options(
            ((pk, f"{code} {Truncator(name).chars(12)}") for pk, code, name in indicators.values_list("pk", "code", "name")),
            raw["indicator"]),
        "statuses": FindingStatus.choices, "months": campaign.months(),
        "sees_all": access.sees_all_units(request.user),
        "inspectors": selectors.staff_users() if access.sees_all_units(request.user) else [],
        "today": timezone.localdate(),
    })


@login_required
def finding_export_xlsx(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    filters, raw = _filters(request)
    qs = selectors.findings_for(request.user, campaign, filters)
    total = qs.count()
    if total > settings.EXPORT_STREAM_MAX_ROWS:
        # Too large for a web request: offer a report job (written by a worker, downloaded when ready).
        return render(request, "reports/export_large.html", {
            "kind": "findings-xlsx", "what": "问题清单", "total": total, "limit": settings.EXPORT_STREAM_MAX_ROWS,
            "params": [(key, value) for key, value in raw.items() if value], "back": reverse("inspections-findings"),
        })
    # Streamed: rows read as tuples in chunks, written into a write-only workbook in a temporary file.
    return stream_table(
        request, title="问题清单", headers=renderers.FINDING_HEADERS,
        rows=renderers.finding_export_rows(qs, chunk_size=STREAM_CHUNK_ROWS), number_formats={9: SCORE_FORMAT},
        filename=exports.export_filename(timezone.localdate()), what="导出问题清单",
    )


@login_required
def finding_export_pdf(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    filters, _ = _filters(request)
    findings = list(selectors.with_photos(selectors.findings_for(request.user, campaign, filters))[: renderers.MAX_PDF_FINDINGS + 1])
    subtitle = month_label(filters.month) if filters.month else f"导出日期 {timezone.localdate():%Y-%m-%d}"
    data = renderers.findings_pdf(findings, title=f"{campaign.name}问题清单", subtitle=subtitle)
    return downloads.send(request, data, filename=file_name("问题清单", "pdf", day=timezone.localdate()), content_type="application/pdf", what="导出问题清单PDF")


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_detail(request.user, pk)
    rounds = list(finding.rectifications.all())
    pending = next((r for r in rounds if r.status == RectificationStatus.PENDING), None)
    month_open = not is_month_published(finding.campaign_id, finding.month)
    try:
        penalty = finding.overdue_penalty
    except Finding.overdue_penalty.RelatedObjectDoesNotExist:
        penalty = None
    return render(request, "inspections/finding_detail.html", {
        "finding": finding, "rounds": rounds, "pending": pending, "penalty": penalty, "month_open": month_open,
        "today": timezone.localdate(),
        "can_withdraw": month_open and finding.status != FindingStatus.WITHDRAWN
        and access.can(request.user, "inspections.withdraw_finding", finding),
        "can_rectify": finding.status in (FindingStatus.OPEN, FindingStatus.RETURNED)
        and access.can(request.user, "inspections.submit_rectification", finding),
        "can_review": pending is not None and access.can(request.user, "inspections.review_rectification", finding),
        "can_issue": access.can(request.user, "inspections.issue_order"),
        "has_order": bool(finding.orders.all()),  # prefetched
        "can_see_inspection": access.sees_all_units(request.user),  # inspection pages are the office's
        "can_record": access.can(request.user, "inspections.record"),
        "can_manage": access.can(request.user, "inspections.manage"),
        **views_appeals.appeal_context(request.user, finding),
    })


@login_required
@require_POST
def finding_photos_add(request: HttpRequest, pk: int) -> HttpResponse:
    """More photos for a finding (a weak signal may have lost them the first time)."""
    _require_perm(request, "inspections.record")
    finding = access.get_visible_or_404(request.user, Finding.objects.all(), pk=pk)
    photos = request.FILES.getlist("photos")
    if not photos:
        messages.error(request, "请选择要上传的照片。")
        return redirect(finding)
    try:
        stored = services.finding_add_photos(actor=request.user, finding=finding, photos=photos, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已补充照片 {len(stored)} 张。")
    return redirect(finding)


@login_required
@require_POST
def finding_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    finding = access.get_visible_or_404(request.user, Finding.objects.all(), pk=pk)
    _require_perm(request, "inspections.withdraw_finding", finding)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销问题必须填写原因。")
        return redirect(finding)
    try:
        services.finding_withdraw(actor=request.user, finding=finding, reason=form.cleaned_data["reason"], request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "问题已撤销，记录和原因予以保留。")
    return redirect(finding)


@login_required
def photo_download(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Serve a photo after checking the user may see its finding (404 for other units)."""
    if kind == "finding":
        photo = access.get_visible_or_404(request.user, FindingPhoto.objects.all(), field="finding__unit", pk=pk)
    elif kind == "rectification":
        photo = access.get_visible_or_404(
            request.user, RectificationPhoto.objects.all(), field="rectification__finding__unit", pk=pk
        )
    else:
        raise Http404("未知的照片类型。")
    return file_response(photo, request=request, inline=request.GET.get("download") != "1")


# --- rectification ----------------------------------------------------------------


@login_required
def rectify(request: HttpRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_detail(request.user, pk)
    _require_perm(request, "inspections.submit_rectification", finding)
    form = RectifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.rectification_submit(
                official=request.user, finding=finding, description=d["description"], before_photos=d["before_photos"],
                after_photos=d["after_photos"], request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "整改情况已提交，等待督查员验收。")
            return redirect(finding)
    return render(request, "inspections/rectify.html", {"finding": finding, "form": form})


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    rect = access.get_visible_or_404(
        request.user, Rectification.objects.select_related("finding"), field="finding__unit", pk=pk
    )
    _require_perm(request, "inspections.review_rectification", rect.finding)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect(rect.finding)
    try:
        services.rectification_review(
            reviewer=request.user, rectification=rect, accept=form.cleaned_data["decision"] == "accept",
            comment=form.cleaned_data["comment"], request=request,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已验收通过，问题销号。" if form.cleaned_data["decision"] == "accept" else "已退回整改。")
    return redirect(rect.finding)


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    today = timezone.localdate()
    # The 50 most urgent of each group; the full lists are the filtered findings list.
    groups = selectors.rectification_sections(request.user, campaign, today, limit=RECTIFICATION_ROWS)
    sections = [
        ("逾期未整改", groups["overdue"], "overdue=1", True),
        ("待验收", groups["awaiting_review"], "status=submitted", False),
        ("待单位整改（含退回）", groups["awaiting_unit"], "status=open", False),
    ]
    return render(request, "inspections/rectification_list.html", {
        "campaign": campaign, "today": today, "limit": RECTIFICATION_ROWS,
        # The inspectors' own delay, apart from the units' overdue (working days waited per round).
        "backlog": selectors.review_backlog(request.user, campaign, today) if access.sees_all_units(request.user) else None,
        "sections": [(title, group.findings, group.total, query, urgent) for title, group, query, urgent in sections],
    })


@login_required
def point_history(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request)
    point = get_object_or_404(InspectionPoint.objects.select_related("unit", "point_type"), pk=pk)
    # An official sees the history of points their unit looks after (包保), like other unit objects.
    if not access.can(request.user, "campaign.view_unit_object", point):
        raise Http404("未找到该点位，或您无权查看。")
    return render(request, "inspections/point_history.html", {
        "point": point, "findings": selectors.point_history(point, campaign)[:200],
    })


# --- supervision orders -------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    orders, today = selectors.orders_for(request.user, campaign), timezone.localdate()
    state = request.GET.get("state", "")
    if state in selectors.ORDER_STATE_FILTERS:
        # 未办结 / 逾期 (the cockpit's figures link here): the state is derived per order, so filter after it.
        page = Paginator(selectors.orders_in_state(orders, state, today), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        state = ""
        page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = selectors.with_state(page.object_list, today)  # 已下发/办理中/已办结/逾期
    return render(request, "inspections/order_list.html", {
        "page": page, "can_issue": access.can(request.user, "inspections.issue_order"),
        "state_label": selectors.ORDER_STATE_FILTERS[state] if state else "",
    })


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    """督办单: pick the unit (a reload with ?unit=, by htmx on change), then tick its findings awaiting an order."""
    _require_perm(request, "inspections.issue_order")
    campaign = _campaign(request)
    initial: dict[str, Any] = {}
    prefill = None
    if request.GET.get("finding", "").isdigit():
        prefill = Finding.objects.filter(pk=request.GET["finding"], campaign=campaign).prefetch_related("orders").first()
    if prefill is not None:
        initial = {"unit": prefill.unit_id, "findings": [prefill.pk]}
    elif request.GET.get("unit", "").isdigit():
        initial = {"unit": int(request.GET["unit"])}
    form = OrderForm(request.POST or None, campaign=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            order = services.order_issue(
                issuer=request.user, unit=d["unit"], findings=list(d["findings"]),
                deadline_working_days=d["deadline_working_days"] if not d["deadline"] else None, deadline=d["deadline"],
                requirements=d["requirements"], request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"{order.label} 已签发给{order.unit.name}。")
            return redirect(order)
    unit_id = form["unit"].value()
    return render(request, "inspections/order_form.html", {
        "form": form, "unit_chosen": str(unit_id or "").isdigit(),
        "prefill_orders": list(prefill.orders.all()) if prefill is not None else [],
    })


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_detail(request.user, pk)
    (order,) = selectors.with_state([order], timezone.localdate())
    return render(request, "inspections/order_detail.html", {"order": order, "findings": order.findings.all(),
                                                              "today": timezone.localdate()})


@login_required
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_detail(request.user, pk)
    return downloads.send(
        request, renderers.order_pdf(order), filename=file_name(order.label, "pdf"), content_type="application/pdf", obj=order,
        what="下载督办单",
    )


# --- corrections, bonuses, accountability ----------------------------------------------


@login_required
def adjustments(request: HttpRequest) -> HttpResponse:
    """Corrections, bonuses and 问责 records of the campaign (officials: their own unit)."""
    campaign = _campaign(request)
    user = request.user
    return render(request, "inspections/adjustments.html", {
        "corrections": access.filter_visible(user, Correction.objects.filter(campaign=campaign)).select_related("unit", "finding", "created_by")[:200],
        "bonuses": access.filter_visible(user, Bonus.objects.filter(campaign=campaign)).select_related("unit", "created_by", "approved_by")[:200],
        "records": access.filter_visible(user, Accountability.objects.filter(campaign=campaign)).select_related("unit").prefetch_related("findings")[:200],
        "can_manage": access.can(user, "inspections.manage"), "can_record": access.can(user, "inspections.record"),
    })


def _simple_form_view(request: HttpRequest, form: Any, title: str, save: Any) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"{title}已保存。")
            return redirect("inspections-adjustments")
    return render(request, "inspections/simple_form.html", {"form": form, "title": title})


@login_required
def correction_create(request: HttpRequest) -> HttpResponse:
    _require_perm(request, "inspections.manage")
    campaign = _campaign(request)
    form = CorrectionForm(request.POST or None, campaign=campaign)
    return _simple_form_view(request, form, "更正记录", lambda d: services.correction_create(
        actor=request.user, campaign=campaign, unit=d["unit"], month=d["month"], points=d["points"], reason=d["reason"],
        finding=d["finding"], request=request,
    ))


@login_required
def bonus_create(request: HttpRequest) -> HttpResponse:
    _require_perm(request, "inspections.record")
    campaign = _campaign(request)
    form = BonusForm(request.POST or None)
    return _simple_form_view(request, form, "加分申报", lambda d: services.bonus_create(
        actor=request.user, campaign=campaign, unit=d["unit"], month=d["month"], points=d["points"], reason=d["reason"],
        request=request,
    ))


@login_required
@require_POST
def bonus_approve(request: HttpRequest, pk: int) -> HttpResponse:
    _require_perm(request, "inspections.manage")
    bonus = get_object_or_404(Bonus, pk=pk, status=BonusStatus.PENDING)
    try:
        services.bonus_approve(approver=request.user, bonus=bonus, approve=request.POST.get("approve") == "1", request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"加分已{bonus.get_status_display()}。")
    return redirect("inspections-adjustments")


@login_required
def accountability_create(request: HttpRequest) -> HttpResponse:
    _require_perm(request, "inspections.manage")
    campaign = _campaign(request)
    initial: dict[str, Any] = {}
    prefill = Finding.objects.filter(campaign=campaign, pk=_id_param(request, "finding")).first()
    if prefill is not None:
        # Opened from a finding (often an overdue one): the unit and the finding are filled in.
        initial = {"unit": prefill.unit_id, "findings": str(prefill.pk),
                   "reason": f"问题 #{prefill.pk}（{prefill.indicator.code}）{prefill.description[:40]}"
                   + ("，逾期未整改" if prefill.rectify_deadline < timezone.localdate()
                      and prefill.status in selectors.OPEN_STATUSES else "")}
    form = AccountabilityForm(request.POST or None, initial=initial)

    def save(d: dict[str, Any]) -> Accountability:
        findings = list(Finding.objects.filter(campaign=campaign, pk__in=d["findings"]))
        missing = set(d["findings"]) - {f.pk for f in findings}
        if missing:
            raise ValidationError(f"找不到编号为 {', '.join(map(str, sorted(missing)))} 的问题。")
        return services.accountability_create(
            actor=request.user, campaign=campaign, unit=d["unit"], kind=d["kind"], date=d["date"], reason=d["reason"],
            person_name=d["person_name"], findings=findings, request=request,
        )

    return _simple_form_view(request, form, "问责记录", save)
