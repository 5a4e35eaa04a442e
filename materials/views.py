"""Views of 材料审核: thin — access-checked fetch, form, service, redirect.

A unit official sees and submits only for their own units (another unit's page is a 404); the
office and leaders read every unit; the office (and inspectors where the campaign allows) reviews.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign import access, uploads
from campaign.models import Unit
from campaign.selectors import current_campaign

from . import selectors, services
from .forms import RequirementForm, ReviewForm, ScoreForm, SettingsForm, SubmissionForm
from .models import MaterialScore, MaterialSettings, Requirement, RequirementItem, ReviewStatus, Submission, SubmissionFile


def _campaign_or_404(request: HttpRequest) -> Any:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


def _requirement_or_404(request: HttpRequest, pk: int) -> Requirement:
    campaign = _campaign_or_404(request)
    return get_object_or_404(Requirement.objects.select_related("indicator", "phase", "campaign"), pk=pk, campaign=campaign)


def _unit_or_404(request: HttpRequest, requirement: Requirement, unit_pk: int) -> Unit:
    """A unit named on the requirement that the user may see (another unit: 404)."""
    unit = access.get_visible_or_404(request.user, Unit.objects.all(), field="", pk=unit_pk)
    if not requirement.units.filter(pk=unit.pk).exists():
        raise Http404("该单位不是此标准的申报单位。")
    return unit


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """材料审核: the completeness matrix (officials: their own units' columns and what they owe)."""
    campaign = _campaign_or_404(request)
    today = timezone.localdate()
    phase_id = request.GET.get("phase")
    phase_id = int(phase_id) if phase_id and phase_id.isdigit() else None
    sees_all = access.sees_all_units(request.user)
    units = None if sees_all else list(access.own_units(request.user).order_by("path"))
    matrix = selectors.completeness(campaign, today=today, phase_id=phase_id, units=units)
    if not sees_all:
        # An official's rows: only the standards their units are named on.
        matrix.rows = [row for row in matrix.rows if any(c is not None for c in row.cells)]
    context = {
        "campaign": campaign, "matrix": matrix, "today": today, "phase_id": phase_id,
        "phases": campaign.phases.all(), "labels": selectors.CELL_LABELS,
        "owed": [] if sees_all else selectors.owed_by(request.user, campaign, today=today),
        "can_manage": access.can(request.user, "materials.manage"),
        "can_review": services.can_review(request.user, campaign),
        "can_export": bool(access.roles_of(request.user)),  # an official's archive holds only their units
        "pending": matrix.pending if sees_all else 0,  # read off the matrix: no query of its own
        "matrix_rows": matrix_rows_html(matrix),
        # The bottom row: each unit's tally under its name (on a phone a labelled line, not 40 alike).
        "unit_tallies": list(zip(matrix.units, matrix.unit_tallies)),
    }
    if context["can_manage"]:
        current = services.settings_for(campaign)
        context["settings_form"] = SettingsForm(initial={"inspectors_review": current.inspectors_review, "score_use": current.score_use})
    return render(request, "materials/index.html", context)


# A cell is its state's class and word (colours and the legend in static/css/app.css, .cw-matrix):
# 4,800 cells of 120 standards × 40 units, so every byte per cell is 5 KB of page.
_CELL_CLASS = {"accepted": "cw-ok", "submitted": "cw-wait", "overdue": "cw-late", "missing": "cw-miss"}


def matrix_rows_html(matrix: selectors.Matrix) -> str:
    """The matrix body as HTML, built in Python: 120 standards × 40 units are 4,800 cells, which the
    template engine renders in seconds (an include and a URL reversal per cell) and this in milliseconds.
    Every text is escaped; the cells link to the unit's page of the standard; ``data-label`` names
    the unit on a phone, where each standard is a card."""
    base = reverse("materials-unit", args=[0, 0]).rsplit("0/units/0/", 1)[0]
    # The parts that repeat are made once: per unit its cell's start and link end, per row and state
    # the class and link start; a cell is then three strings joined.
    heads = [f'<td data-label="{escape(u.display_name)}"' for u in matrix.units]
    ends = [f'{u.pk}/">' for u in matrix.units]
    closes = {state: f"{word}</a></td>" for state, word in selectors.CELL_LABELS.items()}
    parts = []
    for row in matrix.rows:
        req = row.requirement
        parts.append(
            f'<tr><td data-label="测评标准"><a href="{escape(req.get_absolute_url())}">{escape(req.indicator.code)} '
            f'{escape(req.indicator.name)}</a></td><td data-label="截止" class="text-nowrap">{req.deadline:%m-%d}</td>'
        )
        starts = {state: f' class="{css}"><a href="{base}{req.pk}/units/' for state, css in _CELL_CLASS.items()}
        for head, end, state in zip(heads, ends, row.cells):
            if state is None:
                parts.append(f'{head} class="cw-na">—</td>')
            else:
                parts.append(f"{head}{starts[state]}{end}{closes[state]}")
        pct = row.tally.accepted_pct
        parts.append(f'<td data-label="合格率">{"—" if pct is None else f"{pct}%"}</td></tr>')
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped parts above


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_or_404(request)
    if not access.sees_all_units(request.user):
        raise Http404
    return render(request, "materials/queue.html", {"campaign": campaign, "rounds": selectors.review_queue(campaign)[:300]})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Write or change a standard's 申报要求 (office admins)."""
    campaign = _campaign_or_404(request)
    if not access.can(request.user, "materials.manage"):
        raise Http404("未找到该页面，或您无权查看。")  # like every page a role may not open
    requirement = _requirement_or_404(request, pk) if pk else None
    initial = {}
    if requirement is not None:
        initial = {"phase": requirement.phase_id, "deadline": requirement.deadline, "items": services.items_text(requirement),
                   "units": list(requirement.units.values_list("pk", flat=True)), "note": requirement.note}
    elif request.GET.get("indicator", "").isdigit():
        initial = {"indicator": int(request.GET["indicator"])}
    form = RequirementForm(request.POST or None, campaign=campaign, initial=initial,
                           fixed_indicator=requirement.indicator if requirement else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.requirement_save(
                user=request.user, campaign=campaign, indicator=requirement.indicator if requirement else data["indicator"],
                deadline=data["deadline"], items=data["items"], units=list(data["units"]) or None, phase=data["phase"],
                note=data["note"], request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存“{saved}”的申报要求。")
            return redirect(saved.get_absolute_url())
    return render(request, "materials/requirement_form.html", {"form": form, "requirement": requirement, "campaign": campaign})


@login_required
@require_GET
def requirement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = _requirement_or_404(request, pk)
    today = timezone.localdate()
    units = list(access.filter_visible(request.user, requirement.units.all(), field="").order_by("path"))
    if not units:
        raise Http404("未找到该对象，或您无权查看。")
    if len(units) == 1 and not access.sees_all_units(request.user):
        return redirect("materials-unit", requirement.pk, units[0].pk)
    items = list(requirement.items.all())
    states = selectors.latest_states([requirement.pk], unit_ids=[u.pk for u in units])
    scores = {s.unit_id: s for s in MaterialScore.objects.filter(requirement=requirement)}
    rows = [
        {
            "unit": u,
            "items": [states.get((i.pk, u.pk)) for i in items],
            "cell": selectors.cell_state([states.get((i.pk, u.pk)) for i in items], deadline=requirement.deadline, today=today),
            "score": scores.get(u.pk),
        }
        for u in units
    ]
    return render(request, "materials/requirement.html", {
        "requirement": requirement, "items": items, "rows": rows, "labels": selectors.CELL_LABELS,
        "status_labels": dict(ReviewStatus.choices), "can_manage": access.can(request.user, "materials.manage"),
    })


@login_required
@require_GET
def unit_page(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """One unit's materials for one standard: every round of every item, the submit and review forms."""
    requirement = _requirement_or_404(request, pk)
    unit = _unit_or_404(request, requirement, unit_pk)
    return render(request, "materials/unit.html", _unit_context(request, requirement, unit))


def _unit_context(request: HttpRequest, requirement: Requirement, unit: Unit, bound: dict | None = None) -> dict:
    bound = bound or {}
    rounds = selectors.rounds_for(requirement, unit)
    can_submit = access.can(request.user, "materials.submit", unit)
    can_review = services.can_review(request.user, requirement.campaign)
    evidence, photos = selectors.unit_evidence(unit, requirement.campaign, indicator_id=requirement.indicator_id) if can_submit else ([], [])
    items = []
    for item in requirement.items.all():
        item_rounds = rounds.get(item.pk, [])
        last = item_rounds[-1] if item_rounds else None
        state = last.status if last else None
        entry = {
            "item": item, "rounds": item_rounds, "last": last, "state": state,
            "count": selectors.file_count(item_rounds),
        }
        if can_submit and state in selectors.OWED_STATES:
            entry["form"] = bound.get(("submit", item.pk)) or SubmissionForm(evidence=evidence, photos=photos, prefix=f"item{item.pk}")
        if can_review and state == ReviewStatus.PENDING:
            entry["review_form"] = bound.get(("review", last.pk)) or ReviewForm(prefix=f"review{last.pk}")
        items.append(entry)
    score = MaterialScore.objects.filter(requirement=requirement, unit=unit).first()
    context = {
        "requirement": requirement, "unit": unit, "items": items, "today": timezone.localdate(),
        "overdue": timezone.localdate() > requirement.deadline, "score": score,
        "can_manage": access.can(request.user, "materials.manage"),
    }
    if context["can_manage"]:
        context["score_form"] = bound.get("score") or ScoreForm(
            full=requirement.indicator.score, initial={"points": score.points if score else None, "note": score.note if score else ""}
        )
    return context


@login_required
@require_POST
def submit(request: HttpRequest, item_pk: int, unit_pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request)
    item = get_object_or_404(RequirementItem.objects.select_related("requirement__indicator", "requirement__campaign"),
                             pk=item_pk, requirement__campaign=campaign)
    requirement = item.requirement
    unit = _unit_or_404(request, requirement, unit_pk)
    if not access.can(request.user, "materials.submit", unit):
        raise PermissionDenied("只有本单位联络员可以报送材料。")
    evidence, photos = selectors.unit_evidence(unit, campaign, indicator_id=requirement.indicator_id)
    form = SubmissionForm(request.POST, request.FILES, evidence=evidence, photos=photos, prefix=f"item{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            _sub, created = services.submission_create(
                item=item, unit=unit, user=request.user, text=data["text"], files=data["files"],
                evidence_ids=data.get("evidence") or [], photo_ids=data.get("photos") or [],
                client_token=data["client_token"], request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已报送“{item.name}”。" if created else "该材料已报送，未重复提交。")
            return redirect("materials-unit", requirement.pk, unit.pk)
    messages.error(request, f"“{item.name}”未能报送，请按提示修改后重新提交。")
    context = _unit_context(request, requirement, unit, bound={("submit", item.pk): form})
    return render(request, "materials/unit.html", context, status=400)


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request)
    submission = get_object_or_404(
        Submission.objects.select_related("item__requirement__indicator", "item__requirement__campaign", "unit"),
        pk=pk, item__requirement__campaign=campaign,
    )
    if not access.sees_all_units(request.user):
        raise Http404
    requirement = submission.item.requirement
    form = ReviewForm(request.POST, prefix=f"review{submission.pk}")
    if form.is_valid():
        try:
            services.submission_review(submission=submission, user=request.user, status=form.cleaned_data["status"],
                                       comment=form.cleaned_data["comment"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已审核：{submission.unit.name} · {submission.item.name}。")
            return redirect("materials-unit", requirement.pk, submission.unit_id)
    context = _unit_context(request, requirement, submission.unit, bound={("review", submission.pk): form})
    return render(request, "materials/unit.html", context, status=400)


@login_required
@require_POST
def score(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    requirement = _requirement_or_404(request, pk)
    unit = _unit_or_404(request, requirement, unit_pk)
    if not access.can(request.user, "materials.manage"):
        raise PermissionDenied("只有创建办管理员可以评定材料审核得分。")
    form = ScoreForm(request.POST, full=requirement.indicator.score)
    if form.is_valid():
        try:
            services.score_set(requirement=requirement, unit=unit, user=request.user, points=form.cleaned_data["points"],
                               note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已评定{unit.name}的材料审核得分。")
            return redirect("materials-unit", requirement.pk, unit.pk)
    return render(request, "materials/unit.html", _unit_context(request, requirement, unit, bound={"score": form}), status=400)


@login_required
@require_POST
def settings_save(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_or_404(request)
    if not access.can(request.user, "materials.manage"):
        raise PermissionDenied("只有创建办管理员可以修改材料审核设置。")
    form = SettingsForm(request.POST)
    if form.is_valid():
        MaterialSettings.objects.update_or_create(campaign=campaign, defaults=form.cleaned_data)
        messages.success(request, "已保存材料审核设置。")
    else:
        messages.error(request, "设置未保存：请检查填写内容。")
    return redirect("materials-index")


@login_required
@require_GET
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    stored = access.get_visible_or_404(
        request.user, SubmissionFile.objects.select_related("submission__unit"), field="submission__unit", pk=pk
    )
    return uploads.file_response(stored, request=request, inline=request.GET.get("inline") == "1" and stored.is_image)
