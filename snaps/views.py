"""随手拍 views. Public ones (no login) go through ``campaign.public.public_endpoint``; the office's
ones answer 404 to anyone who may not triage (officials follow the resulting findings in inspections).

Public pages show only what the office publishes: the category, the reporter's own words and photos,
the derived state, a decline reason and the after-photos — never a unit, a person or an internal note.
A query code that does not exist gets the same 404 page as any other missing page, after the same
single indexed lookup; there is no list of reports and no sequential id anywhere in a public URL.
"""
from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaign import access, downloads
from campaign.models import Campaign
from campaign.public import device_key, public_endpoint
from campaign.selectors import current_campaign
from campaign.uploads import file_response

from . import selectors, services
from .forms import DeclineForm, FileForm, LookupForm, MergeForm, SnapForm
from .models import Snap, SnapPhoto, Triage

# Public rates: a resident files a few reports an hour; the pages around the form are cheap but limited too.
PAGE_RATE = "60/m"
SUBMIT_RATE_IP = "20/h"  # an office or a school behind one address may report more than one person does
SUBMIT_RATE_DEVICE = "6/h"
LOOKUP_RATE = "30/m"
QUEUE_ROWS = 200


def _open_campaign(slug: str) -> Campaign:
    return get_object_or_404(Campaign, slug=slug)


def _errors_to_form(form, exc: ValidationError) -> None:
    for msg in exc.messages:
        form.add_error(None, msg)


# --- public ------------------------------------------------------------------------


@public_endpoint("snaps-page", per_ip=PAGE_RATE)
@public_endpoint("snaps-submit", per_ip=SUBMIT_RATE_IP, per_device=SUBMIT_RATE_DEVICE, methods=("POST",))
def public_new(request: HttpRequest, slug: str) -> HttpResponse:
    """The report form; on success the reporter lands on the status page with the query code."""
    campaign = _open_campaign(slug)
    rule = selectors.rule_for(campaign)
    form = SnapForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and rule.is_open and form.is_valid():
        data = form.cleaned_data
        try:
            snap = services.snap_submit(
                campaign=campaign, category=data["category"], description=data["description"], photos=data["photos"],
                place=data["place"], latitude=data["latitude"], longitude=data["longitude"], point=data["point"],
                phone=data["phone"], client_token=data["client_token"], device_key=device_key(request), request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect(f"{snap.get_public_url()}?new=1")
    return render(request, "snaps/public_new.html", {"campaign": campaign, "rule": rule, "form": form})


def _coordinate(raw: str | None, limit: float) -> float | None:
    """A latitude/longitude from the query string, or None (not a number, NaN, out of range)."""
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and -limit <= value <= limit else None


@public_endpoint("snaps-nearby", per_ip="30/m")
@require_GET
def public_points(request: HttpRequest, slug: str) -> JsonResponse:
    """Points near the phone's position (``lat``, ``lng``) or matching typed words (``q``): names only."""
    _open_campaign(slug)
    lat, lng = _coordinate(request.GET.get("lat"), 90), _coordinate(request.GET.get("lng"), 180)
    if lat is None or lng is None:
        lat = lng = None
    rows = selectors.suggested_points(latitude=lat, longitude=lng, text=request.GET.get("q", "")[:40])
    return JsonResponse({"points": [
        {"id": p.pk, "name": p.name, "address": p.address, "distance": round(d) if d is not None else None}
        for p, d in rows
    ]})


@public_endpoint("snaps-lookup", per_ip=LOOKUP_RATE)
def public_lookup(request: HttpRequest) -> HttpResponse:
    """Type a query code, open its status page."""
    form = LookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("snaps-public-status", code=form.cleaned_data["code"])
    return render(request, "snaps/public_lookup.html", {"form": form})


def _snap_for_code(code: str) -> Snap:
    snap = selectors.snap_by_code(code)
    if snap is None:
        raise Http404("未找到该页面。")
    return snap


@public_endpoint("snaps-lookup", per_ip=LOOKUP_RATE)
@require_GET
def public_status(request: HttpRequest, code: str) -> HttpResponse:
    snap = _snap_for_code(code)
    status = selectors.public_status(snap)
    return render(request, "snaps/public_status.html", {
        "snap": snap, "status": status, "is_new": request.GET.get("new") == "1", "photos": list(snap.photos.all()),
    })


@public_endpoint("snaps-photo", per_ip="120/m")
@require_GET
def public_photo(request: HttpRequest, code: str, kind: str, pk: int) -> HttpResponse:
    """A photo the reporter may see (``?thumb=1``: its thumbnail), without metadata and never re-encoded per
    view (``selectors.public_photo_content``). Not audited: the viewer is anonymous, the photo is what the
    office published, and a row per view would let anyone holding a code fill the log (docs/security.md §10)."""
    snap = _snap_for_code(code)
    photo = selectors.public_photo(snap, kind, pk)
    if photo is None:
        raise Http404("未找到该页面。")
    try:
        content = selectors.public_photo_content(photo, kind, thumb=request.GET.get("thumb") == "1")
    except FileNotFoundError:
        raise Http404("照片已不存在。") from None
    return downloads.send(request, content, filename=f"photo-{photo.pk}.{photo.file.name.rsplit('.', 1)[-1]}",
                          content_type=photo.content_type, inline=True, obj=photo, audited=False)


# --- the office --------------------------------------------------------------------


def _require(request: HttpRequest, perm: str) -> None:
    if not access.can(request.user, perm):
        raise Http404("未找到该页面，或您无权查看。")


def _campaign(request: HttpRequest) -> Campaign:
    campaign = current_campaign(request)
    if campaign is None:
        raise Http404("尚未建立创建活动。")
    return campaign


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, "snaps.triage")
    campaign = _campaign(request)
    triage = request.GET.get("triage", Triage.PENDING)
    if triage not in Triage.values:
        triage = Triage.PENDING
    snaps = list(selectors.queue(campaign, triage)[:QUEUE_ROWS])
    for snap in snaps:
        snap.state_label = selectors.state_label(snap)
    return render(request, "snaps/queue.html", {"campaign": campaign, "snaps": snaps, "triage": triage, "tabs": Triage.choices})


def _office_snap(request: HttpRequest, pk: int) -> Snap:
    _require(request, "snaps.triage")
    return get_object_or_404(
        Snap.objects.select_related("campaign", "category", "category__indicator", "point", "point__unit", "finding",
                                    "finding__unit", "merged_into", "triaged_by").prefetch_related("photos"),
        pk=pk,
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    snap = _office_snap(request, pk)
    rule = selectors.rule_for(snap.campaign)
    return render(request, "snaps/detail.html", _detail_context(snap, rule))


def _detail_context(snap: Snap, rule, **forms) -> dict:
    return {
        "snap": snap, "rule": rule, "status": selectors.public_status(snap),
        "file_form": forms.get("file_form") or FileForm(snap=snap, deducts=rule.deducts),
        "decline_form": forms.get("decline_form") or DeclineForm(),
        "merge_form": forms.get("merge_form") or MergeForm(snap=snap),
        "candidates": selectors.merge_candidates(snap) if snap.triage == Triage.PENDING else [],
    }


@login_required
@require_POST
def file_finding(request: HttpRequest, pk: int) -> HttpResponse:
    snap = _office_snap(request, pk)
    rule = selectors.rule_for(snap.campaign)
    form = FileForm(request.POST, snap=snap, deducts=rule.deducts)
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.snap_file(
                actor=request.user, snap=snap, indicator=data["indicator"], description=data["description"],
                unit=data["unit"], point=data["point"], points=data.get("points"), request=request,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"已转为问题 #{finding.pk}，交{finding.unit.display_name}整改。")
            return redirect("snaps-detail", pk=snap.pk)
    return render(request, "snaps/detail.html", _detail_context(snap, rule, file_form=form), status=400)


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    snap = _office_snap(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.snap_decline(actor=request.user, snap=snap, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "已不予受理，原因会显示给举报人。")
            return redirect("snaps-detail", pk=snap.pk)
    return render(request, "snaps/detail.html", _detail_context(snap, selectors.rule_for(snap.campaign), decline_form=form),
                  status=400)


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    snap = _office_snap(request, pk)
    form = MergeForm(request.POST, snap=snap)
    if form.is_valid():
        try:
            services.snap_merge(actor=request.user, snap=snap, into=form.cleaned_data["into"], request=request)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"已合并到 {snap.merged_into.code}，举报人将看到该举报的办理进度。")
            return redirect("snaps-detail", pk=snap.pk)
    return render(request, "snaps/detail.html", _detail_context(snap, selectors.rule_for(snap.campaign), merge_form=form),
                  status=400)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    snap = _office_snap(request, pk)
    stored = get_object_or_404(SnapPhoto, pk=photo_pk, snap=snap)
    return file_response(stored, request=request, inline=True)


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    _require(request, "snaps.view_figures")
    campaign = _campaign(request)
    return render(request, "snaps/figures.html", {"campaign": campaign, "figures": selectors.figures(campaign)})


@login_required
@require_GET
def qr(request: HttpRequest) -> HttpResponse:
    """The public report page's QR code (SVG) for posters: 扫码随手拍."""
    import io

    import segno

    _require(request, "snaps.triage")
    campaign = _campaign(request)
    url = request.build_absolute_uri(reverse("snaps-public-new", args=[campaign.slug]))
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=True)
    return downloads.send(request, out.getvalue(), filename=f"{campaign.name}随手拍二维码.svg", content_type="image/svg+xml",
                          inline=True, what="随手拍二维码")

